import { describe, expect, it } from "vitest";
import { mutationScore } from "../../policies/mutation-score";

const mutants = (entries: [string, string, number][]) =>
  entries.flatMap(([status, mutatorName, n]) =>
    Array.from({ length: n }, () => ({ status, mutatorName })),
  );

describe("mutationScore", () => {
  it("scores killed and timed-out mutants over valid ones, overall and per file", () => {
    const score = mutationScore(
      {
        files: {
          "policies/b.ts": {
            mutants: mutants([
              ["Killed", "StringLiteral", 6],
              ["Timeout", "BlockStatement", 1],
              ["Survived", "ConditionalExpression", 2],
              ["NoCoverage", "EqualityOperator", 1],
              ["CompileError", "StringLiteral", 4],
              ["Ignored", "StringLiteral", 9],
            ]),
          },
          "policies/a.ts": { mutants: mutants([["Killed", "BooleanLiteral", 2]]) },
          "policies/empty.ts": { mutants: [] },
        },
      },
      "2026-11-22",
    );
    expect(score).toEqual({
      measured: "2026-11-22",
      command: "npm run test:mutation",
      overall: {
        score: 75,
        killed: 8,
        timedOut: 1,
        survived: 2,
        noCoverage: 1,
        survivors: { ConditionalExpression: 2, EqualityOperator: 1 },
      },
      files: {
        "policies/a.ts": {
          score: 100,
          killed: 2,
          timedOut: 0,
          survived: 0,
          noCoverage: 0,
          survivors: {},
        },
        "policies/b.ts": {
          score: 70,
          killed: 6,
          timedOut: 1,
          survived: 2,
          noCoverage: 1,
          survivors: { ConditionalExpression: 2, EqualityOperator: 1 },
        },
        "policies/empty.ts": {
          score: 100,
          killed: 0,
          timedOut: 0,
          survived: 0,
          noCoverage: 0,
          survivors: {},
        },
      },
    });
  });

  it("rounds to two decimals", () => {
    const { overall } = mutationScore(
      {
        files: {
          "p.ts": {
            mutants: mutants([
              ["Killed", "X", 2],
              ["Survived", "Y", 1],
            ]),
          },
        },
      },
      "2026-11-22",
    );
    expect(overall.score).toBe(66.67);
  });

  it("records the commit it measured, when known", () => {
    const report = { files: { "p.ts": { mutants: mutants([["Killed", "X", 1]]) } } };
    expect(mutationScore(report, "2026-11-22", "abc1234").revision).toBe("abc1234");
    expect("revision" in mutationScore(report, "2026-11-22")).toBe(false);
  });
});
