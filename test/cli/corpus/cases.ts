import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  environments,
  loadSpecFromFile,
  stackFileName,
  stackFileOf,
  type StackName,
} from "../../../src/model";

/**
 * Programs written the ways people write Pulumi programs, each a project directory whose
 * Pulumi.yaml names its program, with the verdict `pulumi preview --policy-pack policies` gives on
 * each stack, reasoned from the engine's behaviour and the pack. Most extend the envstack program
 * (test/cli/corpus/shared/environment.js requires its compiled entry) with resources in one
 * style. Any way of judging a program (the gate, or another) can iterate over CORPUS.
 */

const ROOT = path.resolve(__dirname, "..", "..", "..");

export type Enforcement = "mandatory" | "advisory";

/** A violation as a verdict is compared: its policy, level and resource (empty: stack-wide). */
export interface ExpectedViolation {
  readonly policy: string;
  readonly enforcement: Enforcement;
  readonly urn: string;
}

/** A resource a case's program adds, by its type chain (parents' types joined by `$`) and name. */
export interface Declared {
  readonly type: string;
  readonly name: string;
}

export interface CorpusCase {
  readonly name: string;
  /** The project directory: its Pulumi.yaml names the program. */
  readonly dir: string;
  /** The project's name (Pulumi.yaml `name`): every URN carries it. */
  readonly project: string;
  /** What the case shows and why its verdict is what the engine and the pack give. */
  readonly why: string;
  /** The stacks it is judged on. */
  readonly stacks: readonly StackName[];
  /** Resources the program adds to the envstack program's, which every run must register. */
  readonly declares: readonly Declared[];
  /** The violations the added resources bring, per stack (beyond the envstack program's own). */
  readonly adds: (stack: StackName) => readonly ExpectedViolation[];
  /**
   * Set when the case shows how the program is found and started, which every judge shares (the
   * judges differ only in how the registered resources reach the pack), so judging it both ways
   * shows nothing the other cases do not.
   */
  readonly about?: "loading";
}

/** A URN as the engine builds it: `urn:pulumi:<stack>::<project>::<type chain>::<name>`. */
export function urnOf(stack: string, project: string, declared: Declared): string {
  return `urn:pulumi:${stack}::${project}::${declared.type}::${declared.name}`;
}

/** The image each service of a stack runs. */
function newestImages(file: string, stack: StackName): Record<string, string> {
  const { services } = loadSpecFromFile(file, stack);
  return Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.image]));
}

/**
 * The envstack program's own verdict on the given stack files. The committed files pass every
 * policy (the plain case asserts it) except, as the files stand, the promotion rules on the image
 * digests, one per service: stage is told (advisory) when a service does not run dev's image,
 * prod (mandatory, stack-wide) when one does not run stage's.
 */
export function envstackVerdict(
  stack: StackName,
  files: Readonly<Record<StackName, string>>,
): ExpectedViolation[] {
  const images = (s: StackName) => loadSpecFromFile(stackFileOf(files, s), s).services;
  const behind = (target: StackName, source: StackName) =>
    Object.entries(newestImages(stackFileOf(files, target), target)).filter(
      ([name, newest]) => newest !== images(source)[name]?.image,
    );
  if (stack === "stage")
    return behind("stage", "dev").map(() => ({
      policy: "stage-runs-dev-digest",
      enforcement: "advisory",
      urn: "",
    }));
  if (stack === "prod")
    return behind("prod", "stage").map(() => ({
      policy: "prod-runs-stage-digest",
      enforcement: "mandatory",
      urn: "",
    }));
  return [];
}

/** The verdict a case gives on a stack with the given stack files. */
export function expectedVerdict(
  c: CorpusCase,
  stack: StackName,
  files: Readonly<Record<StackName, string>>,
): ExpectedViolation[] {
  return [...envstackVerdict(stack, files), ...c.adds(stack)];
}

/** Copies of the committed stack files in a directory of their own, as a run's --config-file. */
export function corpusStackFiles(): Record<StackName, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-corpus-"));
  return Object.fromEntries(
    environments().names.map((stack) => {
      const file = path.join(dir, stackFileName(stack));
      fs.copyFileSync(path.join(ROOT, stackFileName(stack)), file);
      return [stack, file];
    }),
  ) as Record<StackName, string>;
}

const SQS = "aws:sqs/queue:Queue";
const SSM = "aws:ssm/parameter:Parameter";
const corpus = (name: string) => path.join(__dirname, name);
const none = () => [];
/** A resource-level violation at the level the policy has in each stack (policies/catalog.ts). */
const at =
  (
    policy: string,
    levels: Partial<Record<StackName, Enforcement>>,
    urn: (s: StackName) => string,
  ) =>
  (stack: StackName): ExpectedViolation[] => {
    const enforcement = levels[stack];
    return enforcement ? [{ policy, enforcement, urn: urn(stack) }] : [];
  };

export const CORPUS: readonly CorpusCase[] = [
  {
    name: "plain",
    about: "loading",
    dir: ROOT,
    project: "envstack",
    why: "The project's own Pulumi.yaml and program (dist/src/program/main.js): the verdict every other case builds on.",
    stacks: environments().names,
    declares: [],
    adds: none,
  },
  {
    name: "component-children",
    dir: corpus("component-children"),
    project: "envstack",
    why: "A component's children inherit the provider given to it (`providers`), so they carry the stack's default tags: SQS queues face only required-tags, which they pass. Run on every stack: each needs a fresh instance of the program's modules.",
    stacks: environments().names,
    declares: [
      { type: "corpus:queues:WorkQueue", name: "orders" },
      { type: `corpus:queues:WorkQueue$${SQS}`, name: "orders-dlq" },
      { type: `corpus:queues:WorkQueue$${SQS}`, name: "orders-queue" },
    ],
    adds: none,
  },
  {
    name: "resource-inputs",
    dir: corpus("resource-inputs"),
    project: "envstack",
    why: 'A role object passed as `role`: the engine hands the pack the reference as the role\'s ID (unknown for a role a preview creates), and no-iam-wildcard-admin judges the policy document, which allows "*" on "*": advisory in dev, mandatory in stage. The role itself has the boundary and an ECS trust, so passes.',
    stacks: ["dev", "stage"],
    declares: [
      { type: "aws:iam/role:Role", name: "corpus-worker" },
      { type: "aws:iam/rolePolicy:RolePolicy", name: "corpus-worker-admin" },
    ],
    adds: at("no-iam-wildcard-admin", { dev: "advisory", stage: "mandatory" }, (stack) =>
      urnOf(stack, "envstack", {
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "corpus-worker-admin",
      }),
    ),
  },
  {
    name: "apply-chain",
    dir: corpus("apply-chain"),
    project: "envstack",
    why: "A parameter name from an apply chain over a plain value is known in a preview and lies under /<stack>/<app>/ (aws-names-scoped passes); its value, an apply on the queue's computed URL, is unknown, which no policy of a parameter reads.",
    stacks: ["stage"],
    declares: [
      { type: SQS, name: "corpus-jobs" },
      { type: SSM, name: "corpus-jobs-endpoint" },
    ],
    adds: none,
  },
  {
    name: "all",
    dir: corpus("all"),
    project: "envstack",
    why: "pulumi.all over known values (config, an input echoed by the preview) gives a known, scoped name; over a computed URL it gives an unknown value. Both pass.",
    stacks: ["stage"],
    declares: [
      { type: SQS, name: "corpus-audit" },
      { type: SSM, name: "corpus-audit-queue" },
    ],
    adds: none,
  },
  {
    name: "stack-reference",
    dir: corpus("stack-reference"),
    project: "envstack",
    why: "A stack reference is read, not registered: it is no resource the pack judges. Its outputs feed a parameter's value, which no policy reads; the parameter's name is scoped. (The engine reads the outputs from the backend; offline they are unknown.)",
    stacks: ["stage"],
    declares: [{ type: SSM, name: "corpus-shared-vpc" }],
    adds: none,
  },
  {
    name: "ignore-changes",
    dir: corpus("ignore-changes"),
    project: "envstack",
    why: "ignoreChanges keeps a live value across updates; a resource a preview creates is created with its declared inputs, so required-tags sees env=shared over the provider's env tag: mandatory in stage.",
    stacks: ["stage"],
    declares: [{ type: SQS, name: "corpus-shared-inbox" }],
    adds: at("required-tags", { stage: "mandatory" }, (stack) =>
      urnOf(stack, "envstack", { type: SQS, name: "corpus-shared-inbox" }),
    ),
  },
  {
    name: "aliases",
    dir: corpus("aliases"),
    project: "envstack",
    why: "Aliases map a resource's old URNs onto its new one; with no state to match, each is created under its new URN and judged as declared (tagged, so it passes).",
    stacks: ["stage"],
    declares: [
      { type: "corpus:queues:Mailbox", name: "corpus-mailbox" },
      { type: `corpus:queues:Mailbox$${SQS}`, name: "corpus-mailbox-queue" },
      { type: SQS, name: "corpus-outbox" },
    ],
    adds: none,
  },
  {
    name: "depends-on",
    dir: corpus("depends-on"),
    project: "envstack",
    why: "A bucket with its versioning and public access block attached through `bucket: bucket.id` (a property dependency, which buckets-versioned-and-private follows even while the ID is unknown) and ordered with dependsOn: it passes.",
    stacks: ["stage"],
    declares: [
      { type: "aws:s3/bucket:Bucket", name: "corpus-exports" },
      { type: "aws:s3/bucketVersioning:BucketVersioning", name: "corpus-exports-versioning" },
      {
        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        name: "corpus-exports-public-access",
      },
      { type: SQS, name: "corpus-exports-events" },
    ],
    adds: none,
  },
  {
    name: "secrets",
    dir: corpus("secrets"),
    project: "envstack",
    why: "A secret parameter value and a secret export: the pack receives the value wrapped as a secret, and no policy of a parameter reads it; the name is scoped.",
    stacks: ["stage"],
    declares: [{ type: SSM, name: "corpus-token" }],
    adds: none,
  },
  {
    name: "unknown-export",
    dir: corpus("unknown-export"),
    project: "envstack",
    why: "Exports of a computed URL and applies on it are unknown in a preview: the engine records them unknown without waiting, and the queue passes.",
    stacks: ["stage"],
    declares: [{ type: SQS, name: "corpus-unknowns" }],
    adds: none,
  },
  {
    name: "apply-resource",
    dir: corpus("apply-resource"),
    project: "envstack",
    why: "A queue created inside an apply on a value known in a preview (config) is registered; declared without the stack's provider, it gets the default provider, which sets no default tags: required-tags, mandatory in stage.",
    stacks: ["stage"],
    declares: [{ type: SQS, name: "corpus-late" }],
    adds: at("required-tags", { stage: "mandatory" }, (stack) =>
      urnOf(stack, "envstack", { type: SQS, name: "corpus-late" }),
    ),
  },
  {
    name: "typescript",
    about: "loading",
    dir: corpus("typescript"),
    project: "envstack",
    why: "A TypeScript main, TypeScript on (the default), run through ts-node with the tsconfig the runtime options name. Its component's role lacks the stack's permissions boundary: iam-permissions-boundary, mandatory in every stack.",
    stacks: ["dev"],
    declares: [
      { type: "corpus:workers:Worker", name: "corpus-worker" },
      { type: "corpus:workers:Worker$aws:iam/role:Role", name: "corpus-worker-role" },
    ],
    adds: at("iam-permissions-boundary", { dev: "mandatory" }, (stack) =>
      urnOf(stack, "envstack", {
        type: "corpus:workers:Worker$aws:iam/role:Role",
        name: "corpus-worker-role",
      }),
    ),
  },
  {
    name: "function-export",
    about: "loading",
    dir: corpus("function-export"),
    project: "envstack",
    why: "The module exports an async function: the engine calls it and awaits its result, the stack's outputs. The envstack program is required inside it, so every stack needs it loaded afresh.",
    stacks: environments().names,
    declares: [{ type: SQS, name: "corpus-async" }],
    adds: none,
  },
  {
    name: "main-directory",
    about: "loading",
    dir: corpus("main-directory"),
    project: "envstack",
    why: "`main` names a directory: the program runs from it, and is what its package manifest names, else its index.js (without a manifest of its own, the nearest one above names the program: this project's). Its tagged queue passes.",
    stacks: ["stage"],
    declares: [{ type: SQS, name: "corpus-from-directory" }],
    adds: none,
  },
  {
    name: "package-main",
    about: "loading",
    dir: corpus("package-main"),
    project: "envstack",
    why: "No `main`: the program is the file the package manifest's `main` names. Its tagged queue passes.",
    stacks: ["stage"],
    declares: [{ type: SQS, name: "corpus-from-package" }],
    adds: none,
  },
  {
    name: "project-name",
    dir: corpus("project-name"),
    project: "envstack-corpus",
    why: "Another project name: every URN carries it, and the pack is started for it; the policies do not depend on it.",
    stacks: ["stage"],
    declares: [],
    adds: none,
  },
];
