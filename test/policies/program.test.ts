import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../src/engine/mock-run";
import { environments, type StackName } from "../../src/model";
import { runStack } from "../program/harness";
import { parseSuppressedMessage } from "../../policies/catalog";
import { latestExpiry, today } from "../../policies/suppressions";
import { UNKNOWN } from "../../policies/unknowns";
import { checkAll, fixturesOf, urnOf, type Fixture } from "./harness";

/** The program as src/program/main.ts runs it (the guards stack reads every stack file). */
async function run(stack: StackName): Promise<RegisteredResource[]> {
  return [...(await runStack(stack)).resources];
}

describe.each(environments().names)("the committed %s stack under mocks", (stack) => {
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
        "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
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
      "Set database.instanceClass to db.r6g.large on database-primary: stage must mirror prod (stage declares db.r6g.xlarge).",
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
        "Set database.instanceClass to db.r6g.large on database-primary: stage must mirror prod (stage declares db.r6g.xlarge).",
      ],
      [
        "advisory",
        "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
      ],
    ]);
  });

  it("suppresses a per-service attribute by its service's key, and only that service's", async () => {
    const SERVICE = "aws:ecs/service:Service";
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-parity-")), "s.yaml");
    fs.writeFileSync(
      file,
      JSON.stringify({
        suppressions: [
          {
            policy: "stage-mirrors-prod",
            stack: "stage",
            resource: `${SERVICE}::service-worker-svc`,
            attribute: "services.worker.desiredCount",
            reason: "One worker while the queue consumer is load-tested this month.",
            owner: "@platform",
            expires: latestExpiry(today()),
          },
        ],
      }),
    );
    const found = await checkAll(
      "stage",
      edit(SERVICE, (f) => f.name.endsWith("-svc"), { desiredCount: 1 }),
      {
        "stage-mirrors-prod": { suppressionsFile: file },
        "suppressions-are-valid": { suppressionsFile: file },
      },
    );
    // The file is valid: the attribute is one stage-mirrors-prod reports (services.<name>.*).
    expect(found.filter((v) => v.policy === "suppressions-are-valid")).toEqual([]);
    expect(
      found
        .filter((v) => v.policy === "stage-mirrors-prod")
        .map((v) => [v.enforcementLevel, parseSuppressedMessage(v.message)?.original ?? v.message]),
    ).toEqual([
      [
        "mandatory",
        "Set services.api.desiredCount to 3 on service-api-svc: stage must mirror prod (stage declares 1).",
      ],
      [
        "advisory",
        "Set services.worker.desiredCount to 2 on service-worker-svc: stage must mirror prod (stage declares 1).",
      ],
    ]);
  });

  it("notes an attribute unknown during preview instead of passing or failing it", async () => {
    const found = await checkAll("stage", edit(RDS, primary, { multiAz: UNKNOWN.boolean }));
    expect(found.filter((v) => v.policy === "stage-mirrors-prod")).toEqual([
      {
        policy: "stage-mirrors-prod",
        enforcementLevel: "advisory",
        urn: urnOf("stage", RDS, "database-primary"),
        message:
          "Cannot check database.multiAz on database-primary during preview: boolean value at .multiAz can't be known during preview.",
      },
    ]);
  });

  it("compares every service: one unknown during preview is noted on it, the other still compared", async () => {
    const TASK = "aws:ecs/taskDefinition:TaskDefinition";
    const fixtures = base.map((f) =>
      f.type !== TASK
        ? f
        : {
            ...f,
            props: { ...f.props, cpu: f.name.startsWith("service-api-") ? UNKNOWN.string : "2048" },
          },
    );
    const found = (await checkAll("stage", fixtures)).filter(
      (v) => v.policy === "stage-mirrors-prod",
    );
    expect(found).toEqual([
      {
        policy: "stage-mirrors-prod",
        enforcementLevel: "advisory",
        urn: urnOf("stage", TASK, "service-api-task"),
        message:
          "Cannot check services.api.cpu on service-api-task during preview: string value at .cpu can't be known during preview.",
      },
      {
        policy: "stage-mirrors-prod",
        enforcementLevel: "mandatory",
        urn: urnOf("stage", TASK, "service-worker-task"),
        message:
          "Set services.worker.cpu to 512 on service-worker-task: stage must mirror prod (stage declares 2048).",
      },
    ]);
  });

  it("lets a replica inherit what it does not set, and reports what it sets differently", async () => {
    const replica = (f: Fixture) => f.type === RDS && !primary(f);
    expect(base.filter(replica).map((f) => f.props["engineVersion"])).toEqual([undefined]);
    expect(await checkStack_("stage-mirrors-prod", base)).toEqual([]);
    expect(
      await checkStack_(
        "stage-mirrors-prod",
        edit(RDS, replica, { engineVersion: "16.4", backupRetentionPeriod: 0 }),
      ),
    ).toEqual([
      "Set database.engineVersion to 16.13 on database-replica-1: stage must mirror prod (stage declares 16.4).",
    ]);
  });

  it("measures each service's capacity on its one ECS service", async () => {
    const SERVICE = "aws:ecs/service:Service";
    const counts = base
      .filter((f) => f.type === SERVICE)
      .map((f) => [f.name, f.props["desiredCount"]]);
    expect(counts.sort()).toEqual([
      ["service-api-svc", 3],
      ["service-worker-svc", 2],
    ]);
    // Each service's capacity is its own: the api's 3 does not cover a worker cut to 1.
    expect(
      await checkStack_(
        "stage-mirrors-prod",
        edit(SERVICE, (f) => f.name === "service-worker-svc", { desiredCount: 1 }),
      ),
    ).toEqual([
      "Set services.worker.desiredCount to 2 on service-worker-svc: stage must mirror prod (stage declares 1).",
    ]);
  });

  it("compares the rollout ECS runs: a hand-edited strategy, bake or ladder is caught", async () => {
    const SERVICE = "aws:ecs/service:Service";
    const api = (f: Fixture) => f.name === "service-api-svc";
    const config = base.find(api)!.props["deploymentConfiguration"] as {
      lifecycleHooks: { hookDetails: string }[];
    };
    const hold = JSON.parse(config.lifecycleHooks[1]!.hookDetails) as Record<string, unknown>;
    const edited = edit(SERVICE, api, {
      deploymentConfiguration: {
        ...config,
        strategy: "BLUE_GREEN",
        bakeTimeInMinutes: "0",
        lifecycleHooks: [
          config.lifecycleHooks[0],
          { ...config.lifecycleHooks[1], hookDetails: JSON.stringify({ ...hold, holds: [50] }) },
          ...config.lifecycleHooks.slice(2),
        ],
      },
    });
    const found = await checkStack_("stage-mirrors-prod", edited);
    expect(found.map((m) => m.split(" on ")[0])).toEqual([
      "Set services.api.deployment.strategy to LINEAR",
      "Set services.api.deployment.bakeMinutes to 15",
      "Set services.api.deployment.holds to [5,25,50]",
    ]);
  });

  it("reports a service prod runs and stage does not declare, once on the set of services", async () => {
    const dropped = base.filter(
      (f) => !f.name.startsWith("service-worker") && !f.name.endsWith("service-worker"),
    );
    expect(dropped.length).toBeLessThan(base.length);
    expect(await checkStack_("stage-mirrors-prod", dropped)).toEqual([
      'Set services to ["api","worker"]: stage must mirror prod (stage declares ["api"]).',
    ]);
  });

  it("reports a service stage declares and prod does not", async () => {
    const SERVICE = "aws:ecs/service:Service";
    const extra = base
      .filter((f) => f.type === SERVICE && f.name.startsWith("service-worker-"))
      .map((f) => ({
        ...f,
        name: f.name.replace("worker", "extra"),
        props: { ...f.props, tags: { ...(f.props["tags"] as object), service: "extra" } },
      }));
    expect(await checkStack_("stage-mirrors-prod", [...base, ...extra])).toEqual([
      'Set services to ["api","worker"]: stage must mirror prod (stage declares ["api","extra","worker"]).',
    ]);
  });

  it("compares a web service's production rule: its conditions and priority, not its test rule's", async () => {
    const RULE = "aws:lb/listenerRule:ListenerRule";
    const production = (f: Fixture) => f.type === RULE && f.name === "service-api-rule";
    expect(base.filter(production)).toHaveLength(1);
    // Prod's api is the default service: its rule catches every path, behind all others.
    expect(
      await checkStack_(
        "stage-mirrors-prod",
        edit(RULE, production, {
          priority: 110,
          conditions: [{ pathPattern: { values: ["/api/*"] } }],
        }),
      ),
    ).toEqual([
      "Set services.api.routing.priority to 50000 on service-api-rule: stage must mirror prod (stage declares 110).",
      'Set services.api.routing to [{"pathPattern":{"values":["/*"]}}] on service-api-rule: stage must mirror prod (stage declares [{"pathPattern":{"values":["/api/*"]}}]).',
    ]);
    // The test rule matches its header, whatever the routing: never a parity finding.
    expect(await checkStack_("stage-mirrors-prod", base)).toEqual([]);
  });

  async function checkStack_(name: string, fixtures: Fixture[]): Promise<string[]> {
    return (await checkAll("stage", fixtures))
      .filter((v) => v.policy === name)
      .map((v) => v.message);
  }
});
