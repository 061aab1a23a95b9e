import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CORPUS,
  corpusStackFiles,
  expectedVerdict,
  urnOf,
  type ExpectedViolation,
} from "./corpus/cases";
import { ROOT } from "./helpers";

// The gate as the CLI runs it, compiled (it loads the program's modules at run time).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runGate } = require(
  path.join(ROOT, "dist", "src", "engine", "gate.js"),
) as typeof import("../../src/engine/gate");

/** A verdict as compared: policy, level and URN of each violation, in a stable order. */
type Judged = Pick<ExpectedViolation, "policy" | "urn"> & { readonly enforcement: string };
const order = (v: Judged) => `${v.policy} ${v.enforcement} ${v.urn}`;
const sorted = (vs: readonly Judged[]) =>
  [...vs]
    .map((v) => ({ policy: v.policy, enforcement: v.enforcement, urn: v.urn }))
    .sort((a, b) => order(a).localeCompare(order(b)));

describe.each(CORPUS)("the corpus program $name, through the gate", (c) => {
  it(`runs the program its Pulumi.yaml names and gives the known verdict on ${c.stacks.join(", ")}`, async () => {
    const files = corpusStackFiles();
    const result = await runGate({
      stacks: c.stacks,
      projectDir: c.dir,
      configFiles: files,
      packDir: path.join(ROOT, "policies"),
    });
    expect(result.stacks.map((s) => s.stack)).toEqual(c.stacks);
    for (const verdict of result.stacks) {
      const urns = verdict.resources.map((r) => r.urn);
      for (const declared of c.declares) {
        expect(urns).toContain(urnOf(verdict.stack, c.project, declared));
      }
      for (const urn of urns)
        expect(urn.startsWith(`urn:pulumi:${verdict.stack}::${c.project}::`)).toBe(true);
      expect(verdict.suppressions).toEqual([]);
      expect({ stack: verdict.stack, violations: sorted(verdict.violations) }).toEqual({
        stack: verdict.stack,
        violations: sorted(expectedVerdict(c, verdict.stack, files)),
      });
    }
  }, 120_000);
});
