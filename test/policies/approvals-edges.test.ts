import { beforeAll, describe, expect, it } from "vitest";
import { environments, GITHUB_ACTIONS_APP_ID, type StackName } from "../../src/model";
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
  withGithub,
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

const prodBranch = () => environments().get("prod").branches[0]!;

describe("branch-rules-match-promotion-model: several rulesets on one branch", () => {
  it("a second, weaker ruleset on a branch changes nothing: GitHub applies the strictest", async () => {
    for (const stack of environments().names) {
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
    const stack = environments().production;
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
    const target = branchRuleset(environments().production);
    const fixtures = edited(target, (p) => {
      const checks = statusChecks(p)["requiredChecks"] as Props[];
      checks.push({ context: checks[0]!["context"] });
    });
    expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
  });
});

describe("branch-rules-match-promotion-model: values of the wrong type", () => {
  it("ignores ref patterns, checks and bypass actors that are not what GitHub takes", async () => {
    for (const stack of environments().names) {
      const fixtures = edited(branchRuleset(stack), (p) => {
        refName(p)["includes"] = [...(refName(p)["includes"] as unknown[]), 7, null];
        const checks = statusChecks(p)["requiredChecks"] as unknown[];
        statusChecks(p)["requiredChecks"] = [...checks, "gate", { context: 5 }, null];
      });
      expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
    }
  });

  it("a bypass entry that is no actor is reported as an unknown actor", async () => {
    const target = branchRuleset(environments().production);
    const found = await check(
      BRANCH_RULES,
      edited(target, (p) => {
        p["bypassActors"] = ["admin", null];
      }),
    );
    expect(found).toHaveLength(2);
    for (const v of found) {
      expect(v.urn).toBe(urn(target));
      expect(v.message).toMatch(
        /^Remove the bypass actor nothing nothing \(mode nothing\) from .*: mode nothing is not pull_request; /,
      );
    }
  });

  it("a ruleset whose repository is not a string guards no repository", async () => {
    const target = branchRuleset(environments().production);
    const found = await check(
      BRANCH_RULES,
      edited(target, (p) => {
        p["repository"] = 42;
      }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on ${owner()}/(no repository), where it guards nothing here (${why(environments().production, prodBranch())}).`,
        target,
      ),
    ]);
  });

  it("a provider whose owner is not a string names no owner", async () => {
    const target = branchRuleset(environments().production);
    const found = await check(
      BRANCH_RULES,
      edited(target, () => undefined, { provider: { ...target.provider, owner: 7 } }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on (an owner no GitHub provider names)/${repository()}, where it guards nothing here (${why(environments().production, prodBranch())}).`,
        target,
      ),
    ]);
  });

  it("a tag ruleset without status checks may leave checks off on creation", async () => {
    const fixtures = edited(tagRuleset(environments().production), (p) => {
      rules(p)["requiredStatusChecks"] = { requiredChecks: [], doNotEnforceOnCreate: true };
    });
    expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
  });
});

describe("only the types the policies read count", () => {
  it("a resource of another type shaped like a weak ruleset is not a ruleset", async () => {
    const fake = copyOf(
      branchRuleset(environments().production),
      "not-a-ruleset",
      (p) => {
        p["enforcement"] = "disabled";
      },
      "github:index/issueLabel:IssueLabel",
    );
    expect(await check(BRANCH_RULES, [...declared, fake])).toEqual([]);
    const unknownFake = copyOf(
      branchRuleset(environments().production),
      "not-a-ruleset-either",
      (p) => {
        p["rules"] = UNKNOWN.object;
      },
      "github:index/issueLabel:IssueLabel",
    );
    expect(await check(BRANCH_RULES, [...declared, unknownFake])).toEqual([]);
  });

  it("a resource of another type naming a default branch does not set it", async () => {
    // ~DEFAULT_BRANCH covers prod's branch only where the guards stack declares it the default.
    const target = branchRuleset(environments().production);
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
      (f) => f.type === DEPLOYMENT_POLICY && f.props["environment"] === environments().production,
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
    const target = branchRuleset(environments().production);
    const fixtures = edited(target, (p) => {
      refName(p)["includes"] = ["~DEFAULT_BRANCH"];
    }).map((f) => (f.type === BRANCH_DEFAULT ? { ...f, props: { ...f.props, branch: 5 } } : f));
    const found = await check(BRANCH_RULES, fixtures);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
  });
});

describe("only the guards stack declares GitHub resources", () => {
  const others = environments().names.filter((s) => s !== environments().production);
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

  it.each(environments().names)(
    "%s: a branch pattern the environment does not deploy from",
    async (stack) => {
      const extra = copyOf(policies(stack)[0]!, `${stack}-extra`, (p) => {
        p["branchPattern"] = "feature/*";
      });
      expect(await check(ENVIRONMENT_RULES, [...declared, extra])).toEqual([
        mandatory(
          `Remove the deployment branch pattern feature/*: ${stack} deploys only from ${environments().get(stack).branches.join(", ")}.`,
          extra,
        ),
      ]);
    },
  );

  it.each(environments().names)(
    "%s: a tag pattern, allowed only where the environment has tags",
    async (stack) => {
      const tags = environments().get(stack).tags;
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

  it("a tag pattern other than the environment's release tags", async () => {
    const stack = environments().names.find((s) => environments().get(s).tags.length > 0)!;
    const extra = copyOf(policies(stack)[0]!, `${stack}-other-tag`, (p) => {
      delete p["branchPattern"];
      p["tagPattern"] = "release-*";
    });
    expect(await check(ENVIRONMENT_RULES, [...declared, extra])).toEqual([
      mandatory(
        `Remove the deployment tag pattern release-*: ${stack} deploys from tags ${environments().get(stack).tags.join(", ")}.`,
        extra,
      ),
    ]);
  });

  it.each(environments().names)(
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

  it.each(environments().names)(
    "%s: no branch policy at all, and reviewers that are no entries",
    async (stack) => {
      const target = environmentOf(stack);
      const found = await check(
        ENVIRONMENT_RULES,
        edited(target, (p) => {
          delete p["deploymentBranchPolicy"];
          p["reviewers"] = [...((p["reviewers"] as unknown[] | undefined) ?? []), "ops", 3, null];
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
    const env = environmentOf(environments().production);
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
    const policy = policies(environments().production)[0]!;
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
        `Remove the deployment branch pattern feature/*: dev deploys only from ${environments().get("dev").branches.join(", ")}.`,
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
      const found = await check(policy, declared, missing(environments().production));
      expect(found.length).toBeGreaterThan(0);
      expect(found.map((v) => v.message).join("\n")).toContain(
        `/nonexistent/${environments().production}.yaml`,
      );
    },
  );

  it.each(environments().names.filter((s) => s !== environments().production))(
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

describe("branch-rules-match-promotion-model: absent and mistyped values read as nothing", () => {
  const rule = (guarded: string) =>
    `only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding ${guarded}, and only through a pull request (mode pull_request)`;

  it("a bypass actor whose type and mode are not strings is reported with neither", async () => {
    const target = branchRuleset(environments().production);
    const found = await check(
      BRANCH_RULES,
      edited(target, (p) => {
        p["bypassActors"] = [{ actorType: 5, actorId: 1, bypassMode: 9 }];
      }),
    );
    expect(found).toEqual([
      mandatory(
        `Remove the bypass actor nothing 1 (mode nothing) from ${target.name}: mode nothing is not pull_request; ${rule(prodBranch())}.`,
        target,
      ),
    ]);
  });

  it.each(environments().names)(
    "%s: rulesets without bypass actors let nobody bypass",
    async (stack) => {
      const targets = [
        branchRuleset(stack),
        ...(environments().get(stack).tags.length ? [tagRuleset(stack)] : []),
      ];
      const fixtures = declared.map((f) => {
        if (!targets.includes(f)) return f;
        const props = clone(f.props);
        delete props["bypassActors"];
        return { ...f, props };
      });
      expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
    },
  );

  it("a declared default branch that is not a string names none", async () => {
    const target = branchRuleset(environments().production);
    const notAString: Fixture = {
      type: BRANCH_DEFAULT,
      name: "default-branch",
      props: { repository: repository(), branch: 5 },
      provider: target.provider!,
    };
    const found = await check(BRANCH_RULES, [
      ...edited(target, (p) => {
        refName(p)["includes"] = ["~DEFAULT_BRANCH"];
      }),
      notAString,
    ]);
    expect(found).toEqual([
      mandatory(
        `Include every ref refs/heads/${prodBranch()} matches in ${target.name} and exclude none of them: ${why(environments().production, prodBranch())} (no include matches refs/heads/${prodBranch()}; ~DEFAULT_BRANCH names no declared default branch).`,
        target,
      ),
    ]);
  });

  it("shows every integration an unbound check is listed with", async () => {
    const target = branchRuleset(environments().production);
    const fixtures = edited(target, (p) => {
      const checks = statusChecks(p)["requiredChecks"] as Props[];
      const gate = checks.find((c) => c["context"] === "gate")!;
      gate["integrationId"] = 1;
      checks.push({ context: "gate", integrationId: 2 });
    });
    expect(await check(BRANCH_RULES, fixtures)).toEqual([
      mandatory(
        `Bind the status check "gate" on ${prodBranch()} to GitHub Actions (integrationId ${GITHUB_ACTIONS_APP_ID}): otherwise a commit status any token with statuses: write can post satisfies it (found 1, 2).`,
        target,
      ),
    ]);
  });
});

describe("branch-rules-match-promotion-model: rules held by any of several rulesets", () => {
  it.each(environments().names)(
    "%s: a second ruleset with no valid checks may leave checks off on creation",
    async (stack) => {
      const extra = copyOf(branchRuleset(stack), `${stack}-no-checks`, (p) => {
        p["name"] = `no-checks-${stack}`;
        rules(p)["requiredStatusChecks"] = {
          requiredChecks: [null, "gate", { context: 5 }],
          doNotEnforceOnCreate: true,
        };
        p["bypassActors"] = [];
      });
      expect(await check(BRANCH_RULES, [...declared, extra])).toEqual([]);
    },
  );

  it("a second, weaker ruleset on the release tags changes nothing", async () => {
    const extra = copyOf(tagRuleset(environments().production), "weaker-tags", (p) => {
      p["name"] = "weaker-tags";
      rules(p)["nonFastForward"] = false;
      rules(p)["deletion"] = false;
      delete rules(p)["update"];
      p["bypassActors"] = [];
    });
    expect(await check(BRANCH_RULES, [...declared, extra])).toEqual([]);
    expect(await check(BRANCH_RULES, [extra, ...declared])).toEqual([]);
  });
});

describe("branch-rules-match-promotion-model: who may bypass", () => {
  const team = (id: number, type = "Team") => ({
    actorType: type,
    actorId: id,
    bypassMode: "pull_request",
  });
  const withActors = (target: Fixture, actors: Props[]) =>
    edited(target, (p) => {
      p["bypassActors"] = actors;
    });

  it("release tags let no team bypass, whatever teams the prod stack file names", async () => {
    const target = tagRuleset(environments().production);
    const config = withGithub(environments().production, {
      pullRequestBypassTeams: ["release-managers"],
    });
    const tag = environments().get(environments().production).tags[0]!;
    expect(await check(BRANCH_RULES, withActors(target, [team(7)]), config)).toEqual([
      mandatory(
        `Remove the bypass actor Team 7 (mode pull_request) from ${target.name}: 0 team(s) are configured and 0 already bypass; only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding tags ${tag}, and only through a pull request (mode pull_request).`,
        target,
      ),
    ]);
  });

  it("only a Team may bypass in place of a configured team", async () => {
    const target = branchRuleset("stage");
    const config = withGithub("stage", { pullRequestBypassTeams: ["release-managers"] });
    expect(await check(BRANCH_RULES, withActors(target, [team(7, "Integration")]), config)).toEqual(
      [
        mandatory(
          `Remove the bypass actor Integration 7 (mode pull_request) from ${target.name}: a Integration actor is not a configured team; only the teams envstack:github.pullRequestBypassTeams names (release-managers) may bypass the rules guarding ${environments().get("stage").branches.join(", ")}, and only through a pull request (mode pull_request).`,
          target,
        ),
      ],
    );
  });

  it("a stack whose file cannot be read lets no team bypass its rules", async () => {
    const target = branchRuleset("stage");
    const found = await check(BRANCH_RULES, withActors(target, [team(7)]), {
      [stackFileKey("stage")]: "/nonexistent/stage.yaml",
    });
    expect(found.filter((v) => v.urn !== undefined)).toEqual([
      mandatory(
        `Remove the bypass actor Team 7 (mode pull_request) from ${target.name}: 0 team(s) are configured and 0 already bypass; only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding ${environments().get("stage").branches.join(", ")}, and only through a pull request (mode pull_request).`,
        target,
      ),
    ]);
  });

  // A ruleset guarding two stacks' branches lets bypass only as many teams as the stricter file.
  it.each([
    ["dev", "stage"],
    ["stage", "dev"],
  ] as const)(
    "a ruleset guarding dev and stage: %s names a team, %s none",
    async (withTeam, without) => {
      const shared = copyOf(branchRuleset("dev"), "dev-and-stage", (p) => {
        p["name"] = "dev-and-stage";
        refName(p)["includes"] = ["develop", ...environments().get("stage").branches].map(
          (b) => `refs/heads/${b}`,
        );
        refName(p)["excludes"] = [];
        p["bypassActors"] = [team(7)];
      });
      const config = {
        ...withGithub(withTeam, { pullRequestBypassTeams: ["release-managers"] }),
        ...withGithub(without, { pullRequestBypassTeams: [] }),
      };
      expect(await check(BRANCH_RULES, [...declared, shared], config)).toEqual([
        mandatory(
          `Remove the bypass actor Team 7 (mode pull_request) from dev-and-stage: 0 team(s) are configured and 0 already bypass; only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding develop, ${environments().get("stage").branches.join(", ")}, and only through a pull request (mode pull_request).`,
          shared,
        ),
      ]);
    },
  );
});

describe("stack files the pack cannot read: nothing else is reported", () => {
  it.each(environments().names.filter((s) => s !== environments().production))(
    "a missing %s stack file is the only violation on the declared rules",
    async (stack) => {
      for (const policy of [BRANCH_RULES, ENVIRONMENT_RULES]) {
        const found = await check(policy, declared, {
          [stackFileKey(stack)]: `/nonexistent/${stack}.yaml`,
        });
        expect(found).toHaveLength(1);
        expect(found[0]!.message).toContain(`/nonexistent/${stack}.yaml`);
      }
    },
  );
});

describe("deployment-environment-rules: only the guards stack is judged", () => {
  it.each(environments().names.filter((s) => s !== environments().production))(
    "%s declares no GitHub environment and is told nothing",
    async (stack) => {
      expect(await checkStack(stack, ENVIRONMENT_RULES, [], {})).toEqual([]);
    },
  );
});

describe("deployment-environment-rules: the wait timer", () => {
  const prod = () => environmentOf(environments().production);
  const config = () => withGithub(environments().production, { waitTimerMinutes: 5 });
  const waiting = (value: unknown) =>
    edited(prod(), (p) => {
      p["waitTimer"] = value;
    });

  it.each([5, 10])("a wait of %i minutes holds the 5 the stack file asks", async (minutes) => {
    expect(await check(ENVIRONMENT_RULES, waiting(minutes), config())).toEqual([]);
  });

  it.each([4, "5", undefined])("a wait of %s is no wait of 5 minutes", async (value) => {
    const found = typeof value === "number" ? value : 0;
    expect(await check(ENVIRONMENT_RULES, waiting(value), config())).toEqual([
      mandatory(
        `Set waitTimer to 5 on the ${environments().production} environment: envstack:github.waitTimerMinutes holds every ${environments().production} deployment that long after approval (found ${found}).`,
        prod(),
      ),
    ]);
  });
});
