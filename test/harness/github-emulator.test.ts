import { afterEach, describe, expect, it } from "vitest";
import {
  DEPLOYMENT_POLICY_TYPE,
  RULESET_TYPE,
  GitHubEmulator,
  fnmatch,
  rulesFromRegistrations,
  rulesetApplies,
  type EmulatedRuleset,
  type EmulatedRules,
} from "./github-emulator";

/** A guarded branch: pull requests only, no force push or deletion. */
function guard(includes: string[], changes: Partial<EmulatedRuleset> = {}): EmulatedRuleset {
  return {
    name: `guard ${includes.join(" ")}`,
    target: "branch",
    includes,
    excludes: [],
    creation: false,
    update: false,
    deletion: true,
    nonFastForward: true,
    linearHistory: false,
    pullRequest: {},
    requiredDeployments: [],
    ...changes,
  };
}

const FLOW = "flow";
const emulators: GitHubEmulator[] = [];

function emulator(rules: EmulatedRules, refuse: [string, string][] = []): GitHubEmulator {
  const gh = GitHubEmulator.create({
    rules,
    branchFlowContext: FLOW,
    checks: (context, base, head) =>
      context === FLOW && refuse.some(([b, h]) => b === base && h === head)
        ? `${head} may not merge into ${base}`
        : undefined,
  });
  emulators.push(gh);
  return gh;
}

afterEach(() => {
  for (const gh of emulators.splice(0)) gh.dispose();
});

describe("fnmatch, as rulesets and deployment branch policies match names", () => {
  it.each([
    ["release/*", "release/1.4", true],
    ["release/*", "release/a/b", false],
    // Ruby's dir.c: `**` is recursive only as `**/`; a trailing `**` is a plain `*`.
    ["release/**", "release/a/b", false],
    ["release/**/*", "release/a/b", true],
    ["release/*/*", "release/a/b", true],
    ["refs/heads/release/*", "refs/heads/release/1.4", true],
    ["refs/heads/release/*", "refs/heads/release/a/b", false],
    ["refs/heads/main", "refs/heads/mainline", false],
    ["v*", "v1.2.3", true],
    ["hotfix/?", "hotfix/a", true],
    ["hotfix/?", "hotfix/ab", false],
    ["release/[0-9]*", "release/2.0", true],
    ["release/[0-9]*", "release/x", false],
    ["a.b", "axb", false],
  ])("%s matches %s: %s", (pattern, name, expected) => {
    expect(fnmatch(pattern, name)).toBe(expected);
  });

  it("applies ~ALL, ~DEFAULT_BRANCH and excludes", () => {
    const all = guard(["~ALL"], { excludes: ["refs/heads/feature/*"] });
    expect(rulesetApplies(all, "refs/heads/x", "main")).toBe(true);
    expect(rulesetApplies(all, "refs/heads/feature/a", "main")).toBe(false);
    expect(rulesetApplies(guard(["~DEFAULT_BRANCH"]), "refs/heads/main", "main")).toBe(true);
    expect(rulesetApplies(guard(["~DEFAULT_BRANCH"]), "refs/heads/dev", "main")).toBe(false);
  });
});

describe("rulesFromRegistrations", () => {
  it("reads active rulesets and deployment policies, once each", () => {
    const ruleset = {
      type: RULESET_TYPE,
      name: "r",
      inputs: {
        name: "envstack-prod-branches",
        target: "branch",
        enforcement: "active",
        conditions: { refName: { includes: ["refs/heads/main"], excludes: [] } },
        rules: {
          deletion: true,
          nonFastForward: true,
          requiredLinearHistory: true,
          pullRequest: { allowedMergeMethods: ["squash"], requiredApprovingReviewCount: 2 },
          requiredStatusChecks: {
            strictRequiredStatusChecksPolicy: true,
            requiredChecks: [{ context: "gate" }],
          },
          requiredDeployments: { requiredDeploymentEnvironments: ["stage"] },
        },
      },
    };
    const evaluating = { ...ruleset, inputs: { ...ruleset.inputs, enforcement: "evaluate" } };
    const policy = {
      type: DEPLOYMENT_POLICY_TYPE,
      name: "p",
      inputs: { environment: "stage", branchPattern: "release/*" },
    };
    expect(rulesFromRegistrations([ruleset, ruleset, evaluating, policy, policy])).toEqual({
      rulesets: [
        {
          name: "envstack-prod-branches",
          target: "branch",
          includes: ["refs/heads/main"],
          excludes: [],
          creation: false,
          update: false,
          deletion: true,
          nonFastForward: true,
          linearHistory: true,
          pullRequest: { allowedMergeMethods: ["squash"] },
          statusChecks: { strict: true, contexts: ["gate"] },
          requiredDeployments: ["stage"],
        },
      ],
      deploymentPolicies: [{ environment: "stage", branchPattern: "release/*" }],
    });
  });
});

describe("pushes", () => {
  it("refuses a push to a guarded branch and allows creating one", () => {
    const gh = emulator({
      rulesets: [guard(["refs/heads/main", "refs/heads/rel/*"])],
      deploymentPolicies: [],
    });
    gh.branch("topic", "main");
    const sha = gh.commit("topic", { "a.txt": "a\n" }, "a");
    expect(() => gh.push("main", sha)).toThrow(
      "main accepts changes only through a pull request (guard refs/heads/main refs/heads/rel/*)",
    );
    gh.push("rel/1", sha);
    expect(gh.tip("rel/1")).toBe(sha);
  });

  it("refuses creation under Restrict creations", () => {
    const gh = emulator({
      rulesets: [guard(["refs/heads/rel/*"], { creation: true })],
      deploymentPolicies: [],
    });
    expect(() => gh.branch("rel/1", "main")).toThrow(
      "creating rel/1 is restricted (guard refs/heads/rel/*)",
    );
  });

  it("deploys on a push only where the environment's branch policy admits the branch", () => {
    const gh = emulator({
      rulesets: [],
      deploymentPolicies: [{ environment: "stage", branchPattern: "release/*" }],
    });
    gh.branch("release/1", "main");
    gh.branch("release/a/b", "main");
    gh.commit("release/a/b", { "x.txt": "x\n" }, "x");
    expect([...(gh.deployments.get("stage") ?? [])]).toEqual([gh.tip("release/1")]);
  });
});

describe("merge methods", () => {
  it("writes a merge commit, a squash commit, or rebased copies with new SHAs", () => {
    const gh = emulator({ rulesets: [], deploymentPolicies: [] });
    for (const b of ["m", "s", "r", "topic"]) gh.branch(b, "main");
    const head = gh.commit("topic", { "a.txt": "a\n" }, "a");
    const merged = gh.merge("topic", "m", "work", "merge");
    expect(gh.git(["rev-list", "--parents", "-n", "1", merged]).split(" ").slice(1)).toEqual([
      gh.tip("main"),
      head,
    ]);
    const squashed = gh.merge("topic", "s", "work", "squash");
    expect(gh.git(["rev-list", "--parents", "-n", "1", squashed]).split(" ").slice(1)).toEqual([
      gh.tip("main"),
    ]);
    // The base is an ancestor of the head, so git would fast-forward; GitHub never does.
    const rebased = gh.merge("topic", "r", "work", "rebase");
    expect(rebased).not.toBe(head);
    expect(gh.contains(rebased, head)).toBe(false);
    expect(gh.file("r", "a.txt")).toBe("a");
  });

  it("refuses a merge commit under linear history, and picks squash instead", () => {
    const gh = emulator({
      rulesets: [guard(["refs/heads/main"], { linearHistory: true })],
      deploymentPolicies: [],
    });
    gh.branch("topic", "main");
    gh.commit("topic", { "a.txt": "a\n" }, "a");
    expect(() => gh.merge("topic", "main", "promotion", "merge")).toThrow(
      "topic → main: main does not allow the merge method (allowed: squash, rebase)",
    );
    expect(gh.methodFor("main", "promotion")).toBe("squash");
  });

  it("keeps only the methods every matching ruleset allows", () => {
    const gh = emulator({
      rulesets: [
        guard(["refs/heads/main"], { pullRequest: { allowedMergeMethods: ["merge", "squash"] } }),
        guard(["~ALL"], { pullRequest: { allowedMergeMethods: ["squash", "rebase"] } }),
      ],
      deploymentPolicies: [],
    });
    expect(gh.rulesFor("main").methods).toEqual(["squash"]);
  });

  it("fails a step that git cannot merge cleanly", () => {
    const gh = emulator({ rulesets: [], deploymentPolicies: [] });
    gh.branch("a", "main");
    gh.branch("b", "main");
    gh.commit("a", { "app.txt": "one\n" }, "one");
    gh.commit("b", { "app.txt": "two\n" }, "two");
    gh.merge("a", "main", "work");
    expect(() => gh.merge("b", "main", "work")).toThrow("b → main: merge conflict in app.txt");
  });
});

describe("strict status checks", () => {
  const strict = (includes: string[]) =>
    guard(includes, { statusChecks: { strict: true, contexts: [FLOW] } });

  it("merges a head that contains the base's tip as it is", () => {
    const gh = emulator({ rulesets: [strict(["refs/heads/main"])], deploymentPolicies: [] });
    gh.branch("topic", "main");
    const head = gh.commit("topic", { "a.txt": "a\n" }, "a");
    gh.merge("topic", "main", "promotion");
    expect(gh.tip("topic")).toBe(head);
  });

  it("updates an unguarded head that lacks the base's tip, then merges", () => {
    const gh = emulator({ rulesets: [strict(["refs/heads/main"])], deploymentPolicies: [] });
    gh.branch("one", "main");
    gh.branch("two", "main");
    gh.commit("one", { "1.txt": "1\n" }, "1");
    const before = gh.commit("two", { "2.txt": "2\n" }, "2");
    gh.merge("one", "main", "promotion");
    gh.merge("two", "main", "promotion");
    expect(gh.tip("two")).not.toBe(before);
    expect(gh.contains(gh.tip("two")!, before)).toBe(true);
    expect(gh.file("main", "1.txt")).toBe("1");
  });

  it("names the refused back-merge when a guarded head cannot be updated", () => {
    const gh = emulator(
      {
        rulesets: [
          strict(["refs/heads/main"]),
          guard(["refs/heads/staging"], { statusChecks: { strict: false, contexts: [FLOW] } }),
        ],
        deploymentPolicies: [],
      },
      [["staging", "main"]],
    );
    gh.branch("staging", "main");
    gh.branch("fix", "main");
    gh.commit("fix", { "f.txt": "f\n" }, "f");
    gh.merge("fix", "main", "work");
    expect(() => gh.merge("staging", "main", "promotion")).toThrow(
      "staging → main: the head is out of date and updating it needs main → staging, which the branch flow refuses",
    );
  });

  it("updates a guarded head through a pull request when the rules allow one", () => {
    const gh = emulator({
      rulesets: [strict(["refs/heads/main"]), guard(["refs/heads/staging"])],
      deploymentPolicies: [],
    });
    gh.branch("staging", "main");
    gh.branch("fix", "main");
    gh.commit("fix", { "f.txt": "f\n" }, "f");
    gh.merge("fix", "main", "work");
    gh.merge("staging", "main", "promotion");
    expect(gh.log).toContain("updated staging with main through a pull request");
  });

  it("names a cycle when each side waits on the other", () => {
    const gh = emulator({
      rulesets: [strict(["refs/heads/main", "refs/heads/staging"])],
      deploymentPolicies: [],
    });
    gh.branch("staging", "main");
    for (const [branch, file] of [
      ["a", "a.txt"],
      ["b", "b.txt"],
    ] as const) {
      gh.branch(branch, "main");
      gh.commit(branch, { [file]: "x\n" }, file);
    }
    gh.merge("a", "main", "work");
    gh.merge("b", "staging", "work");
    expect(() => gh.merge("staging", "main", "promotion")).toThrow(
      "staging → main: the head is out of date and updating it needs main → staging, which is refused: the head is out of date and updating it needs staging → main, which waits on this pull request itself",
    );
  });
});

describe("required deployments", () => {
  it("needs a successful deployment of the head commit itself", () => {
    const gh = emulator({
      rulesets: [guard(["refs/heads/main"], { requiredDeployments: ["stage"] })],
      deploymentPolicies: [{ environment: "stage", branchPattern: "release/*" }],
    });
    gh.branch("hotfix/x", "main");
    const head = gh.commit("hotfix/x", { "h.txt": "h\n" }, "h");
    expect(() => gh.merge("hotfix/x", "main", "promotion")).toThrow(
      `hotfix/x → main: the head ${head.slice(0, 7)} has no successful stage deployment (stage deploys from release/*)`,
    );
    gh.branch("release/1", "hotfix/x");
    gh.merge("release/1", "main", "promotion");
    expect(gh.file("main", "h.txt")).toBe("h");
  });
});
