import { beforeAll, describe, expect, it } from "vitest";
import { environments, GITHUB_ACTIONS_APP_ID, type StackName } from "../../src/model";
import { BRANCH_DEFAULT, DEPLOYMENT_POLICY } from "../../policies/approvals";
import { UNKNOWN } from "../../policies/unknowns";
import {
  BRANCH_RULES,
  ENVIRONMENT_RULES,
  branchRuleset,
  check,
  declared,
  edited,
  environmentOf,
  github,
  home,
  loadGuards,
  mandatory,
  owner,
  pullRequest,
  refName,
  repository,
  reviewers,
  reviewersOf,
  rules,
  statusChecks,
  tagRuleset,
  urn,
  why,
  withGithub,
  type Edit,
  type Props,
} from "./approvals-fixtures";
import type { Fixture } from "./harness";

beforeAll(loadGuards);

describe("the rules the program declares", () => {
  it.each([BRANCH_RULES, ENVIRONMENT_RULES])("pass %s", async (name) => {
    expect(await check(name, declared)).toEqual([]);
  });
});

/**
 * One broken property of a stack's branch ruleset, and the message it yields for each branch of
 * the stack, or undefined where the model does not require the property (the branch not taken).
 */
interface BranchBreak {
  readonly title: string;
  readonly applies: (stack: StackName) => boolean;
  readonly edit: (stack: StackName) => Edit;
  readonly message: (stack: StackName, branch: string, on: Fixture) => string;
}

const pr =
  (key: string, value: unknown): Edit =>
  (p) => {
    pullRequest(p)[key] = value;
  };

const BRANCH_BREAKS: BranchBreak[] = [
  {
    title: "one approval fewer than required",
    applies: (s) => environments().get(s).merge.minApprovals > 0,
    edit: (s) =>
      pr("requiredApprovingReviewCount", Math.max(0, environments().get(s).merge.minApprovals - 1)),
    message: (s, b) =>
      `Set requiredApprovingReviewCount to at least ${environments().get(s).merge.minApprovals} on ${b}: ${s} needs ${environments().get(s).merge.minApprovals} approval(s), the model's floor or envstack:github.requiredApprovals if higher (found ${environments().get(s).merge.minApprovals - 1}).`,
  },
  {
    title: "no code-owner review",
    applies: (s) => environments().get(s).merge.codeOwnerReview,
    edit: () => pr("requireCodeOwnerReview", false),
    message: (s, b) =>
      `Set requireCodeOwnerReview to true on ${b}: ${s} requires a code owner's approval.`,
  },
  {
    title: "stale approvals kept",
    applies: (s) => environments().get(s).merge.dismissStaleReviews,
    edit: () => pr("dismissStaleReviewsOnPush", false),
    message: (s, b) =>
      `Set dismissStaleReviewsOnPush to true on ${b}: ${s} requires stale approvals dismissed on push.`,
  },
  {
    title: "no last-push approval",
    applies: (s) => environments().get(s).merge.lastPushApproval,
    edit: () => pr("requireLastPushApproval", false),
    message: (s, b) =>
      `Set requireLastPushApproval to true on ${b}: ${s} requires the last push approved by someone else.`,
  },
  {
    title: "unresolved threads allowed",
    applies: (s) => environments().get(s).merge.resolveReviewThreads,
    edit: () => pr("requiredReviewThreadResolution", false),
    message: (s, b) =>
      `Set requiredReviewThreadResolution to true on ${b}: ${s} requires review threads resolved.`,
  },
  {
    title: "loose status checks",
    applies: (s) => environments().get(s).merge.strictChecks,
    edit: () => (p) => {
      statusChecks(p)["strictRequiredStatusChecksPolicy"] = false;
    },
    message: (s, b) =>
      `Set strictRequiredStatusChecksPolicy to true on ${b}: ${s} requires branches up to date before merging, so what merges is what was checked.`,
  },
  ...(["nonFastForward", "deletion"] as const).map((rule): BranchBreak => ({
    title: `${rule} allowed`,
    applies: () => true,
    edit: () => (p) => {
      rules(p)[rule] = false;
    },
    message: (s, b) =>
      `Set ${rule} to true on ${b}: ${s} requires ${rule === "deletion" ? "the branch never deleted" : "no force pushes"}.`,
  })),
  ...["gate", "branch-flow"].flatMap((context): BranchBreak[] => [
    {
      title: `the ${context} check missing`,
      applies: (s) => environments().get(s).merge.requiredChecks.includes(context),
      edit: () => (p) => {
        const c = statusChecks(p);
        c["requiredChecks"] = (c["requiredChecks"] as Props[]).filter(
          (x) => x["context"] !== context,
        );
      },
      message: (s, b) =>
        `Require the status check "${context}" on ${b}: ${s} merges only when it passes.`,
    },
    {
      title: `the ${context} check not bound to GitHub Actions`,
      applies: (s) => environments().get(s).merge.requiredChecks.includes(context),
      edit: () => (p) => {
        for (const c of statusChecks(p)["requiredChecks"] as Props[])
          if (c["context"] === context) delete c["integrationId"];
      },
      message: (_s, b) =>
        `Bind the status check "${context}" on ${b} to GitHub Actions (integrationId ${GITHUB_ACTIONS_APP_ID}): otherwise a commit status any token with statuses: write can post satisfies it (found nothing).`,
    },
  ]),
  {
    title: "checks not enforced on creation",
    applies: () => true,
    edit: () => (p) => {
      statusChecks(p)["doNotEnforceOnCreate"] = true;
    },
    message: (_s, b, on) =>
      `Set doNotEnforceOnCreate to false on ${on.name}: a new branch matching ${b} would be created without its required checks passing.`,
  },
  {
    title: "no prior deployment required",
    applies: (s) => environments().get(s).merge.requiredDeployments.length > 0,
    edit: () => (p) => {
      delete rules(p)["requiredDeployments"];
    },
    message: (s, b) =>
      `Require a successful ${environments().get(s).merge.requiredDeployments.join(", ")} deployment on ${b}: ${s} receives only what ran in ${environments().get(s).merge.requiredDeployments.join(", ")}.`,
  },
  ...(["evaluate", "disabled"] as const).map((enforcement): BranchBreak => ({
    title: `enforcement ${enforcement}`,
    applies: () => true,
    edit: () => (p) => {
      p["enforcement"] = enforcement;
    },
    message: (s, b, on) =>
      `Set enforcement to active on ${on.name}: only an active ruleset is enforced (evaluate only reports, disabled does nothing) and ${why(s, b)} (found ${enforcement}).`,
  })),
  {
    title: "no enforcement",
    applies: () => true,
    edit: () => (p) => {
      delete p["enforcement"];
    },
    message: (s, b, on) =>
      `Set enforcement to active on ${on.name}: only an active ruleset is enforced (evaluate only reports, disabled does nothing) and ${why(s, b)} (found nothing).`,
  },
  {
    title: "an enforcement that is not a string",
    applies: () => true,
    edit: () => (p) => {
      p["enforcement"] = 1;
    },
    message: (s, b, on) =>
      `Set enforcement to active on ${on.name}: only an active ruleset is enforced (evaluate only reports, disabled does nothing) and ${why(s, b)} (found nothing).`,
  },
  {
    title: "no target",
    applies: () => true,
    edit: () => (p) => {
      delete p["target"];
    },
    message: (s, b, on) =>
      `Set target to branch on ${on.name}: it includes refs/heads/${b}, but a nothing ruleset never applies to branches and ${why(s, b)}.`,
  },
  {
    title: "a tag ruleset",
    applies: () => true,
    edit: () => (p) => {
      p["target"] = "tag";
    },
    message: (s, b, on) =>
      `Set target to branch on ${on.name}: it includes refs/heads/${b}, but a tag ruleset never applies to branches and ${why(s, b)}.`,
  },
  {
    title: "another repository",
    applies: () => true,
    edit: () => (p) => {
      p["repository"] = `${repository()}-fork`;
    },
    message: (s, b, on) =>
      `Declare ${on.name} on ${home()}, the repository the stack files name: it is declared on ${home()}-fork, where it guards nothing here (${why(s, b)}).`,
  },
  {
    title: "the branch itself excluded",
    applies: () => true,
    edit: (s) => (p) => {
      refName(p)["excludes"] = environments()
        .get(s)
        .branches.map((b) => `refs/heads/${b}`);
    },
    message: (s, b, on) =>
      `Include every ref refs/heads/${b} matches in ${on.name} and exclude none of them: ${why(s, b)} (exclude refs/heads/${b} matches refs/heads/${b.replace("*", "a")}).`,
  },
];

const branchCases = environments().names.flatMap((stack) =>
  BRANCH_BREAKS.map((b) => [stack, b.title, b] as const),
);

describe("branch-rules-match-promotion-model: one property broken on each stack's branch ruleset", () => {
  it.each(branchCases)("%s: %s", async (stack, _title, broken) => {
    const target = branchRuleset(stack);
    const found = await check(BRANCH_RULES, edited(target, broken.edit(stack)));
    expect(found).toEqual(
      broken.applies(stack)
        ? environments()
            .get(stack)
            .branches.map((b) => mandatory(broken.message(stack, b, target), target))
        : [],
    );
  });

  it.each(environments().names)("%s: the ruleset's provider names another owner", async (stack) => {
    const target = branchRuleset(stack);
    const found = await check(
      BRANCH_RULES,
      edited(target, () => undefined, {
        provider: { ...target.provider, owner: `${owner()}-forks` },
      }),
    );
    expect(found).toEqual(
      environments()
        .get(stack)
        .branches.map((b) =>
          mandatory(
            `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on ${owner()}-forks/${repository()}, where it guards nothing here (${why(stack, b)}).`,
            target,
          ),
        ),
    );
  });

  it("does not count a ruleset on the default provider, whose owner the pack cannot see", async () => {
    const target = branchRuleset("dev");
    const fixtures = declared.map((f) =>
      f === target ? { type: f.type, name: f.name, props: f.props } : f,
    );
    expect(await check(BRANCH_RULES, fixtures)).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is declared on (an owner no GitHub provider names)/${repository()}, where it guards nothing here (${why("dev", "develop")}).`,
        target,
      ),
    ]);
  });

  it("notes a ruleset whose provider's owner is unknown during preview", async () => {
    const target = branchRuleset("dev");
    const found = await check(
      BRANCH_RULES,
      edited(target, () => undefined, { provider: { ...target.provider, owner: UNKNOWN.string } }),
    );
    expect(found.map((v) => [v.enforcementLevel, v.urn])).toEqual([
      ["advisory", urn(target)],
      ["mandatory", undefined],
    ]);
  });

  it.each(environments().names)("%s: no ruleset at all", async (stack) => {
    const found = await check(
      BRANCH_RULES,
      declared.filter((f) => f !== branchRuleset(stack)),
    );
    expect(found).toEqual(
      environments()
        .get(stack)
        .branches.map((b) =>
          mandatory(
            `Declare an active branch ruleset including refs/heads/${b} on ${home()}: ${why(stack, b)} (the prod stack declares none).`,
          ),
        ),
    );
  });
});

describe("branch-rules-match-promotion-model: ref conditions as GitHub matches them", () => {
  const cover =
    (includes: string[], excludes: string[] = []): Edit =>
    (p) => {
      refName(p)["includes"] = includes;
      refName(p)["excludes"] = excludes;
    };

  it.each<[string, StackName, Edit, string]>([
    [
      "an include excluded again",
      "prod",
      cover(["refs/heads/mai*"], ["refs/heads/ma?n"]),
      `Include every ref refs/heads/main matches in {name} and exclude none of them: ${why("prod", "main")} (exclude refs/heads/ma?n matches refs/heads/main).`,
    ],
    [
      "every top-level branch excluded",
      "prod",
      cover(["refs/heads/main"], ["refs/heads/**"]),
      `Include every ref refs/heads/main matches in {name} and exclude none of them: ${why("prod", "main")} (exclude refs/heads/** matches refs/heads/main).`,
    ],
    [
      "~DEFAULT_BRANCH while no default branch is declared",
      "prod",
      cover(["~DEFAULT_BRANCH"]),
      `Include every ref refs/heads/main matches in {name} and exclude none of them: ${why("prod", "main")} (no include matches refs/heads/main; ~DEFAULT_BRANCH names no declared default branch).`,
    ],
  ])("%s", async (_title, stack, edit, message) => {
    const target = branchRuleset(stack);
    expect(await check(BRANCH_RULES, edited(target, edit))).toEqual([
      mandatory(message.replace("{name}", target.name), target),
    ]);
  });

  it("reports a narrower include for release/* only", async () => {
    const target = branchRuleset("stage");
    const found = await check(
      BRANCH_RULES,
      edited(target, cover(["refs/heads/staging", "refs/heads/release/1.*"])),
    );
    expect(found).toEqual([
      mandatory(
        `Include every ref refs/heads/release/* matches in ${target.name} and exclude none of them: ${why("stage", "release/*")} (no include matches refs/heads/release/a).`,
        target,
      ),
    ]);
  });

  it("leaves release/* guarded when refs/heads/** is excluded (a trailing ** is a plain *)", async () => {
    const target = branchRuleset("stage");
    const found = await check(
      BRANCH_RULES,
      edited(target, cover(["refs/heads/staging", "refs/heads/release/*"], ["refs/heads/**"])),
    );
    expect(found).toEqual([
      mandatory(
        `Include every ref refs/heads/staging matches in ${target.name} and exclude none of them: ${why("stage", "staging")} (exclude refs/heads/** matches refs/heads/staging).`,
        target,
      ),
    ]);
  });

  const defaultBranch = (branch: string, repo?: string): Fixture => ({
    type: BRANCH_DEFAULT,
    name: "default-branch",
    props: { repository: repo ?? repository(), branch },
    provider: branchRuleset("prod").provider!,
  });

  it("accepts ~DEFAULT_BRANCH where the stack declares main the default branch", async () => {
    const fixtures = [
      ...edited(branchRuleset("prod"), cover(["~DEFAULT_BRANCH"])),
      defaultBranch("main"),
    ];
    expect(await check(BRANCH_RULES, fixtures)).toEqual([]);
  });

  it.each([
    ["another branch", "develop", undefined],
    ["main on another repository", "main", "elsewhere"],
  ])("refuses ~DEFAULT_BRANCH when the declared default is %s", async (_title, branch, repo) => {
    const target = branchRuleset("prod");
    const found = await check(BRANCH_RULES, [
      ...edited(target, cover(["~DEFAULT_BRANCH"])),
      defaultBranch(branch, repo),
    ]);
    expect(found.map((v) => [v.urn, v.message.replace(/ \(no include.*$/, "")])).toEqual([
      [
        urn(target),
        `Include every ref refs/heads/main matches in ${target.name} and exclude none of them: ${why("prod", "main")}`,
      ],
    ]);
  });

  it("accepts ~ALL with the other environments' branches", async () => {
    const target = branchRuleset("prod");
    expect(await check(BRANCH_RULES, edited(target, cover(["~ALL"])))).toEqual([]);
  });
});

describe("branch-rules-match-promotion-model: release tags", () => {
  const tagWhy = "prod release tags v* must not move or disappear";
  it.each<[string, Edit, (name: string) => string]>([
    [
      "tags may move",
      (p) => {
        rules(p)["nonFastForward"] = false;
      },
      () => "Set nonFastForward to true for tags v*: release tags never move.",
    ],
    [
      "tags may be deleted",
      (p) => {
        rules(p)["deletion"] = false;
      },
      () => "Set deletion to true for tags v*: release tags are never deleted.",
    ],
    [
      "tags may be updated",
      (p) => {
        delete rules(p)["update"];
      },
      () => "Set update to true for tags v*: a release tag keeps the commit it names.",
    ],
    [
      "enforcement evaluate",
      (p) => {
        p["enforcement"] = "evaluate";
      },
      (n) =>
        `Set enforcement to active on ${n}: only an active ruleset is enforced (evaluate only reports, disabled does nothing) and ${tagWhy} (found evaluate).`,
    ],
    [
      "a branch ruleset",
      (p) => {
        p["target"] = "branch";
      },
      (n) =>
        `Set target to tag on ${n}: it includes refs/tags/v*, but a branch ruleset never applies to tags and ${tagWhy}.`,
    ],
    [
      "another repository",
      (p) => {
        p["repository"] = "elsewhere";
      },
      (n) =>
        `Declare ${n} on ${home()}, the repository the stack files name: it is declared on ${owner()}/elsewhere, where it guards nothing here (${tagWhy}).`,
    ],
    [
      "a narrower include",
      (p) => {
        refName(p)["includes"] = ["refs/tags/v[0-9]*"];
      },
      (n) =>
        `Include every ref refs/tags/v* matches in ${n} and exclude none of them: ${tagWhy} (no include matches refs/tags/v).`,
    ],
    [
      "a bypass team",
      (p) => {
        p["bypassActors"] = [{ actorType: "Team", actorId: 7, bypassMode: "pull_request" }];
      },
      (n) =>
        `Remove the bypass actor Team 7 (mode pull_request) from ${n}: 0 team(s) are configured and 0 already bypass; only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding tags v*, and only through a pull request (mode pull_request).`,
    ],
  ])("%s", async (_title, edit, message) => {
    const target = tagRuleset("prod");
    expect(await check(BRANCH_RULES, edited(target, edit))).toEqual([
      mandatory(message(target.name), target),
    ]);
  });
});

describe("branch-rules-match-promotion-model: bypass actors", () => {
  const MODES = ["always", "pull_request", "exempt"] as const;
  const TYPES = [
    "Team",
    "Integration",
    "OrganizationAdmin",
    "RepositoryRole",
    "DeployKey",
    "EnterpriseOwner",
    "User",
  ] as const;
  const reason = (type: string, mode: string) =>
    mode === "always"
      ? "mode always skips every rule, at any time"
      : mode === "exempt"
        ? "mode exempt takes it out of the rules entirely, with no bypass recorded"
        : type === "Team"
          ? "0 team(s) are configured and 0 already bypass"
          : `a ${type} actor is not a configured team`;
  /** Every guarding ruleset: each stack's branch ruleset, and the release-tag ruleset. */
  const guards: [string, () => Fixture, string][] = [
    ...environments().names.map((s): [string, () => Fixture, string] => [
      `${s} branches`,
      () => branchRuleset(s),
      environments().get(s).branches.join(", "),
    ]),
    ...environments().names.flatMap((s) =>
      environments()
        .get(s)
        .tags.map((t): [string, () => Fixture, string] => [
          `${s} tags`,
          () => tagRuleset(s),
          `tags ${t}`,
        ]),
    ),
  ];
  const cases = guards.flatMap(([title, ruleset, guarded]) =>
    MODES.flatMap((mode) => TYPES.map((type) => [title, mode, type, ruleset, guarded] as const)),
  );

  it.each(cases)(
    "%s: %s by %s, with no team configured",
    async (_title, mode, type, ruleset, guarded) => {
      const target = ruleset();
      const found = await check(
        BRANCH_RULES,
        edited(target, (p) => {
          p["bypassActors"] = [{ actorType: type, actorId: 42, bypassMode: mode }];
        }),
      );
      expect(found).toEqual([
        mandatory(
          `Remove the bypass actor ${type} 42 (mode ${mode}) from ${target.name}: ${reason(type, mode)}; only the teams envstack:github.pullRequestBypassTeams names (none here) may bypass the rules guarding ${guarded}, and only through a pull request (mode pull_request).`,
          target,
        ),
      ]);
    },
  );

  it("lets the configured teams bypass through pull requests only, as many as configured", async () => {
    const target = branchRuleset("stage");
    const config = withGithub("stage", { pullRequestBypassTeams: ["release-managers"] });
    const actors = (list: Props[]) =>
      edited(target, (p) => {
        p["bypassActors"] = list;
      });
    const team = (id: number, mode = "pull_request") => ({
      actorType: "Team",
      actorId: id,
      bypassMode: mode,
    });
    expect(await check(BRANCH_RULES, actors([team(7)]), config)).toEqual([]);
    expect(await check(BRANCH_RULES, actors([team(7), team(8)]), config)).toEqual([
      mandatory(
        `Remove the bypass actor Team 8 (mode pull_request) from ${target.name}: 1 team(s) are configured and 1 already bypass; only the teams envstack:github.pullRequestBypassTeams names (release-managers) may bypass the rules guarding staging, release/*, and only through a pull request (mode pull_request).`,
        target,
      ),
    ]);
    expect(await check(BRANCH_RULES, actors([team(7, "always")]), config)).toEqual([
      mandatory(
        `Remove the bypass actor Team 7 (mode always) from ${target.name}: mode always skips every rule, at any time; only the teams envstack:github.pullRequestBypassTeams names (release-managers) may bypass the rules guarding staging, release/*, and only through a pull request (mode pull_request).`,
        target,
      ),
    ]);
  });
});

describe("branch-rules-match-promotion-model: what the stack files require", () => {
  it("requires the approvals the stack file asks above the model's floor", async () => {
    const found = github.stage!.requiredApprovals;
    const config = withGithub("stage", { requiredApprovals: found + 1 });
    expect(await check(BRANCH_RULES, declared, config)).toEqual(
      environments()
        .get("stage")
        .branches.map((b) =>
          mandatory(
            `Set requiredApprovingReviewCount to at least ${found + 1} on ${b}: stage needs ${found + 1} approval(s), the model's floor or envstack:github.requiredApprovals if higher (found ${found}).`,
            branchRuleset("stage"),
          ),
        ),
    );
  });

  it("requires every check the stack file names", async () => {
    const config = withGithub("dev", { requiredChecks: ["gate", "branch-flow", "e2e"] });
    expect(await check(BRANCH_RULES, declared, config)).toEqual([
      mandatory(
        'Require the status check "e2e" on develop: dev merges only when it passes.',
        branchRuleset("dev"),
      ),
    ]);
  });

  it("judges against the repository the guards stack's file names", async () => {
    const config = withGithub("prod", { repository: `${repository()}-next` });
    const found = await check(BRANCH_RULES, declared, config);
    expect(found).toHaveLength(
      environments().names.reduce(
        (n, s) => n + environments().get(s).branches.length + environments().get(s).tags.length,
        0,
      ),
    );
    expect(found.every((v) => v.message.includes(`on ${home()}-next, the repository`))).toBe(true);
  });

  it("notes a ruleset unknown during preview", async () => {
    const target = branchRuleset("dev");
    expect(
      await check(
        BRANCH_RULES,
        edited(target, (p) => {
          p["rules"] = UNKNOWN.object;
        }),
      ),
    ).toEqual([
      {
        message: `Cannot check ruleset ${target.name} during preview: Object value at .rules can't be known during preview.`,
        urn: urn(target),
        enforcementLevel: "advisory",
      },
      mandatory(
        `Declare an active branch ruleset including refs/heads/develop on ${home()}: ${why("dev", "develop")} (the prod stack declares none).`,
      ),
    ]);
  });
});

describe("deployment-environment-rules: one property broken on each stack's environment", () => {
  const deployPolicies = (stack: StackName) =>
    declared.filter((f) => f.type === DEPLOYMENT_POLICY && f.props["environment"] === stack);

  it.each(environments().names)("%s: the environment on another repository", async (stack) => {
    const target = environmentOf(stack);
    const found = await check(
      ENVIRONMENT_RULES,
      edited(target, (p) => {
        p["repository"] = "elsewhere";
      }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare the GitHub environment "${stack}" on ${home()}, the repository the stack files name: ${target.name} is on ${owner()}/elsewhere, where no ${stack} deployment goes through it.`,
        target,
      ),
      mandatory(
        `Declare the GitHub environment "${stack}": deployments to ${stack} go through it (the prod stack declares none).`,
      ),
    ]);
  });

  it.each(
    environments().names.flatMap((s) =>
      environments()
        .get(s)
        .branches.map((b) => [s, b] as const),
    ),
  )("%s: the %s deployment policy on another repository", async (stack, branch) => {
    const target = deployPolicies(stack).find((f) => f.props["branchPattern"] === branch)!;
    const found = await check(
      ENVIRONMENT_RULES,
      edited(target, (p) => {
        p["repository"] = "elsewhere";
      }),
    );
    expect(found).toEqual([
      mandatory(
        `Declare ${target.name} on ${home()}, the repository the stack files name: it is on ${owner()}/elsewhere, where it allows nothing for the ${stack} environment.`,
        target,
      ),
      mandatory(
        `Allow deployments from branch ${branch} to ${stack}: it is the branch ${stack} deploys from.`,
        environmentOf(stack),
      ),
    ]);
  });

  it.each(environments().names)("%s: any protected branch may deploy", async (stack) => {
    const target = environmentOf(stack);
    const found = await check(
      ENVIRONMENT_RULES,
      edited(target, (p) => {
        p["deploymentBranchPolicy"] = { protectedBranches: true, customBranchPolicies: false };
      }),
    );
    const env = environments().get(stack);
    expect(found).toEqual([
      mandatory(
        `Set deploymentBranchPolicy to customBranchPolicies true and protectedBranches false: ${stack} deploys only from ${[...env.branches, ...env.tags].join(", ")}.`,
        target,
      ),
    ]);
  });

  const reviewerCases: [string, Edit, (stack: StackName) => string | undefined][] = [
    [
      "no reviewers",
      (p) => {
        p["reviewers"] = [];
      },
      (s) =>
        `Add required reviewers to the ${s} environment: every ${s} deployment needs a human approval from ${reviewers(s)}.`,
    ],
    [
      "one reviewer team dropped",
      (p) => {
        const r = reviewersOf(p);
        r["teams"] = (r["teams"] as number[]).slice(0, 1);
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 1 team(s) and 0 user(s)).`,
    ],
    [
      "an extra user",
      (p) => {
        const r = reviewersOf(p);
        r["users"] = [99];
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 2 team(s) and 1 user(s)).`,
    ],
    [
      "one team twice",
      (p) => {
        const r = reviewersOf(p);
        const teams = r["teams"] as number[];
        r["teams"] = [teams[0], teams[0]];
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 1 team(s) and 0 user(s), 1 repeated).`,
    ],
    [
      "one user twice beside the teams",
      (p) => {
        reviewersOf(p)["users"] = [99, 99];
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 2 team(s) and 1 user(s), 1 repeated).`,
    ],
    [
      "the right count of teams, one of them twice",
      (p) => {
        const r = reviewersOf(p);
        const teams = r["teams"] as number[];
        r["teams"] = [...teams, teams[0]];
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 2 team(s) and 0 user(s), 1 repeated).`,
    ],
    [
      "a user in place of a team",
      (p) => {
        const r = reviewersOf(p);
        r["teams"] = (r["teams"] as number[]).slice(0, 1);
        r["users"] = [99];
      },
      (s) =>
        `Set the ${s} environment's reviewers to ${reviewers(s)}: every ${s} deployment needs their approval and no one else's (found 1 team(s) and 1 user(s)).`,
    ],
    [
      "self-review allowed",
      (p) => {
        p["preventSelfReview"] = false;
      },
      (s) =>
        `Set preventSelfReview to true on the ${s} environment: nobody approves their own deployment.`,
    ],
    [
      "admins may bypass",
      (p) => {
        delete p["canAdminsBypass"];
      },
      (s) =>
        `Set canAdminsBypass to false on the ${s} environment: admins get no bypass of the approval.`,
    ],
  ];

  it.each(
    environments().names.flatMap((stack) =>
      reviewerCases.map(([title, edit, m]) => [stack, title, edit, m] as const),
    ),
  )("%s: %s", async (stack, _title, edit, message) => {
    const target = environmentOf(stack);
    const found = await check(ENVIRONMENT_RULES, edited(target, edit));
    // Only an environment the model gives a human approval is held to these (prod).
    const env = environments().get(stack).deploy;
    const applies =
      env.humanApproval || (message(stack)?.includes("canAdminsBypass") && !env.adminBypass);
    expect(found).toEqual(applies ? [mandatory(message(stack)!, target)] : []);
  });

  it("waits the minutes the stack file asks", async () => {
    const config = withGithub("prod", { waitTimerMinutes: 5 });
    expect(await check(ENVIRONMENT_RULES, declared, config)).toEqual([
      mandatory(
        "Set waitTimer to 5 on the prod environment: envstack:github.waitTimerMinutes holds every prod deployment that long after approval (found 0).",
        environmentOf("prod"),
      ),
    ]);
  });
});
