import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { StackName } from "../../src/model";
import { stackFileKey } from "../../policies/baselines";
import { UNKNOWN } from "../../policies/unknowns";
import { checkStack, stackFixtures, urnOf, type Fixture } from "./harness";

const RDS = "aws:rds/instance:Instance";
const ROOT = path.resolve(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-parity-"));

/** The primary database of a stack's fixtures (the instance that replicates nothing). */
function isPrimary(f: Fixture): boolean {
  return f.type === RDS && f.props["replicateSourceDb"] === undefined;
}

/** The stack's own fixtures with one property of its primary database replaced. */
async function withPrimary(stack: StackName, props: Record<string, unknown>): Promise<Fixture[]> {
  return (await stackFixtures(stack)).map((f) =>
    isPrimary(f) ? { ...f, props: { ...f.props, ...props } } : f,
  );
}

function primaryUrn(fixtures: readonly Fixture[], stack: StackName): string {
  const primary = fixtures.find(isPrimary)!;
  return urnOf(stack, primary.type, primary.name);
}

/** Pack settings pointing every stack at its committed file (absolute, so cwd does not matter). */
function committed(overrides: Partial<Record<StackName, string>> = {}): Record<string, string> {
  return Object.fromEntries(
    (["dev", "stage", "prod"] as const).map((s) => [
      stackFileKey(s),
      overrides[s] ?? path.join(ROOT, `Pulumi.${s}.yaml`),
    ]),
  );
}

describe("stage-mirrors-prod", () => {
  it("passes the committed stage and prod stacks", async () => {
    for (const stack of ["stage", "prod"] as const) {
      expect(
        await checkStack(stack, "stage-mirrors-prod", await stackFixtures(stack), committed()),
      ).toEqual([]);
    }
  });

  it("reports stage's differing attribute on the instance, in stage's words", async () => {
    const fixtures = await withPrimary("stage", { multiAz: false });
    expect(await checkStack("stage", "stage-mirrors-prod", fixtures, committed())).toEqual([
      {
        message:
          "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
        enforcementLevel: "mandatory",
        urn: primaryUrn(fixtures, "stage"),
      },
    ]);
  });

  it("reports prod differing from its own committed file, in prod's words", async () => {
    const fixtures = await withPrimary("prod", { instanceClass: "db.r6g.2xlarge" });
    const found = await checkStack("prod", "stage-mirrors-prod", fixtures, committed());
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(
      /^Set database\.instanceClass to db\.\S+ on database-primary: prod must match its committed Pulumi\.prod\.yaml \(prod declares db\.r6g\.2xlarge\)\.$/,
    );
    expect(found[0]!.urn).toBe(primaryUrn(fixtures, "prod"));
  });

  it("notes an attribute unknown during preview on its instance, as advisory", async () => {
    const fixtures = await withPrimary("stage", { multiAz: UNKNOWN.boolean });
    expect(await checkStack("stage", "stage-mirrors-prod", fixtures, committed())).toEqual([
      {
        message: expect.stringMatching(
          /^Cannot check database\.multiAz on database-primary during preview: .+\.$/,
        ) as string,
        enforcementLevel: "advisory",
        urn: primaryUrn(fixtures, "stage"),
      },
    ]);
  });

  it("reports a broken prod baseline once, instead of comparing", async () => {
    const broken = path.join(tmp, "Pulumi.prod.yaml");
    fs.writeFileSync(broken, "config:\n  envstack:app: 7\n");
    const found = await checkStack(
      "stage",
      "stage-mirrors-prod",
      await stackFixtures("stage"),
      committed({ prod: broken }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^Fix the prod baseline before this check can run: /);
    expect(found[0]!.message).toContain(broken);
    expect(found[0]!.enforcementLevel).toBe("mandatory");
  });
});

describe("dev-follows-stage-versions", () => {
  it("passes the committed dev stack", async () => {
    expect(
      await checkStack(
        "dev",
        "dev-follows-stage-versions",
        await stackFixtures("dev"),
        committed(),
      ),
    ).toEqual([]);
  });

  it("reports dev on another engine version, advisory, in dev's words", async () => {
    const fixtures = await withPrimary("dev", { engineVersion: "16.12" });
    const found = await checkStack("dev", "dev-follows-stage-versions", fixtures, committed());
    expect(found).toEqual([
      {
        message: expect.stringMatching(
          /^Set database\.engineVersion to \S+ on database-primary: dev must run the engine versions stage runs \(dev declares 16\.12\)\.$/,
        ) as string,
        enforcementLevel: "advisory",
        urn: primaryUrn(fixtures, "dev"),
      },
    ]);
  });

  it("compares with the stage file its settings name", async () => {
    const stage = path.join(tmp, "Pulumi.stage.yaml");
    fs.writeFileSync(
      stage,
      fs
        .readFileSync(path.join(ROOT, "Pulumi.stage.yaml"), "utf8")
        .replace(/engineVersion: "?[\d.]+"?/, 'engineVersion: "16.12"'),
    );
    const found = await checkStack(
      "dev",
      "dev-follows-stage-versions",
      await stackFixtures("dev"),
      committed({ stage }),
    );
    expect(found.map((v) => v.message)).toEqual([
      expect.stringMatching(/^Set database\.engineVersion to 16\.12 on database-primary: /),
    ]);
  });
});
