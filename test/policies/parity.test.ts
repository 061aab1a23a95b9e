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

describe("stage-mirrors-prod on migrations", () => {
  const ECS_SVC = "aws:ecs/service:Service";
  interface Hook {
    lifecycleStages: string[];
    hookDetails: string;
  }
  /** The ECS services running migrations in a stack's fixtures. */
  const migrating = (fixtures: readonly Fixture[]) =>
    fixtures.filter(
      (f) =>
        f.type === ECS_SVC &&
        (
          (f.props["deploymentConfiguration"] as { lifecycleHooks?: Hook[] }).lifecycleHooks ?? []
        ).some((h) => h.lifecycleStages.includes("PRE_SCALE_UP")),
    );
  /** The stack's fixtures with each migration hook's details edited (or the hook removed). */
  async function withMigrationHooks(
    stack: StackName,
    edit: (details: Record<string, unknown>) => Record<string, unknown> | undefined,
  ): Promise<Fixture[]> {
    return (await stackFixtures(stack)).map((f) => {
      if (!migrating([f]).length) return f;
      const config = f.props["deploymentConfiguration"] as { lifecycleHooks: Hook[] };
      const hooks = config.lifecycleHooks.flatMap((h) => {
        if (!h.lifecycleStages.includes("PRE_SCALE_UP")) return [h];
        const next = edit(JSON.parse(h.hookDetails) as Record<string, unknown>);
        return next === undefined ? [] : [{ ...h, hookDetails: JSON.stringify(next) }];
      });
      return {
        ...f,
        props: { ...f.props, deploymentConfiguration: { ...config, lifecycleHooks: hooks } },
      };
    });
  }
  const prodFile = (edit: (text: string) => string) => {
    const file = path.join(tmp, `Pulumi.prod.${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, edit(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")));
    return file;
  };

  it("runs the committed stacks' migrations from the ECS services' PRE_SCALE_UP hooks", async () => {
    for (const stack of ["stage", "prod"] as const)
      expect(migrating(await stackFixtures(stack)).length).toBeGreaterThan(0);
  });

  it("reports a migration command hand-edited in stage's code, on its ECS service", async () => {
    const fixtures = await withMigrationHooks("stage", (d) => ({ ...d, command: ["./other"] }));
    const [svc] = migrating(fixtures);
    const service = (svc!.props["tags"] as Record<string, string>)["service"]!;
    expect(await checkStack("stage", "stage-mirrors-prod", fixtures, committed())).toEqual([
      {
        message: `Set services.${service}.migrations.command to ["./migrate","up"] on ${svc!.name}: stage must mirror prod (stage declares ["./other"]).`,
        enforcementLevel: "mandatory",
        urn: urnOf("stage", ECS_SVC, svc!.name),
      },
    ]);
  });

  it("reports prod's migration hook removed in code against its committed file", async () => {
    const before = migrating(await stackFixtures("prod"));
    const fixtures = await withMigrationHooks("prod", () => undefined);
    const found = await checkStack("prod", "stage-mirrors-prod", fixtures, committed());
    expect(found.map((v) => [v.message, v.urn])).toEqual(
      before.map((svc) => [
        `Set services.${(svc.props["tags"] as Record<string, string>)["service"]}.migrations.command to ["./migrate","up"] on ${svc.name}: prod must match its committed Pulumi.prod.yaml (prod declares nothing).`,
        urnOf("prod", ECS_SVC, svc.name),
      ]),
    );
  });

  it("reports stage's config running another command than prod's, or none", async () => {
    const fixtures = await stackFixtures("stage");
    const [svc] = migrating(fixtures);
    const other = prodFile((t) =>
      t.replace('command: ["./migrate", "up"]', 'command: ["./migrate", "up", "--all"]'),
    );
    expect(
      (await checkStack("stage", "stage-mirrors-prod", fixtures, committed({ prod: other }))).map(
        (v) => v.message,
      ),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Set services\\.\\w+\\.migrations\\.command to \\["\\./migrate","up","--all"\\] on ${svc!.name}: stage must mirror prod \\(stage declares \\["\\./migrate","up"\\]\\)\\.$`,
        ),
      ),
    ]);
    const none = prodFile((t) => t.replace(/\n\s+migrations:\n\s+command: .*\n\s+version: .*/, ""));
    expect(
      (await checkStack("stage", "stage-mirrors-prod", fixtures, committed({ prod: none }))).map(
        (v) => v.message,
      ),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Set services\\.\\w+\\.migrations\\.command to nothing on ${svc!.name}: stage must mirror prod`,
        ),
      ),
    ]);
  });

  it("lets the version differ: promotion governs it", async () => {
    const fixtures = await withMigrationHooks("stage", (d) => ({ ...d, version: "0.0.1" }));
    const newer = prodFile((t) => t.replace(/(\n\s+version: ).*/, '$1"9.9.9"'));
    expect(
      await checkStack("stage", "stage-mirrors-prod", fixtures, committed({ prod: newer })),
    ).toEqual([]);
  });
});
