import { beforeAll, describe, expect, it } from "vitest";
import { checkBranchFlow, environmentOfBranch, sourceMatches } from "../src/model/branch-flow";
import { environments, CHECKS, type StackName } from "../src/model/environments";
import {
  rulesFromRegistrations,
  type CheckRunner,
  type EmulatedRules,
  type GitHubEmulator,
} from "./harness/github-emulator";
import { branchFlow, feature, pr, start, step } from "./harness/replay";
import { runStack } from "./program/harness";

/**
 * The branch model stays live: releases through staging and through release/*, a hotfix while a
 * release waits on staging, and every back-merge, replayed with real git under the rules the
 * program declares (the union of every stack's rulesets and deployment branch policies).
 */

/** Features into develop, develop promoted through staging to main, main merged back. */
function releaseThroughStaging(gh: GitHubEmulator, n: number): void {
  const label = `release ${n}`;
  feature(gh, label, `feature/r${n}-a`, "develop", "develop");
  feature(gh, label, `feature/r${n}-b`, "develop", "develop");
  pr(gh, label, "develop", "staging", "promotion");
  pr(gh, label, "staging", "main", "promotion");
  pr(gh, label, "main", "develop", "promotion");
}

/**
 * The replay. Releases 1-3 and 6 go through staging; release 4 is cut as release/4.0 and
 * stabilised there; release 5 waits on staging while a hotfix ships through release/5.0.1 cut
 * from main, so release 5's promotion has to catch up with main first.
 */
function replayAll(gh: GitHubEmulator): void {
  step("setup", () => {
    gh.branch("develop", "main");
    gh.branch("staging", "main");
  });
  for (const n of [1, 2, 3]) releaseThroughStaging(gh, n);

  const r4 = "release 4 (release/4.0)";
  feature(gh, r4, "feature/r4-a", "develop", "develop");
  step(r4, () => gh.branch("release/4.0", "develop"));
  feature(gh, r4, "hotfix/r4-stabilise", "release/4.0", "release/4.0");
  pr(gh, r4, "release/4.0", "main", "promotion");
  pr(gh, r4, "main", "develop", "promotion");

  const r5 = "release 5";
  feature(gh, r5, "feature/r5-a", "develop", "develop");
  pr(gh, r5, "develop", "staging", "promotion");

  const hotfix = "hotfix 5.0.1";
  step(hotfix, () => gh.branch("release/5.0.1", "main"));
  step(hotfix, () => {
    gh.branch("hotfix/payment-timeout", "release/5.0.1");
    gh.commit("hotfix/payment-timeout", { "feature/r1-a.txt": "fixed\n" }, "fix payment timeout");
  });
  pr(gh, hotfix, "hotfix/payment-timeout", "release/5.0.1", "work");
  pr(gh, hotfix, "release/5.0.1", "main", "promotion");
  pr(gh, hotfix, "main", "develop", "promotion");

  // main moved under release 5: the promotion is brought up to date before it merges.
  pr(gh, r5, "staging", "main", "promotion");
  pr(gh, r5, "main", "develop", "promotion");

  releaseThroughStaging(gh, 6);
}

describe("the declared branch model", () => {
  let declared: EmulatedRules;

  beforeAll(async () => {
    const registrations = [];
    for (const stack of environments().names)
      registrations.push(...(await runStack(stack)).resources);
    declared = rulesFromRegistrations(registrations);
  });

  it("declares the merge rules of the model on every environment branch", () => {
    const gh = start(declared, branchFlow);
    for (const stack of environments().names) {
      const merge = environments().get(stack).merge;
      for (const pattern of environments().get(stack).branches) {
        const branch = pattern.replace("*", "x");
        const rules = gh.rulesFor(branch);
        expect({ branch, ...rules, names: undefined }).toEqual({
          branch,
          names: undefined,
          pullRequest: true,
          methods: merge.mergeMethods.filter((m) => !merge.linearHistory || m !== "merge"),
          strict: merge.strictChecks,
          contexts: expect.arrayContaining([...merge.requiredChecks]) as unknown,
          linearHistory: merge.linearHistory,
          deployments: [...merge.requiredDeployments],
          creation: false,
          update: false,
          nonFastForward: true,
        });
        expect(gh.environmentsFor(branch)).toEqual([stack]);
      }
    }
  });

  it("completes every release, hotfix and back-merge without a bypass", () => {
    const gh = start(declared, branchFlow);
    replayAll(gh);
    // Everything released reached main and came back to develop; the hotfix reached both.
    for (const branch of ["main", "develop"]) {
      for (const name of ["feature/r1-b", "feature/r3-a", "hotfix/r4-stabilise", "feature/r6-b"]) {
        expect(gh.file(branch, `${name}.txt`), `${name} on ${branch}`).toBe(name);
      }
      expect(gh.file(branch, "feature/r1-a.txt")).toBe("fixed");
    }
    // Release 5's promotion caught up with the hotfix through a pull request from main.
    expect(gh.log).toContain("updated staging with main through a pull request");
    // Every commit main received had run in stage first.
    const mainParents = gh
      .git(["rev-list", "--first-parent", "--merges", "--format=%P", gh.tip("main")!])
      .split("\n")
      .filter((line) => !line.startsWith("commit "))
      .map((line) => line.split(" ")[1]!);
    expect(mainParents.length).toBe(7);
    for (const head of mainParents) expect(gh.deployments.get("stage")?.has(head)).toBe(true);
  }, 30_000);

  it("refuses a hotfix straight into main, whose stage deployment could never exist", () => {
    const gh = start(declared, branchFlow);
    step("setup", () => gh.branch("hotfix/x", "main"));
    expect(() => gh.merge("hotfix/x", "main", "promotion")).toThrow(
      `hotfix/x → main: required check "${CHECKS.branchFlow}" fails: ${checkBranchFlow("main", "hotfix/x").message}`,
    );
  });
});

describe("today's rules (before this model), as a fixture", () => {
  const heads = (branches: string[]) => branches.map((b) => `refs/heads/${b}`);
  // Today's per-stack preview checks passed alike; only the gate and branch flow matter here.
  const checks = (_stack: StackName, strict: boolean) => ({
    strict,
    contexts: [CHECKS.gate, CHECKS.branchFlow],
  });
  const common = {
    excludes: [],
    creation: false,
    update: false,
    deletion: true,
    nonFastForward: true,
    pullRequest: {},
  };
  const TODAY: EmulatedRules = {
    rulesets: [
      {
        ...common,
        name: "envstack-dev-branches",
        target: "branch",
        includes: heads(["develop"]),
        linearHistory: false,
        statusChecks: checks("dev", false),
        requiredDeployments: [],
      },
      {
        ...common,
        name: "envstack-stage-branches",
        target: "branch",
        includes: heads(["staging", "release/*"]),
        linearHistory: false,
        statusChecks: checks("stage", true),
        requiredDeployments: [],
      },
      {
        ...common,
        name: "envstack-prod-branches",
        target: "branch",
        includes: heads(["main"]),
        linearHistory: true,
        statusChecks: checks("prod", true),
        requiredDeployments: ["stage"],
      },
    ],
    deploymentPolicies: [
      { environment: "dev", branchPattern: "develop" },
      { environment: "stage", branchPattern: "staging" },
      { environment: "stage", branchPattern: "release/*" },
      { environment: "prod", branchPattern: "main" },
    ],
  };
  const TODAY_SOURCES: Readonly<Record<StackName, readonly string[]>> = {
    dev: ["feature/*", "bugfix/*", "hotfix/*", "main"],
    stage: ["develop", "hotfix/*"],
    prod: ["staging", "release/*", "hotfix/*"],
  };
  const todaysFlow: CheckRunner = (context, base, head) => {
    if (context !== CHECKS.branchFlow) return undefined;
    const env = environmentOfBranch(base);
    if (env === undefined || (TODAY_SOURCES[env] ?? []).some((p) => sourceMatches(p, head))) {
      return undefined;
    }
    return `${head} may not merge into ${base}`;
  };

  it("deadlocks on the second release's promotion to staging", () => {
    const gh = start(TODAY, todaysFlow);
    expect(() => replayAll(gh)).toThrow(
      new Error(
        "release 2: develop → staging: the head is out of date and updating it needs staging → develop, which the branch flow refuses",
      ),
    );
  });
});
