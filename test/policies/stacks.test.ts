import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { environments, migrateHookDetails, type StackName } from "../../src/model";
import { parseSuppressedMessage } from "../../policies/catalog";
import { stackFileKey } from "../../policies/baselines";
import { stageMirrorsProd } from "../../policies/parity";
import { latestExpiry, today } from "../../policies/suppressions";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, checkStack, urnOf, type Fixture } from "./harness";

const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const ENV = "github:index/repositoryEnvironment:RepositoryEnvironment";
const DEPLOY_POLICY =
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";

/** The rules the promotion model asks of a stack, as the GitHub components declare them. */
function rulesFor(stack: StackName, overrides: Record<string, unknown> = {}): Fixture[] {
  const env = environments().get(stack);
  const m = env.merge;
  const fixtures: Fixture[] = [
    {
      type: RULESET,
      name: `${stack}-branches`,
      props: {
        target: "branch",
        enforcement: "active",
        conditions: {
          refName: { includes: env.branches.map((b) => `refs/heads/${b}`), excludes: [] },
        },
        bypassActors: [{ actorId: 7, actorType: "Team", bypassMode: "pull_request" }],
        rules: {
          deletion: true,
          nonFastForward: true,
          requiredLinearHistory: m.linearHistory,
          pullRequest: {
            requiredApprovingReviewCount: m.minApprovals,
            requireCodeOwnerReview: m.codeOwnerReview,
            dismissStaleReviewsOnPush: m.dismissStaleReviews,
            requireLastPushApproval: m.lastPushApproval,
            requiredReviewThreadResolution: m.resolveReviewThreads,
          },
          requiredStatusChecks: {
            requiredChecks: m.requiredChecks.map((context) => ({ context })),
          },
          ...(m.requiredDeployments.length > 0
            ? {
                requiredDeployments: { requiredDeploymentEnvironments: [...m.requiredDeployments] },
              }
            : {}),
        },
        ...overrides,
      },
    },
    {
      type: ENV,
      name: `${stack}-environment`,
      props: {
        environment: stack,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
        reviewers: env.deploy.humanApproval ? [{ teams: [11, 12], users: [] }] : undefined,
        preventSelfReview: env.deploy.preventSelfReview,
        canAdminsBypass: env.deploy.adminBypass,
      },
    },
    ...env.branches.map((b) => ({
      type: DEPLOY_POLICY,
      name: `${stack}-branch-${b}`,
      props: { environment: stack, branchPattern: b },
    })),
  ];
  if (env.tags.length > 0) {
    fixtures.push({
      type: RULESET,
      name: `${stack}-tags`,
      props: {
        target: "tag",
        enforcement: "active",
        conditions: { refName: { includes: env.tags.map((t) => `refs/tags/${t}`), excludes: [] } },
        rules: { deletion: true, nonFastForward: true, update: true },
      },
    });
  }
  return fixtures;
}

function withRules(stack: StackName, rules: Record<string, unknown>): Fixture[] {
  const [first, ...rest] = rulesFor(stack);
  const props = first!.props as { rules: Record<string, unknown> };
  return [{ ...first!, props: { ...first!.props, rules: { ...props.rules, ...rules } } }, ...rest];
}

function withPullRequest(stack: StackName, pr: Record<string, unknown>): Fixture[] {
  const base = rulesFor(stack)[0]!.props as { rules: { pullRequest: Record<string, unknown> } };
  return withRules(stack, { pullRequest: { ...base.rules.pullRequest, ...pr } });
}

/**
 * The guards stack declares every environment's rules: `fixtures` stand for `stack`'s, the other
 * environments keep the rules the model asks of them.
 */
function guarded(stack: StackName, fixtures: Fixture[]): Fixture[] {
  return environments().names.flatMap((s) => (s === stack ? fixtures : rulesFor(s)));
}

const messages = async (stack: StackName, name: string, fixtures: Fixture[], config = {}) =>
  (await checkStack(stack, name, fixtures, config)).map((v) => v.message);

describe("only the guards stack declares GitHub resources", () => {
  const NAME = "branch-rules-match-promotion-model";
  const others = environments().names.filter((s) => s !== environments().production);

  it.each(others)("passes %s with no GitHub resource", async (stack) => {
    expect(await checkStack(stack, NAME, [])).toEqual([]);
  });

  it.each(others)("reports each GitHub resource %s declares", async (stack) => {
    const found = await checkStack(stack, NAME, rulesFor(stack).slice(0, 2));
    expect(found).toEqual([
      {
        message: `Remove ${RULESET} ${stack}-branches from ${stack}: only the prod stack declares GitHub guards, so no job that deploys ${stack} needs a GitHub token.`,
        urn: urnOf(stack, RULESET, `${stack}-branches`),
        enforcementLevel: "mandatory",
      },
      {
        message: `Remove ${ENV} ${stack}-environment from ${stack}: only the prod stack declares GitHub guards, so no job that deploys ${stack} needs a GitHub token.`,
        urn: urnOf(stack, ENV, `${stack}-environment`),
        enforcementLevel: "mandatory",
      },
    ]);
  });
});

// The approval policies on the guards stack's own rules: test/policies/approvals.test.ts.

describe("buckets-versioned-and-private", () => {
  const NAME = "buckets-versioned-and-private";
  const bucketUrn = urnOf("prod", "aws:s3/bucket:Bucket", "artifacts");
  const bucket = (extra: Fixture[]): Fixture[] => [
    {
      type: "aws:s3/bucket:Bucket",
      name: "artifacts",
      props: { bucket: "trading-prod-artifacts" },
    },
    ...extra,
  ];
  const versioning = (status: unknown): Fixture => ({
    type: "aws:s3/bucketVersioning:BucketVersioning",
    name: "artifacts-versioning",
    props: { bucket: UNKNOWN.string, versioningConfiguration: { status } },
    propertyDependencies: { bucket: [bucketUrn] },
  });
  const block = (flags: Record<string, boolean> = {}): Fixture => ({
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    name: "artifacts-block",
    props: {
      bucket: "trading-prod-artifacts",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...flags,
    },
  });

  it("passes a versioned, blocked bucket (linked by dependency or by name)", async () => {
    expect(await messages("prod", NAME, bucket([versioning("Enabled"), block()]))).toEqual([]);
  });

  it.each<[string, Fixture[], string[]]>([
    [
      "no versioning",
      bucket([block()]),
      [
        "Declare a BucketVersioning with status Enabled for bucket artifacts: prod keeps every object version.",
      ],
    ],
    [
      "versioning suspended",
      bucket([versioning("Suspended"), block()]),
      [
        "Declare a BucketVersioning with status Enabled for bucket artifacts: prod keeps every object version.",
      ],
    ],
    [
      "no public access block",
      bucket([versioning("Enabled")]),
      ["Declare a BucketPublicAccessBlock for bucket artifacts: no prod bucket is public."],
    ],
    [
      "public policies allowed",
      bucket([versioning("Enabled"), block({ blockPublicPolicy: false })]),
      [
        "Set blockPublicPolicy to true on the public access block of bucket artifacts: no prod bucket is public.",
      ],
    ],
  ])("%s", async (_title, fixtures, expected) => {
    expect(await messages("prod", NAME, fixtures)).toEqual(expected);
  });
});

describe("promotion", () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  const repo = `${registry}/trading-platform`;
  const TD = "aws:ecs/taskDefinition:TaskDefinition";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-promotion-"));
  const root = path.join(__dirname, "..", "..");
  /** The X-Ray daemon image stage and prod commit. */
  const xray = /\n\s+xrayDaemonImage: (\S+)/.exec(
    fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"),
  )![1]!;
  /** The worker's image stage and prod commit (the helpers below change the api's only). */
  const worker = /\n\s+image: (\S+trading-worker\S+)/.exec(
    fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"),
  )![1]!;

  /** A copy of a committed stack file with the api's image replaced (and nextImage added). */
  function stackFile(stack: StackName, image: string, xrayDaemonImage?: string): string {
    let text = fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8");
    text = text.replace(/(\n\s+image: ).*/, `$1${image}`);
    if (xrayDaemonImage) text = text.replace(/(\n\s+xrayDaemonImage: ).*/, `$1${xrayDaemonImage}`);
    const file = path.join(tmp, `${stack}-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  }
  const task = (name: string, image: string, sidecar = xray): Fixture => ({
    type: TD,
    name,
    props: {
      containerDefinitions: JSON.stringify([
        { name: "app", image },
        { name: "xray-daemon", image: sidecar },
      ]),
    },
  });
  /** The pack settings naming these files, each as the stack its name starts with. */
  const config = (...files: string[]) =>
    Object.fromEntries(
      files.map((f) => [stackFileKey(path.basename(f).split("-")[0] as StackName), f]),
    );
  const prod = (fixtures: Fixture[], ...files: string[]) =>
    checkStack("prod", "prod-runs-stage-digest", fixtures, config(...files));

  it("passes prod running stage's image and sidecar in both colours", async () => {
    const image = `${repo}@${digest("1")}`;
    const found = await prod(
      [task("blue", image), task("green", image)],
      stackFile("stage", image),
      stackFile("prod", image),
    );
    expect(found).toEqual([]);
  });

  it("refuses a rollback in prod alone: prod's previous image while stage runs the next", async () => {
    // A completed release is rolled back through stage (docs/RUNBOOK.md): prod may run only the
    // digest stage runs, so reverting prod's digest commit alone is refused.
    const old = `${repo}@${digest("0")}`;
    const next = `${repo}@${digest("1")}`;
    const found = await prod([task("blue", old)], stackFile("stage", next), stackFile("prod", old));
    expect(found.map((v) => v.message)).toEqual([
      `Set services.api.image to ${next}: prod runs exactly the digest committed for stage (prod declares ${old}).`,
    ]);
  });

  it("reports prod not running stage's image, unsuppressibly mandatory", async () => {
    const stage = `${repo}@${digest("1")}`;
    const own = `${repo}@${digest("2")}`;
    const found = await prod(
      [task("blue", own)],
      stackFile("stage", stage),
      stackFile("prod", own),
    );
    expect(found).toEqual([
      {
        message: `Set services.api.image to ${stage}: prod runs exactly the digest committed for stage (prod declares ${own}).`,
        enforcementLevel: "mandatory",
      },
    ]);
  });

  it("compares by exact reference: the same digest from another registry is another image", async () => {
    const stage = `${repo}@${digest("1")}`;
    const mirrored = `${registry.replace("123456789012", "210987654321")}/trading-platform@${digest("1")}`;
    const found = await prod(
      [task("blue", mirrored)],
      stackFile("stage", stage),
      stackFile("prod", mirrored),
    );
    expect(found.map((v) => v.message)).toEqual([
      `Set services.api.image to ${stage}: prod runs exactly the digest committed for stage (prod declares ${mirrored}).`,
    ]);
  });

  it.each<[string, (image: string) => Fixture[], string, string]>([
    [
      "the app container of the idle colour",
      (image) => [task("blue", image), task("green", `${repo}@${digest("3")}`)],
      "green",
      "app",
    ],
    [
      "a sidecar edited to another digest",
      (image) => [task("blue", image, `${registry}/aws-xray-daemon@${digest("4")}`)],
      "blue",
      "xray-daemon",
    ],
    [
      "a sidecar from another registry",
      (image) => [
        task("blue", image),
        task("green", image, `public.ecr.aws/xray/aws-xray-daemon@${digest("5")}`),
      ],
      "green",
      "xray-daemon",
    ],
    [
      "a third container from another repository",
      (image) => [
        task("blue", image),
        {
          type: TD,
          name: "green",
          props: {
            containerDefinitions: JSON.stringify([
              { name: "app", image },
              { name: "xray-daemon", image: xray },
              { name: "shell", image: `docker.io/library/busybox@${digest("6")}` },
            ]),
          },
        },
      ],
      "green",
      "shell",
    ],
  ])(
    "reports %s running an image the stack file does not name, on its task definition",
    async (_title, fixtures, td, container) => {
      const image = `${repo}@${digest("1")}`;
      const found = await prod(
        fixtures(image),
        stackFile("stage", image),
        stackFile("prod", image),
      );
      expect(found).toEqual([
        {
          message: expect.stringMatching(
            new RegExp(
              `^Run ${image} or ${worker} or ${xray} in container ${container} of ${td}: prod runs only the images its stack file names \\(found .+\\)\\.$`,
            ),
          ) as string,
          urn: urnOf("prod", TD, td),
          enforcementLevel: "mandatory",
        },
      ]);
    },
  );

  it("reports a sidecar prod's stack file names but stage's does not", async () => {
    const image = `${repo}@${digest("1")}`;
    const sidecar = `${registry}/aws-xray-daemon@${digest("7")}`;
    const found = await prod(
      [task("blue", image, sidecar), task("green", image, sidecar)],
      stackFile("stage", image),
      stackFile("prod", image, sidecar),
    );
    expect(found).toEqual(
      ["blue", "green"].map((td) => ({
        message: `Run an image stage's stack file names in container xray-daemon of ${td} (${image} or ${worker} or ${xray}), or promote ${sidecar} through stage first: every image prod runs has run in stage (prod names it as observability.xrayDaemonImage).`,
        urn: urnOf("prod", TD, td),
        enforcementLevel: "mandatory",
      })),
    );
  });

  it("reports stage behind dev as advisory, and no sidecar dev runs none of", async () => {
    const dev = `${repo}@${digest("4")}`;
    const stage = `${repo}@${digest("1")}`;
    const found = await checkStack(
      "stage",
      "stage-runs-dev-digest",
      [task("blue", stage), task("green", stage)],
      config(stackFile("dev", dev), stackFile("stage", stage)),
    );
    const devWorker = /\n\s+image: (\S+trading-worker\S+)/.exec(
      fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"),
    )![1]!;
    expect(found).toEqual([
      {
        message: `Set services.api.image to ${dev}: stage runs exactly the digest committed for dev (stage declares ${stage}).`,
        enforcementLevel: "advisory",
      },
      {
        message: `Set services.worker.image to ${devWorker}: stage runs exactly the digest committed for dev (stage declares ${worker}).`,
        enforcementLevel: "advisory",
      },
    ]);
  });

  it("notes a task definition unknown during preview and still checks the other colour", async () => {
    const image = `${repo}@${digest("1")}`;
    const edited = `${repo}@${digest("3")}`;
    const found = await prod(
      [
        { type: TD, name: "blue", props: { containerDefinitions: UNKNOWN.string } },
        task("green", edited),
      ],
      stackFile("stage", image),
      stackFile("prod", image),
    );
    expect(found).toEqual([
      {
        message:
          "Cannot check the images of blue during preview: string value at .containerDefinitions can't be known during preview.",
        urn: urnOf("prod", TD, "blue"),
        enforcementLevel: "advisory",
      },
      {
        message: `Run ${image} or ${worker} or ${xray} in container app of green: prod runs only the images its stack file names (found ${edited}).`,
        urn: urnOf("prod", TD, "green"),
        enforcementLevel: "mandatory",
      },
    ]);
  });

  /** A task definition of a service, tagged as the program tags it, its container named after it. */
  const serviceTask = (name: string, service: string, image: string): Fixture => ({
    type: TD,
    name,
    props: {
      tags: { component: "service", service, colour: "blue" },
      containerDefinitions: JSON.stringify([
        { name: service, image },
        { name: "xray-daemon", image: xray },
      ]),
    },
  });

  // The newest image is compared with the source's once for the service, not again per container.
  it("compares each service with the same service in stage", async () => {
    const image = `${repo}@${digest("1")}`;
    const newer = `${registry}/trading-worker@${digest("8")}`;
    const prodFile = stackFile("prod", image);
    fs.writeFileSync(prodFile, fs.readFileSync(prodFile, "utf8").replace(worker, newer));
    const found = await prod(
      [serviceTask("api-blue", "api", image), serviceTask("worker-blue", "worker", newer)],
      stackFile("stage", image),
      prodFile,
    );
    expect(found).toEqual([
      {
        message: `Set services.worker.image to ${worker}: prod runs exactly the digest committed for stage (prod declares ${newer}).`,
        enforcementLevel: "mandatory",
      },
    ]);
  });

  it("reports a service's container running another service's image, both promoted", async () => {
    const image = `${repo}@${digest("1")}`;
    const found = await prod(
      [serviceTask("api-blue", "api", image), serviceTask("worker-blue", "worker", image)],
      stackFile("stage", image),
      stackFile("prod", image),
    );
    expect(found).toEqual([
      {
        message: `Run ${worker} in container worker of worker-blue: service worker runs only the images its stack file names for it (found ${image}, named as services.api.image).`,
        urn: urnOf("prod", TD, "worker-blue"),
        enforcementLevel: "mandatory",
      },
    ]);
  });

  it("reports a service prod declares and stage does not, and passes the services both declare", async () => {
    const image = `${repo}@${digest("1")}`;
    const stageFile = stackFile("stage", image);
    // Stage without its worker: the block from the worker's comment to observability.
    const text = fs.readFileSync(stageFile, "utf8");
    const cut = text.replace(/\n\s+# Background jobs[\s\S]*?(?=\n {2}envstack:observability)/, "");
    expect(cut).not.toBe(text);
    fs.writeFileSync(stageFile, cut);
    const found = await prod(
      [serviceTask("api-blue", "api", image), serviceTask("worker-blue", "worker", worker)],
      stageFile,
      stackFile("prod", image),
    );
    expect(found).toEqual([
      {
        message: `Declare service worker in stage's stack file first, or remove it from prod's: every service prod runs has run in stage (prod declares services.worker, stage does not).`,
        enforcementLevel: "mandatory",
      },
      {
        message: `Run an image stage's stack file names in container worker of worker-blue (${image} or ${xray}), or promote ${worker} through stage first: every image prod runs has run in stage (prod names it as services.worker.image).`,
        urn: urnOf("prod", TD, "worker-blue"),
        enforcementLevel: "mandatory",
      },
    ]);
  });

  it("reports an unreadable baseline instead of throwing", async () => {
    const found = await prod(
      [],
      path.join(tmp, "stage-missing.yaml"),
      stackFile("prod", `${repo}@${digest("1")}`),
    );
    expect(found.map((v) => v.message)).toEqual([
      `Fix the stage baseline before this check can run: ${path.join(tmp, "stage-missing.yaml")}: (file): expected a readable stack file, found ENOENT`,
    ]);
  });

  describe("the migration version, promoted like the digest", () => {
    const ECS_SVC = "aws:ecs/service:Service";
    const production = environments().production;
    const rehearsal = environments().previous(production)!;
    const development = environments().previous(rehearsal)!;
    const image = `${repo}@${digest("1")}`;
    /** A committed stack file with the api's migration version set, or its migrations removed. */
    const withVersion = (stack: StackName, version: string | null) => {
      const file = stackFile(stack, image);
      const text = fs.readFileSync(file, "utf8");
      fs.writeFileSync(
        file,
        version === null
          ? text.replace(/\n\s+migrations:\n\s+command: .*\n\s+version: .*/, "")
          : text.replace(/(\n\s+version: ).*/, `$1"${version}"`),
      );
      return file;
    };
    /** An ECS service as the program declares it: smoke hook, then the migration hook if any. */
    const ecsService = (name: string, service: string, version?: string): Fixture => ({
      type: ECS_SVC,
      name,
      props: {
        tags: { component: "service", service },
        deploymentConfiguration: {
          strategy: "BLUE_GREEN",
          lifecycleHooks: [
            { lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"], hookDetails: "{}" },
            ...(version === undefined
              ? []
              : [
                  {
                    lifecycleStages: ["PRE_SCALE_UP"],
                    hookDetails: migrateHookDetails(service, {
                      command: ["./migrate", "up"],
                      version,
                    }),
                  },
                ]),
          ],
        },
      },
    });
    const check = (stack: StackName, fixtures: Fixture[], ...files: string[]) =>
      checkStack(
        stack,
        stack === production ? "prod-runs-stage-digest" : "stage-runs-dev-digest",
        fixtures,
        config(...files),
      );

    it("passes prod migrating to stage's version, a worker running none", async () => {
      const found = await check(
        production,
        [ecsService("api-svc", "api", "7"), ecsService("worker-svc", "worker")],
        withVersion(rehearsal, "7"),
        withVersion(production, "7"),
      );
      expect(found).toEqual([]);
    });

    it("reports prod's committed version differing from stage's, mandatory", async () => {
      const found = await check(
        production,
        [ecsService("api-svc", "api", "8")],
        withVersion(rehearsal, "7"),
        withVersion(production, "8"),
      );
      expect(found).toEqual([
        {
          message: `Set services.api.migrations.version to 7: ${production} migrates to exactly the version committed for ${rehearsal} (${production} declares 8).`,
          enforcementLevel: "mandatory",
        },
      ]);
    });

    it("reports a migration hook hand-edited in code, on the ECS service", async () => {
      const found = await check(
        production,
        [ecsService("api-svc", "api", "9")],
        withVersion(rehearsal, "7"),
        withVersion(production, "7"),
      );
      expect(found).toEqual([
        {
          message: `Run migration version 7 in the PRE_SCALE_UP hook of api-svc: service api migrates only to the version its stack file names, which ${rehearsal} ran (found 9).`,
          urn: urnOf(production, ECS_SVC, "api-svc"),
          enforcementLevel: "mandatory",
        },
      ]);
    });

    it("reports a migration hook the stack file does not declare", async () => {
      const found = await check(
        production,
        [ecsService("api-svc", "api", "7")],
        withVersion(rehearsal, null),
        withVersion(production, null),
      );
      expect(found.map((v) => [v.message, v.urn])).toEqual([
        [
          `Remove the PRE_SCALE_UP migration hook from api-svc, or declare services.api.migrations in ${production}'s stack file: ${production} runs only the migrations its stack file names (found version 7).`,
          urnOf(production, ECS_SVC, "api-svc"),
        ],
      ]);
    });

    it("reports a migration prod declares and stage never ran", async () => {
      const found = await check(
        production,
        [ecsService("api-svc", "api", "7")],
        withVersion(rehearsal, null),
        withVersion(production, "7"),
      );
      expect(found.map((v) => v.message)).toEqual([
        `Declare services.api.migrations in ${rehearsal}'s stack file first, or remove it from ${production}'s: ${production} migrates only to versions ${rehearsal} ran (${production} declares version 7, ${rehearsal} no migration).`,
      ]);
    });

    it("reports stage's version behind dev's, and a hand-edited hook, as advisory", async () => {
      const found = await check(
        rehearsal,
        [ecsService("api-svc", "api", "5")],
        withVersion(development, "7"),
        withVersion(rehearsal, "6"),
      );
      expect(found.filter((v) => /migrat/.test(v.message))).toEqual([
        {
          message: `Set services.api.migrations.version to 7: ${rehearsal} migrates to exactly the version committed for ${development} (${rehearsal} declares 6).`,
          enforcementLevel: "advisory",
        },
        {
          message: `Run migration version 6 in the PRE_SCALE_UP hook of api-svc: service api migrates only to the version its stack file names, which ${development} ran (found 5).`,
          urn: urnOf(rehearsal, ECS_SVC, "api-svc"),
          enforcementLevel: "advisory",
        },
      ]);
    });

    it("notes a deployment configuration unknown during preview", async () => {
      const found = await check(
        production,
        [{ type: ECS_SVC, name: "api-svc", props: { deploymentConfiguration: UNKNOWN.object } }],
        withVersion(rehearsal, "7"),
        withVersion(production, "7"),
      );
      expect(found).toEqual([
        {
          message: expect.stringMatching(
            /^Cannot check the migration version of api-svc during preview: .+\.$/,
          ) as string,
          urn: urnOf(production, ECS_SVC, "api-svc"),
          enforcementLevel: "advisory",
        },
      ]);
    });
  });
});

describe("services-run-declared-task-definitions", () => {
  const NAME = "services-run-declared-task-definitions";
  const TD = "aws:ecs/taskDefinition:TaskDefinition";
  const SERVICE = "aws:ecs/service:Service";
  const arn = (family: string, revision = 1) =>
    `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;
  const tasks = (stack: StackName): Fixture[] =>
    ["blue", "green"].map((colour) => ({
      type: TD,
      name: `service-task-${colour}`,
      props: { family: `trading-${stack}-${colour}` },
    }));
  /** A service per colour; `blue` overrides the blue one's taskDefinition (and dependencies). */
  const services = (
    stack: StackName,
    blue?: { value: unknown; dependsOn?: string[]; type?: string },
  ): Fixture[] =>
    ["blue", "green"].map((colour) => {
      const own = urnOf(stack, TD, `service-task-${colour}`);
      const edit = colour === "blue" ? blue : undefined;
      return {
        type: edit?.type ?? SERVICE,
        name: `service-svc-${colour}`,
        props: { taskDefinition: edit ? edit.value : arn(`trading-${stack}-${colour}`) },
        propertyDependencies: { taskDefinition: edit ? (edit.dependsOn ?? []) : [own] },
      };
    });
  const levelIn = (stack: StackName) => (stack === "dev" ? "advisory" : "mandatory");

  describe.each(environments().names)("in %s", (stack) => {
    const blueTd = urnOf(stack, TD, "service-task-blue");
    const family = `trading-${stack}-blue`;

    it.each<[string, { value: unknown; dependsOn?: string[]; type?: string }]>([
      [
        "each colour wired to its declared task definition",
        { value: arn(family), dependsOn: [blueTd] },
      ],
      [
        "a value unknown during preview that depends on a declared one",
        { value: UNKNOWN.string, dependsOn: [blueTd] },
      ],
      ["a literal ARN of a declared family", { value: arn(family, 7) }],
      ["a literal family:revision of a declared family", { value: `${family}:7` }],
      ["a bare declared family (its latest ACTIVE revision)", { value: family }],
      [
        "a task set wired to a declared task definition",
        { value: arn(family), dependsOn: [blueTd], type: "aws:ecs/taskSet:TaskSet" },
      ],
    ])("passes %s", async (_title, blue) => {
      expect(await checkStack(stack, NAME, [...tasks(stack), ...services(stack, blue)])).toEqual(
        [],
      );
    });

    it.each<[string, { value: unknown; dependsOn?: string[]; type?: string }, string]>([
      [
        "a literal ARN of another task definition",
        { value: arn("other", 3) },
        `the declared task definition (family trading-${stack}-blue or trading-${stack}-green)`,
      ],
      [
        "a family:revision of another family",
        { value: "other:3" },
        `the declared task definition (family trading-${stack}-blue or trading-${stack}-green)`,
      ],
      [
        "another family while wired to a declared one",
        { value: arn("other", 3), dependsOn: [blueTd] },
        `the declared task definition (family trading-${stack}-blue)`,
      ],
      [
        "an ARN that is not a task definition's",
        { value: "arn:aws:ecs:eu-west-1:123456789012:service/cluster/x" },
        `the declared task definition (family trading-${stack}-blue or trading-${stack}-green)`,
      ],
      [
        "a task set running another task definition",
        { value: arn("other", 3), type: "aws:ecs/taskSet:TaskSet" },
        `the declared task definition (family trading-${stack}-blue or trading-${stack}-green)`,
      ],
    ])("reports %s, on the service", async (_title, blue, expected) => {
      const found = await checkStack(stack, NAME, [...tasks(stack), ...services(stack, blue)]);
      expect(found).toEqual([
        {
          message: `Set taskDefinition on service-svc-blue to ${expected}: ${stack} services run only declared task definitions, whose images the promotion checks see (found ${String(blue.value)}).`,
          urn: urnOf(stack, blue.type ?? SERVICE, "service-svc-blue"),
          enforcementLevel: levelIn(stack),
        },
      ]);
    });

    it("reports a value unknown during preview that depends on no declared task definition", async () => {
      const found = await checkStack(stack, NAME, [
        ...tasks(stack),
        ...services(stack, { value: UNKNOWN.string }),
      ]);
      expect(found).toEqual([
        {
          message: `Set taskDefinition on service-svc-blue to a task definition the stack declares: ${stack} services run only declared task definitions (found a value unknown during preview that depends on none).`,
          urn: urnOf(stack, SERVICE, "service-svc-blue"),
          enforcementLevel: levelIn(stack),
        },
      ]);
    });
  });
});

describe("suppressions", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-suppressions-"));
  function file(entries: unknown): string {
    const f = path.join(tmp, `${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(f, JSON.stringify({ suppressions: entries }));
    return f;
  }
  const EXPIRES = latestExpiry(today());
  const entry = (extra: Record<string, unknown> = {}) => ({
    policy: "database-backup-retention",
    stack: "prod",
    resource: "aws:rds/instance:Instance::database-primary",
    reason: "Restored from a snapshot; retention raised in the next change window.",
    owner: "@dba-team",
    expires: EXPIRES,
    ...extra,
  });
  const dayAfter = (date: string) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const db: Fixture = {
    type: "aws:rds/instance:Instance",
    name: "database-primary",
    props: { backupRetentionPeriod: 3 },
  };
  const original =
    "Set backupRetentionPeriod to at least 7 on database-primary: prod keeps at least 7 days of backups (found 3).";

  it("lowers a matching violation to advisory and says who owns it", async () => {
    const found = await checkResource("prod", "database-backup-retention", db, {
      suppressionsFile: file([entry()]),
    });
    expect(found).toEqual([
      {
        message: `Suppressed (owner @dba-team, expires ${EXPIRES}): Restored from a snapshot; retention raised in the next change window. Original: ${original}`,
        enforcementLevel: "advisory",
      },
    ]);
    expect(parseSuppressedMessage(found[0]!.message)).toEqual({
      owner: "@dba-team",
      expires: EXPIRES,
      reason: "Restored from a snapshot; retention raised in the next change window",
      original,
    });
  });

  it("matches by URN too, which names its stack", async () => {
    const urn = urnOf("prod", "aws:rds/instance:Instance", "database-primary");
    const found = await checkResource("prod", "database-backup-retention", db, {
      suppressionsFile: file([entry({ resource: urn, stack: undefined })]),
    });
    expect(found.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    const elsewhere = await checkResource("stage", "database-backup-retention", db, {
      suppressionsFile: file([entry({ resource: urn, stack: undefined })]),
    });
    expect(elsewhere.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
  });

  it("applies in its own stack only", async () => {
    const f = file([entry({ stack: "stage" })]);
    expect(
      await checkResource("prod", "database-backup-retention", db, { suppressionsFile: f }),
    ).toEqual([{ message: original, enforcementLevel: "mandatory" }]);
    expect(await messages("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual(
      [],
    );
    const found = await checkResource("stage", "database-backup-retention", db, {
      suppressionsFile: f,
    });
    expect(found.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
  });

  it("reports an entry that matches no violation in its stack as stale", async () => {
    const f = file([entry({ resource: "aws:rds/instance:Instance::database-replica" })]);
    expect(
      await checkResource("prod", "database-backup-retention", db, { suppressionsFile: f }),
    ).toEqual([{ message: original, enforcementLevel: "mandatory" }]);
    expect(await checkStack("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual(
      [
        {
          message: `Remove the suppression of database-backup-retention for aws:rds/instance:Instance::database-replica in prod (${f}: suppressions[0]): it matches no violation in prod, so it suppresses nothing.`,
          enforcementLevel: "advisory",
        },
      ],
    );
    const used = file([entry()]);
    await checkResource("prod", "database-backup-retention", db, { suppressionsFile: used });
    expect(
      await messages("prod", "suppressions-are-valid", [], { suppressionsFile: used }),
    ).toEqual([]);
  });

  it.each([
    [
      "a <type>::<name> entry without its stack",
      { stack: undefined },
      "stack",
      "the stack the resource is in (dev, stage, prod): <type>::<name> names a resource in every stack",
      "nothing (the key is missing)",
    ],
    [
      "an unknown stack",
      { stack: "production" },
      "stack",
      "one of dev, stage, prod",
      'string "production"',
    ],
    [
      "a stack the URN contradicts",
      { resource: "urn:pulumi:stage::envstack::aws:rds/instance:Instance::database-primary" },
      "stack",
      '"stage", the stack the resource\'s URN names (or no stack key)',
      'string "prod"',
    ],
    [
      "a * wildcard",
      { resource: "aws:rds/instance:Instance::database-*" },
      "resource",
      "one resource named exactly (no wildcards or patterns)",
      'string "aws:rds/instance:Instance::database-*"',
    ],
    [
      "a ? wildcard",
      { resource: "aws:rds/instance:Instance::database-primar?" },
      "resource",
      "one resource named exactly (no wildcards or patterns)",
      'string "aws:rds/instance:Instance::database-primar?"',
    ],
    [
      "a regular expression",
      { resource: "aws:rds/instance:Instance::database-(primary|replica)" },
      "resource",
      "one resource named exactly (no wildcards or patterns)",
      'string "aws:rds/instance:Instance::database-(primary|replica)"',
    ],
    [
      "a URN pattern",
      {
        resource: "urn:pulumi:prod::envstack::aws:rds/instance:Instance::[a-z]+",
        stack: undefined,
      },
      "resource",
      "one resource named exactly (no wildcards or patterns)",
      'string "urn:pulumi:prod::envstack::aws:rds/instance:Instance::[a-z]+"',
    ],
    [
      "an attribute wildcard",
      { attribute: "database.*" },
      "attribute",
      "one attribute named exactly (no wildcards or patterns)",
      'string "database.*"',
    ],
  ])("refuses %s, and applies none of it", async (_what, extra, key, expected, found) => {
    const f = file([entry(extra)]);
    expect(await messages("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Fix the suppressions file: ${f}: suppressions[0].${key}: expected ${expected}, found ${found}.`,
    ]);
    const violations = await checkResource("prod", "database-backup-retention", db, {
      suppressionsFile: f,
    });
    expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
  });

  it("refuses an expiry more than a year ahead, and accepts one exactly a year ahead", async () => {
    const late = dayAfter(EXPIRES);
    const f = file([entry({ expires: late })]);
    expect(await messages("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Fix the suppressions file: ${f}: suppressions[0].expires: expected an expiry at most one year ahead (on or before ${EXPIRES}), found string "${late}".`,
    ]);
    expect(
      await checkResource("prod", "database-backup-retention", db, { suppressionsFile: f }),
    ).toEqual([{ message: original, enforcementLevel: "mandatory" }]);
    expect(latestExpiry("2026-11-22")).toBe("2027-11-22");
    expect(latestExpiry("2028-02-29")).toBe("2029-03-01");
  });

  it("asks a policy that reports several attributes for exactly one, and others for none", async () => {
    const parity = {
      policy: "stage-mirrors-prod",
      stack: "stage",
      resource: "aws:rds/instance:Instance::database-primary",
    };
    const attributes = stageMirrorsProd.attributes ?? [];
    expect(attributes).toContain("database.multiAz");
    const f = file([
      entry(parity),
      entry({ ...parity, attribute: "database.colour" }),
      entry({ attribute: "backupRetentionPeriod" }),
    ]);
    expect(await messages("stage", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Fix the suppressions file: ${f}: suppressions[0].attribute: expected one of the attributes stage-mirrors-prod reports (${attributes.join(", ")}), found nothing (the key is missing).`,
      `Fix the suppressions file: ${f}: suppressions[1].attribute: expected one of the attributes stage-mirrors-prod reports (${attributes.join(", ")}), found "database.colour".`,
      `Fix the suppressions file: ${f}: suppressions[2].attribute: expected no attribute (database-backup-retention reports none), found "backupRetentionPeriod".`,
    ]);
  });

  it("stops suppressing once expired, and the suppressions policy reports the expiry", async () => {
    const f = file([entry({ expires: "2001-01-31" })]);
    expect(
      await checkResource("prod", "database-backup-retention", db, { suppressionsFile: f }),
    ).toEqual([{ message: original, enforcementLevel: "mandatory" }]);
    expect(await checkStack("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual(
      [
        {
          message:
            "Renew or remove the suppression for aws:rds/instance:Instance::database-primary in prod: it expired on 2001-01-31 (owner @dba-team), so the violation is enforced again.",
          enforcementLevel: "advisory",
        },
      ],
    );
  });

  it("never suppresses prod's image promotion, and reports the attempt", async () => {
    const f = file([
      entry({
        policy: "prod-runs-stage-digest",
        resource: "urn:pulumi:prod::envstack::pulumi:pulumi:Stack::envstack-prod",
      }),
    ]);
    expect(await messages("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Remove the suppression of prod-runs-stage-digest for urn:pulumi:prod::envstack::pulumi:pulumi:Stack::envstack-prod (${f}: suppressions[0]): prod-runs-stage-digest can never be suppressed.`,
    ]);
  });

  it("never suppresses the approvals", async () => {
    const f = file([
      entry({
        policy: "branch-rules-match-promotion-model",
        resource: `${RULESET}::prod-branches`,
      }),
    ]);
    const fixtures = withPullRequest("prod", { requiredApprovingReviewCount: 1 });
    const found = await checkStack(
      "prod",
      "branch-rules-match-promotion-model",
      guarded("prod", fixtures),
      { suppressionsFile: f },
    );
    const onRuleset = found.filter(
      (v) => v.urn === urnOf(environments().production, RULESET, "prod-branches"),
    );
    expect(onRuleset.length).toBeGreaterThan(0);
    expect(new Set(found.map((v) => v.enforcementLevel))).toEqual(new Set(["mandatory"]));
  });

  it("names file, key, expected and found for a malformed entry, and applies none of it", async () => {
    const f = file([entry({ reason: "too short", expires: "2999-02-30", owner: undefined })]);
    expect(await messages("prod", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Fix the suppressions file: ${f}: suppressions[0].reason: expected a reason of at least 20 characters, found string "too short".`,
      `Fix the suppressions file: ${f}: suppressions[0].owner: expected a string, found nothing (the key is missing).`,
      `Fix the suppressions file: ${f}: suppressions[0].expires: expected an expiry date written YYYY-MM-DD, found string "2999-02-30".`,
    ]);
    const found = await checkResource("prod", "database-backup-retention", db, {
      suppressionsFile: f,
    });
    expect(found.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
  });

  it("reports an unknown policy name and a missing file", async () => {
    const f = file([entry({ policy: "no-such-policy" })]);
    expect(await messages("dev", "suppressions-are-valid", [], { suppressionsFile: f })).toEqual([
      `Fix the suppressions file: ${f}: suppressions[0].policy: expected one of the pack's suppressible policies, found "no-such-policy".`,
    ]);
    const missing = path.join(tmp, "none.yaml");
    expect(
      await messages("dev", "suppressions-are-valid", [], { suppressionsFile: missing }),
    ).toEqual([
      `Fix the suppressions file: ${missing}: (file): expected a readable suppressions file, found ENOENT.`,
    ]);
  });

  it("ships an empty, valid suppressions file", async () => {
    expect(await messages("prod", "suppressions-are-valid", [])).toEqual([]);
  });

  it("reads nothing into a message that is not a suppression", () => {
    expect(parseSuppressedMessage(original)).toBeUndefined();
    expect(
      parseSuppressedMessage(
        `Checks whether...\nSuppressed (owner a, expires 2030-01-01): long enough reason. Original: x`,
      ),
    ).toEqual({
      owner: "a",
      expires: "2030-01-01",
      reason: "long enough reason",
      original: "x",
    });
  });
});

describe("enforcement levels from the policy config", () => {
  const db: Fixture = {
    type: "aws:rds/instance:Instance",
    name: "database-primary",
    props: { backupRetentionPeriod: 0 },
  };
  const vpc: Fixture = {
    type: "aws:ec2/vpc:Vpc",
    name: "network-vpc",
    props: { cidrBlock: "10.30.1.0/16" },
  };
  const levels = async (stack: StackName, name: string, fixture: Fixture, level?: string) =>
    (
      await checkResource(
        stack,
        name,
        fixture,
        level === undefined ? {} : { enforcementLevel: level },
      )
    ).map((v) => v.enforcementLevel);

  it.each([
    ["prod", undefined, ["mandatory"]],
    ["prod", "advisory", ["advisory"]],
    ["prod", "disabled", []],
    ["dev", undefined, ["advisory"]],
    ["dev", "mandatory", ["mandatory"]],
    ["dev", "remediate", ["mandatory"]],
  ] as const)(
    "reports a suppressible policy in %s configured %s at %j",
    async (stack, level, expected) => {
      expect(await levels(stack, "database-backup-retention", db, level)).toEqual(expected);
    },
  );

  it("keeps an unsuppressible policy at its floor when the config lowers it", async () => {
    expect(await levels("stage", "vpc-cidr-valid", vpc, "advisory")).toEqual(["mandatory"]);
    expect(await levels("stage", "vpc-cidr-valid", vpc)).toEqual(["mandatory"]);
  });

  it("still lowers a suppressed violation of a policy the config raised", async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-levels-")), "s.yaml");
    fs.writeFileSync(
      f,
      JSON.stringify({
        suppressions: [
          {
            policy: "database-backup-retention",
            stack: "dev",
            resource: "aws:rds/instance:Instance::database-primary",
            reason: "Restored from a snapshot; retention raised in the next change window.",
            owner: "@dba-team",
            expires: latestExpiry(today()),
          },
        ],
      }),
    );
    const found = await checkResource("dev", "database-backup-retention", db, {
      enforcementLevel: "mandatory",
      suppressionsFile: f,
    });
    expect(found.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
  });
});
