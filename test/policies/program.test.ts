import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../src/cli/mock-run";
import { STACKS, type StackName } from "../../src/model";
import { runStack } from "../program/harness";
import { parseSuppressedMessage } from "../../policies/catalog";
import { latestExpiry, today } from "../../policies/suppressions";
import { UNKNOWN } from "../../policies/unknowns";
import { checkAll, fixturesOf, type Fixture } from "./harness";

/** The program as src/index.ts runs it (the guards stack reads every stack file). */
async function run(stack: StackName): Promise<RegisteredResource[]> {
  return [...(await runStack(stack)).resources];
}

describe.each(STACKS)("the committed %s stack under mocks", (stack) => {
  it("has no mandatory violation", async () => {
    const violations = await checkAll(stack, fixturesOf(await run(stack)));
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });
});

describe("hand edits to the stage stack's resources", () => {
  const RDS = "aws:rds/instance:Instance";
  let base: Fixture[] = [];
  const edit = (type: string, pick: (f: Fixture) => boolean, props: Record<string, unknown>) =>
    base.map((f) => (f.type === type && pick(f) ? { ...f, props: { ...f.props, ...props } } : f));
  const primary = (f: Fixture) => f.props["replicateSourceDb"] === undefined;

  it("runs the committed stage stack", async () => {
    base = fixturesOf(await run("stage"));
    expect(base.filter((f) => f.type === RDS && primary(f))).toHaveLength(1);
  });

  it("reports a single-AZ database as a parity and a redundancy violation", async () => {
    const before = await checkAll("stage", base);
    const found = (await checkAll("stage", edit(RDS, primary, { multiAz: false }))).filter(
      (v) => !before.some((b) => b.message === v.message && b.urn === v.urn),
    );
    expect(found.map((v) => [v.policy, v.enforcementLevel, v.message])).toEqual([
      [
        "stage-mirrors-prod",
        "mandatory",
        "Set database.multiAz to true: stage must mirror prod (stage declares false).",
      ],
      [
        "redundancy-in-production",
        "mandatory",
        expect.stringMatching(
          /^Set multiAz to true on .+: stage runs its databases across availability zones\.$/,
        ),
      ],
    ]);
  });

  it("reports a hand-edited instance class naming both values", async () => {
    const found = await checkStack_(
      "stage-mirrors-prod",
      edit(RDS, primary, { instanceClass: "db.r6g.xlarge" }),
    );
    expect(found).toEqual([
      "Set database.instanceClass to db.r6g.large: stage must mirror prod (stage declares db.r6g.xlarge).",
    ]);
  });

  it("suppresses only the parity attribute a suppression names", async () => {
    const db = base.find((f) => f.type === RDS && primary(f))!;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-parity-")), "s.yaml");
    fs.writeFileSync(
      file,
      JSON.stringify({
        suppressions: [
          {
            policy: "stage-mirrors-prod",
            stack: "stage",
            resource: `${RDS}::${db.name}`,
            attribute: "database.multiAz",
            reason: "Single-AZ while the stage failover drill is rebuilt this quarter.",
            owner: "@dba-team",
            expires: latestExpiry(today()),
          },
        ],
      }),
    );
    const found = await checkAll(
      "stage",
      edit(RDS, primary, { multiAz: false, instanceClass: "db.r6g.xlarge" }),
      { "stage-mirrors-prod": { suppressionsFile: file } },
    );
    expect(
      found
        .filter((v) => v.policy === "stage-mirrors-prod")
        .map((v) => [v.enforcementLevel, parseSuppressedMessage(v.message)?.original ?? v.message]),
    ).toEqual([
      [
        "mandatory",
        "Set database.instanceClass to db.r6g.large: stage must mirror prod (stage declares db.r6g.xlarge).",
      ],
      ["advisory", "Set database.multiAz to true: stage must mirror prod (stage declares false)."],
    ]);
  });

  it("notes an attribute unknown during preview instead of passing or failing it", async () => {
    const found = await checkAll("stage", edit(RDS, primary, { multiAz: UNKNOWN.boolean }));
    expect(found.filter((v) => v.policy === "stage-mirrors-prod")).toEqual([
      {
        policy: "stage-mirrors-prod",
        enforcementLevel: "advisory",
        message:
          "Cannot check database.multiAz during preview: boolean value at .multiAz can't be known during preview.",
      },
    ]);
  });

  async function checkStack_(name: string, fixtures: Fixture[]): Promise<string[]> {
    return (await checkAll("stage", fixtures))
      .filter((v) => v.policy === name)
      .map((v) => v.message);
  }
});
