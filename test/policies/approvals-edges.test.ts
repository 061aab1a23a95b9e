import { beforeAll, describe, expect, it } from "vitest";
import { ENVIRONMENTS, GUARDS_STACK, STACKS, type StackName } from "../../src/model";
import { stackFileKey } from "../../policies/baselines";
import { BRANCH_DEFAULT, DEPLOYMENT_POLICY } from "../../policies/approvals";
import { UNKNOWN } from "../../policies/unknowns";
import {
  BRANCH_RULES,
  ENVIRONMENT_RULES,
  branchRuleset,
  check,
  clone,
  declared,
  edited,
  environmentOf,
  home,
  loadGuards,
  mandatory,
  owner,
  pullRequest,
  refName,
  repository,
  rules,
  statusChecks,
  tagRuleset,
  urn,
  why,
  type Props,
} from "./approvals-fixtures";
import { checkStack, type Fixture } from "./harness";

/**
 * The approvals policies on inputs the program never declares but a hand-edit or another
 * program may: several rulesets on one branch (GitHub applies all of them, so the strictest
 * setting holds), values of the wrong type, resources of other types shaped like the ones the
 * policies read, values unknown during preview, and stack files the pack cannot read.
 */

beforeAll(loadGuards);

/** A copy of a fixture under another name, with its props edited. */
function copyOf(f: Fixture, name: string, edit: (p: Props) => void, type = f.type): Fixture {
  const props = clone(f.props);
  edit(props);
  return { ...f, type, name, props };
}

const prodBranch = () => ENVIRONMENTS.prod.branches[0]!;

describe("branch-rules-match-promotion-model: several rulesets on one branch", () => {
  it("a second, weaker ruleset on a branch changes nothing: GitHub applies the strictest", async () => {
    for (const stack of STACKS) {
      const weaker = copyOf(branchRuleset(stack), `${stack}-weaker`, (p) => {
        p["name"] = `weaker-${stack}`;
        delete rules(p)["pullRequest"];
        rules(p)["nonFastForward"] = false;
        rules(p)["deletion"] = false;
        delete rules(p)["requiredStatusChecks"];
        p["bypassActors"] = [];
      });
      expect(await check(BRANCH_RULES, [...declared, weaker])).toEqual([]);
    }
  });

  it("a second ruleset gives what the first lacks", async () => {
    const stack = GUARDS_STACK;
    const first = branchRuleset(stack);
    const withoutReviews = edited(first, (p) => {
      delete rules(p)["pullRequest"];
    });
    const reviews = copyOf(first, "reviews-only", (p) => {
      p["name"] = "reviews-only";
      p["rules"] = { pullRequest: clone(pullRequest(first.props)) };
      p["bypassActors"] = [];
    });
    expect(await check(BRANCH_RULES, [...withoutReviews, reviews])).toEqual([]);
    expect(
      (await check(BRANCH_RULES, withoutReviews)).map((v) => v.message.split(":")[0]),
    ).toContain(`Require pull requests into ${prodBranch()}`);
  });

  it("a status check bound once to GitHub Actions and listed again unbound is bound", async () => {
    const target = branchRuleset(GUARDS_STACK);
    const fixtures = edited(target, (p) => {
      const checks = statusChecks(p)["requiredChecks"] as Props[];
      checks.push({ context: checks[0]!["context"] });
    });
    expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
  });
});

describe("branch-rules-match-promotion-model: values of the wrong type", () => {
  it("ignores ref patterns, checks and bypass actors that are not what GitHub takes", async () => {
    for (const stack of STACKS) {
      const fixtures = edited(branchRuleset(stack), (p) => {
        refName(p)["includes"] = [...(refName(p)["includes"] as unknown[]), 7, null];
        const checks = statusChecks(p)["requiredChecks"] as unknown[];
        statusChecks(p)["requiredChecks"] = [...checks, "gate", { context: 5 }, null];
      });
      expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
    }
  });

  it("a bypass entry that is no actor is reported as an unknown actor", async () => {
    const target = branchRuleset(GUARDS_STACK);
    const found = await check(
      BRANCH_RULES,
      edited(target, (p) => {
        p["bypassActors"] = ["admin"];
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.urn).toBe(urn(target));
    expect(found[0]!.message).toMatch(
      /^Remove the bypass actor nothing nothing \(mode nothing\) from .*: mode nothing is not pull_request; /,
    );
  });

  it("a ruleset whose repository is not a string guards no repository", async () => {
    const target = branchRuleset(GUARDS_STACK);
    const found = await check(
      BRANCH_RULES,
      edited(target, (p) => {
        p["repository"] = 42;
      }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on ${owner()}/(no repository), where it guards nothing here (${why(GUARDS_STACK, prodBranch())}).`,
        target,
      ),
    ]);
  });

  it("a provider whose owner is not a string names no owner", async () => {
    const target = branchRuleset(GUARDS_STACK);
    const found = await check(
      BRANCH_RULES,
      edited(target, () => undefined, { provider: { ...target.provider, owner: 7 } }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on (an owner no GitHub provider names)/${repository()}, where it guards nothing here (${why(GUARDS_STACK, prodBranch())}).`,
        target,
      ),
    ]);
  });

  it("a tag ruleset without status checks may leave checks off on creation", async () => {
    const fixtures = edited(tagRuleset(GUARDS_STACK), (p) => {
      rules(p)["requiredStatusChecks"] = { requiredChecks: [], doNotEnforceOnCreate: true };
    });
    expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
  });
});

describe("only the types the policies read count", () => {
  it("a resource of another type shaped like a weak ruleset is not a ruleset", async () => {
    const fake = copyOf(
      branchRuleset(GUARDS_STACK),
      "not-a-ruleset",
      (p) => {
        p["enforcement"] = "disabled";
      },
      "github:index/issueLabel:IssueLabel",
    );
    expect(await check(BRANCH_RULES, [...declared, fake])).toEqual([]);
  });

  it("a resource of another type naming a default branch does not set it", async () => {
    // ~DEFAULT_BRANCH covers prod's branch only where the guards stack declares it the default.
    const target = branchRuleset(GUARDS_STACK);
    const base = edited(target, (p) => {
      refName(p)["includes"] = ["~DEFAULT_BRANCH"];
    });
    const realDefault = declared.find((f) => f.type === BRANCH_DEFAULT);
    const withoutDefault = base.filter((f) => f.type !== BRANCH_DEFAULT);
    const fake: Fixture = {
      ...(realDefault ?? target),
      type: "github:index/issueLabel:IssueLabel",
      name: "not-a-default-branch",
      props: { repository: repository(), branch: prodBranch() },
    };
    const found = await check(BRANCH_RULES, [fake, ...withoutDefault]);
    expect(found.map((v) => v.message)).toContainEqual(
      expect.stringContaining(`refs/heads/${prodBranch()}`),
    );
  });

  it("a resource of another type naming a deployment branch allows nothing", async () => {
    const policy = declared.find(
      (f) => f.type === DEPLOYMENT_POLICY && f.props["environment"] === GUARDS_STACK,
    )!;
    const fake = copyOf(
      policy,
      "not-a-deployment-policy",
      (p) => {
        p["branchPattern"] = "feature/*";
      },
      "github:index/issueLabel:IssueLabel",
    );
    expect(await check(ENVIRONMENT_RULES, [...declared, fake])).toEqual([]);
  });

  it("a default branch that is not a string names none", async () => {
    const target = branchRuleset(GUARDS_STACK);
    const fixtures = edited(target, (p) => {
      refName(p)["includes"] = ["~DEFAULT_BRANCH"];
    }).map((f) => (f.type === BRANCH_DEFAULT ? { ...f, props: { ...f.props, branch: 5 } } : f));
    const found = await check(BRANCH_RULES, fixtures);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
  });
});

describe("only the guards stack declares GitHub resources", () => {
  const others = STACKS.filter((s) => s !== GUARDS_STACK);
  const resource = (type: string, name: string): Fixture => ({ type, name, props: {} });

  it.each(others)("%s: a GitHub provider or resource is reported, nothing else", async (stack) => {
    const fixtures = [
      resource("pulumi:providers:github", "gh"),
      resource("github:index/issueLabel:IssueLabel", "label"),
      resource("pulumi:providers:aws", "aws"),
      resource("aws:s3/bucket:Bucket", "github-bucket"),
    ];
    const found = await checkStack(stack, BRANCH_RULES, fixtures, {});
    expect(found.map((v) => [v.enforcementLevel, v.message.split(" from ")[0]])).toEqual([
      ["mandatory", "Remove pulumi:providers:github gh"],
      ["mandatory", "Remove github:index/issueLabel:IssueLabel label"],
    ]);
  });
});

describe("deployment-environment-rules: what the program never declares", () => {
  const policies = (stack: StackName) =>
    declared.filter((f) => f.type === DEPLOYMENT_POLICY && f.props["environment"] === stack);

  it.each(STACKS)("%s: a branch pattern the environment does not deploy from", async (stack) => {
    const extra = copyOf(policies(stack)[0]!, `${stack}-extra`, (p) => {
      p["branchPattern"] = "feature/*";
    });
    expect(await check(ENVIRONMENT_RULES, [...declared, extra])).toEqual([
      mandatory(
        `Remove the deployment branch pattern feature/*: ${stack} deploys only from ${ENVIRONMENTS[stack].branches.join(", ")}.`,
        extra,
      ),
    ]);
  });

  it.each(STACKS)(
    "%s: a tag pattern, allowed only where the environment has tags",
    async (stack) => {
      const tags = ENVIRONMENTS[stack].tags;
      const extra = copyOf(policies(stack)[0]!, `${stack}-tag`, (p) => {
        delete p["branchPattern"];
        p["tagPattern"] = "v*";
      });
      const found = await check(ENVIRONMENT_RULES, [...declared, extra]);
      expect(found).toEqual(
        tags.includes("v*")
          ? []
          : [
              mandatory(
                `Remove the deployment tag pattern v*: ${stack} deploys from ${tags.length > 0 ? `tags ${tags.join(", ")}` : "no tags"}.`,
                extra,
              ),
            ],
      );
    },
  );

  it.each(STACKS)(
    "%s: custom branch policies together with any protected branch",
    async (stack) => {
      const target = environmentOf(stack);
      const found = await check(
        ENVIRONMENT_RULES,
        edited(target, (p) => {
          p["deploymentBranchPolicy"] = { protectedBranches: true, customBranchPolicies: true };
        }),
      );
      expect(found.map((v) => [v.urn, v.message.split(":")[0]])).toEqual([
        [
          urn(target),
          "Set deploymentBranchPolicy to customBranchPolicies true and protectedBranches false",
        ],
      ]);
    },
  );

  it.each(STACKS)(
    "%s: no branch policy at all, and reviewers that are no entries",
    async (stack) => {
      const target = environmentOf(stack);
      const found = await check(
        ENVIRONMENT_RULES,
        edited(target, (p) => {
          delete p["deploymentBranchPolicy"];
          p["reviewers"] = [...((p["reviewers"] as unknown[] | undefined) ?? []), "ops", 3];
          p["waitTimer"] = "5";
        }),
      );
      expect(found.map((v) => [v.urn, v.message.split(":")[0]])).toEqual([
        [
          urn(target),
          "Set deploymentBranchPolicy to customBranchPolicies true and protectedBranches false",
        ],
      ]);
    },
  );

  it("notes an environment unknown during preview once, and tells no stack to declare it", async () => {
    const env = environmentOf(GUARDS_STACK);
    const fixtures = declared.map((f) =>
      f === env ? { ...f, props: { ...f.props, environment: UNKNOWN.string } } : f,
    );
    expect(await check(ENVIRONMENT_RULES, fixtures)).toEqual([
      {
        message: `Cannot check environment ${env.name} during preview: string value at .environment can't be known during preview.`,
        urn: urn(env),
        enforcementLevel: "advisory",
      },
    ]);
  });

  it("notes a deployment policy unknown during preview once; the others are still judged", async () => {
    const policy = policies(GUARDS_STACK)[0]!;
    const extra = copyOf(policies("dev")[0]!, "dev-extra", (p) => {
      p["branchPattern"] = "feature/*";
    });
    const fixtures = [
      ...declared.map((f) =>
        f === policy ? { ...f, props: { ...f.props, environment: UNKNOWN.string } } : f,
      ),
      extra,
    ];
    expect(await check(ENVIRONMENT_RULES, fixtures)).toEqual([
      {
        message: `Cannot check ${policy.name} during preview: string value at .environment can't be known during preview.`,
        urn: urn(policy),
        enforcementLevel: "advisory",
      },
      mandatory(
        `Remove the deployment branch pattern feature/*: dev deploys only from ${ENVIRONMENTS.dev.branches.join(", ")}.`,
        extra,
      ),
    ]);
  });
});

describe("stack files the pack cannot read", () => {
  const missing = (stack: StackName) => ({ [stackFileKey(stack)]: `/nonexistent/${stack}.yaml` });

  it.each([BRANCH_RULES, ENVIRONMENT_RULES])(
    "%s: a missing guards stack file is reported, and nothing is judged against a guess",
    async (policy) => {
      const found = await check(policy, declared, missing(GUARDS_STACK));
      expect(found.length).toBeGreaterThan(0);
      expect(found.map((v) => v.message).join("\n")).toContain(`/nonexistent/${GUARDS_STACK}.yaml`);
    },
  );

  it.each(STACKS.filter((s) => s !== GUARDS_STACK))(
    "a missing %s stack file is reported; its stack is held to the model's floors",
    async (stack) => {
      for (const policy of [BRANCH_RULES, ENVIRONMENT_RULES]) {
        const found = await check(policy, declared, missing(stack));
        expect(found.map((v) => v.message).join("\n")).toContain(`/nonexistent/${stack}.yaml`);
        // The floors still hold: dropping the stack's ruleset is still caught.
        const without = declared.filter(
          (f) => f !== branchRuleset(stack) && f !== environmentOf(stack),
        );
        const floors = await check(policy, without, missing(stack));
        expect(floors.filter((v) => v.enforcementLevel === "mandatory").length).toBeGreaterThan(0);
      }
    },
  );
});
