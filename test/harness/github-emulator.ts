import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { conditionApplies, fnmatch } from "../../src/model/fnmatch";

/**
 * GitHub's branch rules, emulated over a real git repository so a branch model can be replayed
 * offline. Each rule follows GitHub's documentation (links beside the code that applies it):
 *
 * - rulesets: "Require a pull request before merging", "Restrict creations / updates /
 *   deletions", "Require linear history", "Require deployments to succeed before merging",
 *   "Require status checks to pass" with "Require branches to be up to date":
 *   https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets
 * - strict checks: an out-of-date branch must have the base merged into it first:
 *   https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/collaborating-on-repositories-with-code-quality-features/troubleshooting-required-status-checks
 * - merge methods (merge commit with --no-ff, squash, rebase with new SHAs always):
 *   https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/about-merge-methods-on-github
 * - environment deployment branch policies (File.fnmatch, wildcards never match `/`):
 *   https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments
 *
 * Reviews are not emulated: every approval a rule asks for is assumed given by someone allowed
 * to give it. Status checks other than the ones the caller judges are assumed green.
 */

export type MergeMethod = "merge" | "squash" | "rebase";
const ALL_METHODS: readonly MergeMethod[] = ["merge", "squash", "rebase"];

/** One active ruleset, read from a declared `github.RepositoryRuleset`. */
export interface EmulatedRuleset {
  readonly name: string;
  readonly target: "branch" | "tag";
  /** Full ref patterns (`refs/heads/release/*`) or `~ALL` / `~DEFAULT_BRANCH`. */
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
  readonly creation: boolean;
  readonly update: boolean;
  readonly deletion: boolean;
  readonly nonFastForward: boolean;
  readonly linearHistory: boolean;
  /** Present when the ruleset requires pull requests; undefined methods means all three. */
  readonly pullRequest?: { readonly allowedMergeMethods?: readonly MergeMethod[] };
  /** Present when the ruleset requires status checks. */
  readonly statusChecks?: { readonly strict: boolean; readonly contexts: readonly string[] };
  readonly requiredDeployments: readonly string[];
}

/** One environment's deployment branch policy (`RepositoryEnvironmentDeploymentPolicy`). */
export interface EmulatedDeploymentPolicy {
  readonly environment: string;
  readonly branchPattern: string;
}

export interface EmulatedRules {
  readonly rulesets: readonly EmulatedRuleset[];
  readonly deploymentPolicies: readonly EmulatedDeploymentPolicy[];
}

/** A registration as the program's mock run records it. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

export const RULESET_TYPE = "github:index/repositoryRuleset:RepositoryRuleset";
export const DEPLOYMENT_POLICY_TYPE =
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
const dict = (v: unknown): Dict => (isDict(v) ? v : {});
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

function readRuleset(name: string, inputs: Dict): EmulatedRuleset {
  const rules = dict(inputs["rules"]);
  const refName = dict(dict(inputs["conditions"])["refName"]);
  const pr = rules["pullRequest"];
  const checks = rules["requiredStatusChecks"];
  const methods = isDict(pr) ? strings(pr["allowedMergeMethods"]) : [];
  return {
    name: typeof inputs["name"] === "string" ? inputs["name"] : name,
    target: inputs["target"] === "tag" ? "tag" : "branch",
    includes: strings(refName["includes"]),
    excludes: strings(refName["excludes"]),
    creation: rules["creation"] === true,
    update: rules["update"] === true,
    deletion: rules["deletion"] === true,
    nonFastForward: rules["nonFastForward"] === true,
    linearHistory: rules["requiredLinearHistory"] === true,
    pullRequest: isDict(pr)
      ? methods.length > 0
        ? { allowedMergeMethods: methods.filter((m): m is MergeMethod => isMethod(m)) }
        : {}
      : undefined,
    statusChecks: isDict(checks)
      ? {
          strict: checks["strictRequiredStatusChecksPolicy"] === true,
          contexts: (Array.isArray(checks["requiredChecks"]) ? checks["requiredChecks"] : [])
            .map((c) => dict(c)["context"])
            .filter((c): c is string => typeof c === "string"),
        }
      : undefined,
    requiredDeployments: strings(
      dict(rules["requiredDeployments"])["requiredDeploymentEnvironments"],
    ),
  };
}

function isMethod(value: string): value is MergeMethod {
  return (ALL_METHODS as readonly string[]).includes(value);
}

/**
 * The rules a set of registrations declares: active rulesets and deployment branch policies,
 * deduplicated (several stack runs may declare the same resource).
 */
export function rulesFromRegistrations(registrations: readonly Registration[]): EmulatedRules {
  const rulesets = new Map<string, EmulatedRuleset>();
  const policies = new Map<string, EmulatedDeploymentPolicy>();
  for (const r of registrations) {
    if (r.type === RULESET_TYPE && r.inputs["enforcement"] === "active") {
      const ruleset = readRuleset(r.name, r.inputs);
      rulesets.set(JSON.stringify(ruleset), ruleset);
    } else if (r.type === DEPLOYMENT_POLICY_TYPE) {
      const environment = r.inputs["environment"];
      const branchPattern = r.inputs["branchPattern"];
      if (typeof environment !== "string" || typeof branchPattern !== "string") {
        throw new Error(`${r.name}: a deployment policy without a known environment and pattern`);
      }
      policies.set(`${environment}\0${branchPattern}`, { environment, branchPattern });
    }
  }
  return { rulesets: [...rulesets.values()], deploymentPolicies: [...policies.values()] };
}

export { fnmatch };

/** Whether a ruleset applies to a ref (`refs/heads/main`): GitHub's matching, src/model/fnmatch. */
export function rulesetApplies(ruleset: EmulatedRuleset, ref: string, defaultBranch: string) {
  return conditionApplies(ruleset, ref, defaultBranch);
}

/** The verdict of one required check on a pull request: undefined passes, a string fails. */
export type CheckRunner = (context: string, base: string, head: string) => string | undefined;

export interface EmulatorOptions {
  readonly rules: EmulatedRules;
  /** Judges required checks; contexts it returns undefined for pass. */
  readonly checks: CheckRunner;
  /** The check context whose refusal means "the branch flow refuses" in messages. */
  readonly branchFlowContext: string;
  /** Defaults to main. */
  readonly defaultBranch?: string;
}

/** What kind of pull request a person opens, which decides the merge method they pick. */
export type Intent = "work" | "promotion";

const PREFERENCE: Readonly<Record<Intent, readonly MergeMethod[]>> = {
  // Work branches are squashed where allowed; promotions and back-merges keep history.
  work: ["squash", "merge", "rebase"],
  promotion: ["merge", "squash", "rebase"],
};

/** A refused step; `message` says what refused it. */
export class RefusedError extends Error {
  constructor(
    message: string,
    readonly byBranchFlow = false,
  ) {
    super(message);
    this.name = "RefusedError";
  }
}

/** The merged rules that apply to one branch (GitHub layers every matching ruleset). */
interface BranchRules {
  readonly names: string[];
  readonly pullRequest: boolean;
  readonly methods: MergeMethod[];
  readonly strict: boolean;
  readonly contexts: string[];
  readonly linearHistory: boolean;
  readonly deployments: string[];
  readonly creation: boolean;
  readonly update: boolean;
  readonly nonFastForward: boolean;
}

export class GitHubEmulator {
  /** Successful deployments: environment -> commit SHAs. */
  readonly deployments = new Map<string, Set<string>>();
  /** Every ref update and pull request, in order, for the test's failure output. */
  readonly log: string[] = [];
  /** Branch tips; kept here rather than in git refs, which only the emulator moves. */
  private readonly refs = new Map<string, string>();
  private clock = 1_700_000_000;
  private readonly defaultBranch: string;

  private constructor(
    readonly dir: string,
    private readonly options: EmulatorOptions,
  ) {
    this.defaultBranch = options.defaultBranch ?? "main";
  }

  /** A fresh repository whose default branch holds one commit. */
  static create(options: EmulatorOptions): GitHubEmulator {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-gh-"));
    const emulator = new GitHubEmulator(dir, options);
    emulator.git(["init", "--quiet", "--initial-branch", emulator.defaultBranch]);
    emulator.git(["config", "user.name", "Replay"]);
    emulator.git(["config", "user.email", "replay@example.com"]);
    emulator.git(["config", "commit.gpgsign", "false"]);
    const root = emulator.writeCommit([], { "README.md": "envstack\n" }, "Initial commit");
    emulator.refs.set(emulator.defaultBranch, root);
    return emulator;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  git(args: readonly string[], env: Readonly<Record<string, string>> = {}): string {
    return execFileSync("git", args, {
      cwd: this.dir,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: this.dir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  tip(branch: string): string | undefined {
    return this.refs.get(branch);
  }

  private mustTip(branch: string): string {
    const sha = this.tip(branch);
    if (sha === undefined) throw new RefusedError(`${branch} does not exist`);
    return sha;
  }

  /** Whether `ancestor` is contained in `descendant` (`git merge-base --is-ancestor`). */
  contains(descendant: string, ancestor: string): boolean {
    try {
      this.git(["merge-base", "--is-ancestor", ancestor, descendant]);
      return true;
    } catch {
      return false;
    }
  }

  file(branch: string, name: string): string | undefined {
    try {
      return this.git(["show", `${this.mustTip(branch)}:${name}`]);
    } catch {
      return undefined;
    }
  }

  private stamp(committer?: string): Record<string, string> {
    this.clock += 60;
    const date = `${this.clock} +0000`;
    return {
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      ...(committer === undefined
        ? {}
        : { GIT_COMMITTER_NAME: committer, GIT_COMMITTER_EMAIL: "noreply@github.com" }),
    };
  }

  /** A commit with the given parents whose tree is the first parent's plus `files`. */
  private writeCommit(parents: string[], files: Record<string, string>, message: string): string {
    const index = path.join(this.dir, ".git", "replay-index");
    const env = { GIT_INDEX_FILE: index };
    if (parents[0] !== undefined) this.git(["read-tree", parents[0]], env);
    else this.git(["read-tree", "--empty"], env);
    for (const [name, content] of Object.entries(files)) {
      const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], {
        cwd: this.dir,
        input: content,
        encoding: "utf8",
      }).trim();
      this.git(["update-index", "--add", "--cacheinfo", `100644,${blob},${name}`], env);
    }
    const tree = this.git(["write-tree"], env);
    fs.rmSync(index, { force: true });
    return this.commitTree(tree, parents, message);
  }

  private commitTree(tree: string, parents: string[], message: string, committer?: string) {
    const args = ["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message];
    return this.git(args, this.stamp(committer));
  }

  /** The rules every active branch ruleset matching `branch` adds up to. */
  rulesFor(branch: string): BranchRules {
    const ref = `refs/heads/${branch}`;
    const matching = this.options.rules.rulesets.filter(
      (r) => r.target === "branch" && rulesetApplies(r, ref, this.defaultBranch),
    );
    let methods = [...ALL_METHODS];
    for (const r of matching) {
      const allowed = r.pullRequest?.allowedMergeMethods;
      if (allowed !== undefined) methods = methods.filter((m) => allowed.includes(m));
    }
    const linearHistory = matching.some((r) => r.linearHistory);
    // "Require linear history": pull requests merge only by squash or rebase.
    if (linearHistory) methods = methods.filter((m) => m !== "merge");
    return {
      names: matching.map((r) => r.name),
      pullRequest: matching.some((r) => r.pullRequest !== undefined),
      methods,
      strict: matching.some((r) => r.statusChecks?.strict === true),
      contexts: [...new Set(matching.flatMap((r) => r.statusChecks?.contexts ?? []))],
      linearHistory,
      deployments: [...new Set(matching.flatMap((r) => r.requiredDeployments))],
      creation: matching.some((r) => r.creation),
      update: matching.some((r) => r.update),
      nonFastForward: matching.some((r) => r.nonFastForward),
    };
  }

  /** Environments whose deployment branch policy admits a branch. */
  environmentsFor(branch: string): string[] {
    const envs = this.options.rules.deploymentPolicies
      .filter((p) => fnmatch(p.branchPattern, branch))
      .map((p) => p.environment);
    return [...new Set(envs)];
  }

  /** Moves a ref as a push that passed the rules, and runs the deploy workflows it triggers. */
  private setRef(branch: string, sha: string, what: string): void {
    this.refs.set(branch, sha);
    this.log.push(`${what}: ${branch} at ${sha.slice(0, 7)}`);
    // The deploy workflows run on pushes to the environment's branches, bound to the environment
    // whose branch policy must admit the branch (tested against the workflows in test/workflows).
    for (const env of this.environmentsFor(branch)) {
      let set = this.deployments.get(env);
      if (set === undefined) this.deployments.set(env, (set = new Set()));
      set.add(sha);
      this.log.push(`deployed ${sha.slice(0, 7)} to ${env}`);
    }
  }

  /**
   * A direct push of `sha` to `branch`. Creating a branch is refused only by "Restrict
   * creations"; the pull-request rule governs updates of an existing branch, so a guarded
   * branch accepts no pushed commits, only merged pull requests.
   */
  push(branch: string, sha: string): void {
    const rules = this.rulesFor(branch);
    const old = this.tip(branch);
    if (old === undefined) {
      if (rules.creation) {
        throw new RefusedError(`creating ${branch} is restricted (${rules.names.join(", ")})`);
      }
      this.setRef(branch, sha, "created");
      return;
    }
    if (rules.update) {
      throw new RefusedError(`${branch} accepts no updates (${rules.names.join(", ")})`);
    }
    if (rules.pullRequest) {
      throw new RefusedError(
        `${branch} accepts changes only through a pull request (${rules.names.join(", ")})`,
      );
    }
    if (rules.nonFastForward && !this.contains(sha, old)) {
      throw new RefusedError(`${branch} refuses a force push (${rules.names.join(", ")})`);
    }
    this.setRef(branch, sha, "pushed");
  }

  /** Creates `branch` at `from`'s tip (a push that creates a ref). */
  branch(branch: string, from: string): void {
    this.push(branch, this.mustTip(from));
  }

  /** Commits `files` on top of `branch` and pushes it (a work branch, or a refused push). */
  commit(branch: string, files: Record<string, string>, message: string): string {
    const sha = this.writeCommit([this.mustTip(branch)], files, message);
    this.push(branch, sha);
    return sha;
  }

  /** The merge method a person picks for this kind of pull request among those allowed. */
  methodFor(base: string, intent: Intent): MergeMethod | undefined {
    const allowed = this.rulesFor(base).methods;
    return PREFERENCE[intent].find((m) => allowed.includes(m));
  }

  /**
   * Opens and merges a pull request from `head` into `base`, as GitHub would under the declared
   * rules, and returns the new tip of `base`. An out-of-date head is brought up to date first the
   * only way the rules leave: "Update branch" (a push to the head) when the head is not guarded,
   * otherwise a pull request from `base` into `head`, itself judged by every rule.
   * Throws a RefusedError naming the rule that stops it.
   */
  merge(head: string, base: string, intent: Intent, method?: MergeMethod): string {
    try {
      return this.mergeWithin(head, base, intent, method, new Set());
    } catch (e) {
      if (e instanceof RefusedError) throw new RefusedError(`${head} → ${base}: ${e.message}`);
      throw e;
    }
  }

  private mergeWithin(
    head: string,
    base: string,
    intent: Intent,
    requested: MergeMethod | undefined,
    updating: Set<string>,
  ): string {
    this.mustTip(head);
    this.mustTip(base);
    const pr = `${head}→${base}`;
    if (updating.has(pr)) {
      throw new RefusedError(`${head} → ${base} waits on this pull request itself`);
    }
    updating.add(pr);
    try {
      return this.mergeChecked(head, base, intent, requested, updating);
    } finally {
      updating.delete(pr);
    }
  }

  private mergeChecked(
    head: string,
    base: string,
    intent: Intent,
    requested: MergeMethod | undefined,
    updating: Set<string>,
  ): string {
    const rules = this.rulesFor(base);
    for (const context of rules.contexts) {
      const failure = this.options.checks(context, base, head);
      if (failure !== undefined) {
        throw new RefusedError(
          `required check "${context}" fails: ${failure}`,
          context === this.options.branchFlowContext,
        );
      }
    }
    if (rules.strict && !this.contains(this.mustTip(head), this.mustTip(base))) {
      this.update(head, base, updating);
    }
    const headSha = this.mustTip(head);
    const baseSha = this.mustTip(base);
    for (const env of rules.deployments) {
      if (!this.deployments.get(env)?.has(headSha)) {
        const from = this.options.rules.deploymentPolicies
          .filter((p) => p.environment === env)
          .map((p) => p.branchPattern);
        throw new RefusedError(
          `the head ${headSha.slice(0, 7)} has no successful ${env} deployment (${env} deploys from ${from.join(", ") || "no branch"})`,
        );
      }
    }
    const method = requested ?? this.methodFor(base, intent);
    if (method === undefined) throw new RefusedError(`no merge method is allowed into ${base}`);
    if (!rules.methods.includes(method)) {
      throw new RefusedError(
        `${base} does not allow the ${method} method (allowed: ${rules.methods.join(", ") || "none"})`,
      );
    }
    const merged = this.mergeCommit(baseSha, headSha, method, `Merge ${head} into ${base}`);
    this.setRef(base, merged, `merged ${head} (${method})`);
    return merged;
  }

  /** Brings `head` up to date with `base`, or explains why the rules leave no way to. */
  private update(head: string, base: string, updating: Set<string>): void {
    const headRules = this.rulesFor(head);
    if (!headRules.pullRequest) {
      // "Update branch": merges the base into the head and pushes the result to the head.
      const merged = this.mergeCommit(
        this.mustTip(head),
        this.mustTip(base),
        "merge",
        `Merge ${base} into ${head}`,
      );
      this.push(head, merged);
      return;
    }
    const needs = `the head is out of date and updating it needs ${base} → ${head}`;
    if (updating.has(`${base}→${head}`)) {
      throw new RefusedError(`${needs}, which waits on this pull request itself`);
    }
    try {
      this.mergeWithin(base, head, "promotion", undefined, updating);
    } catch (e) {
      if (!(e instanceof RefusedError)) throw e;
      if (e.byBranchFlow) throw new RefusedError(`${needs}, which the branch flow refuses`);
      throw new RefusedError(`${needs}, which is refused: ${e.message}`);
    }
    this.log.push(`updated ${head} with ${base} through a pull request`);
  }

  /** The commit GitHub writes for a merge method, or a refusal on a conflict. */
  private mergeCommit(base: string, head: string, method: MergeMethod, message: string): string {
    const tree = this.mergeTree(base, head);
    if (method === "merge") return this.commitTree(tree, [base, head], message, "GitHub");
    if (method === "squash") return this.commitTree(tree, [base], message, "GitHub");
    return this.rebase(base, head, tree);
  }

  /** The tree of a three-way merge (`git merge-tree --write-tree`); conflicts refuse. */
  private mergeTree(ours: string, theirs: string): string {
    try {
      return this.git(["merge-tree", "--write-tree", "--name-only", ours, theirs]).split("\n")[0]!;
    } catch (e) {
      // Exit 1: the tree id, the conflicted paths, a blank line, then messages.
      const out = String((e as { stdout?: unknown }).stdout ?? "").split("\n");
      const blank = out.indexOf("");
      const files = out.slice(1, blank < 0 ? undefined : blank);
      throw new RefusedError(`merge conflict in ${[...new Set(files)].join(", ")}`);
    }
  }

  /**
   * "Rebase and merge": each commit of the head not in the base, replayed onto the base with the
   * committer updated (always new SHAs, never a fast-forward). Merge commits are not replayed; a
   * rebase that would give another result than a merge is refused, as GitHub refuses "unsafe"
   * rebases.
   */
  private rebase(base: string, head: string, mergedTree: string): string {
    const commits = this.git(["rev-list", "--reverse", "--no-merges", `${base}..${head}`])
      .split("\n")
      .filter((c) => c !== "");
    const worktree = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-gh-rebase-"));
    this.git(["worktree", "add", "--quiet", "--detach", worktree, base]);
    try {
      for (const commit of commits) {
        try {
          execFileSync("git", ["cherry-pick", "--allow-empty", commit], {
            cwd: worktree,
            env: {
              ...process.env,
              GIT_CONFIG_NOSYSTEM: "1",
              HOME: this.dir,
              ...this.stamp("GitHub"),
            },
            stdio: "ignore",
          });
        } catch {
          throw new RefusedError(
            `rebasing ${commit.slice(0, 7)} onto ${base.slice(0, 7)} conflicts`,
          );
        }
      }
      const tip = execFileSync("git", ["rev-parse", "HEAD"], {
        cwd: worktree,
        encoding: "utf8",
      }).trim();
      if (this.git(["rev-parse", `${tip}^{tree}`]) !== mergedTree) {
        throw new RefusedError(
          "a rebase would give another result than a merge (GitHub refuses it)",
        );
      }
      return tip;
    } finally {
      this.git(["worktree", "remove", "--force", worktree]);
    }
  }
}
