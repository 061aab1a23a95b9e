import { afterEach } from "vitest";
import { checkBranchFlow } from "../../src/model/branch-flow";
import { CHECKS } from "../../src/model/environments";
import {
  GitHubEmulator,
  RefusedError,
  type CheckRunner,
  type EmulatedRules,
  type Intent,
} from "./github-emulator";

/**
 * What the branch-model replays share: emulators disposed after each test, the branch-flow
 * check as the workflow runs it (on the process's chain), and the steps of a replay, a refusal
 * failing it with the step's label.
 */

const emulators: GitHubEmulator[] = [];
afterEach(() => {
  for (const gh of emulators.splice(0)) gh.dispose();
});

export function start(rules: EmulatedRules, checks: CheckRunner): GitHubEmulator {
  const gh = GitHubEmulator.create({ rules, checks, branchFlowContext: CHECKS.branchFlow });
  emulators.push(gh);
  return gh;
}

/** The branch-flow required check, judged by the model; other contexts pass. */
export const branchFlow: CheckRunner = (context, base, head) => {
  if (context !== CHECKS.branchFlow) return undefined;
  const verdict = checkBranchFlow(base, head);
  return verdict.allowed ? undefined : verdict.message;
};

/** Runs one step; a refusal fails the replay naming the step. */
export function step(label: string, action: () => void): void {
  try {
    action();
  } catch (e) {
    if (e instanceof RefusedError) throw new Error(`${label}: ${e.message}`);
    throw e;
  }
}

export function pr(gh: GitHubEmulator, label: string, head: string, base: string, intent: Intent) {
  step(label, () => gh.merge(head, base, intent));
}

/** A work branch from `from` with one new file, merged into `into`. */
export function feature(
  gh: GitHubEmulator,
  label: string,
  name: string,
  from: string,
  into: string,
) {
  step(label, () => {
    gh.branch(name, from);
    gh.commit(name, { [`${name}.txt`]: `${name}\n` }, name);
  });
  pr(gh, label, name, into, "work");
}
