import { describe, expect, it } from "vitest";
import { ConfigErrors, parseSpec, type StackName } from "../../src/model";
import { githubWith, stackValues } from "./support";

/** Parses a committed stack file with some `envstack:github` keys replaced. */
function parseWith(stack: StackName, changes: Record<string, unknown>) {
  return parseSpec(
    stack,
    { ...stackValues(stack), "envstack:github": githubWith(stack, changes) },
    `Pulumi.${stack}.yaml`,
  );
}

function errorsOf(stack: StackName, changes: Record<string, unknown>): string[] {
  try {
    parseWith(stack, changes);
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  return [];
}

describe("plan gating: what a plan cannot enforce is refused, never dropped", () => {
  it.each<[string, StackName, Record<string, unknown>, string[]]>([
    [
      "prod's required reviewers on a private Team repository",
      "prod",
      { plan: "team" },
      [
        'Pulumi.prod.yaml: envstack:github.plan: expected enterprise: required reviewers on the prod environment of a private repository need GitHub Enterprise (or set github.visibility to public), found string "team"',
      ],
    ],
    [
      "prod's required reviewers on a private Pro repository (and teams on a personal account)",
      "prod",
      { plan: "pro" },
      [
        'Pulumi.prod.yaml: envstack:github.deploymentReviewers: expected @user logins only: plan pro is a personal account, which has no teams (found team "release-managers", "sre-leads"; use plan team or enterprise for an organization), found a list of 2',
        'Pulumi.prod.yaml: envstack:github.plan: expected enterprise: required reviewers on the prod environment of a private repository need GitHub Enterprise (or set github.visibility to public), found string "pro"',
      ],
    ],
    [
      "rulesets and environments on a private Free repository",
      "dev",
      { plan: "free" },
      [
        'Pulumi.dev.yaml: envstack:github.plan: expected pro, team or enterprise: rulesets (code-owner review, required checks and deployments) and deployment environments on a private repository need a paid plan (or set github.visibility to public), found string "free"',
      ],
    ],
    [
      "an internal repository without Enterprise",
      "stage",
      { plan: "team", visibility: "internal" },
      [
        'Pulumi.stage.yaml: envstack:github.visibility: expected public or private (internal repositories exist only on GitHub Enterprise), found string "internal"',
      ],
    ],
    [
      "a wait timer on a private Team repository",
      "stage",
      { plan: "team", waitTimerMinutes: 10 },
      [
        "Pulumi.stage.yaml: envstack:github.waitTimerMinutes: expected 0: wait timers on a private repository need GitHub Enterprise, found number 10",
      ],
    ],
    [
      "reviewers on stage on a private Team repository",
      "stage",
      { plan: "team", deploymentReviewers: ["qa-leads"] },
      [
        "Pulumi.stage.yaml: envstack:github.deploymentReviewers: expected an empty list, or plan enterprise: required reviewers on a private repository need GitHub Enterprise, found a list of 1",
      ],
    ],
    [
      "pull-request bypass teams on a personal (Pro) account",
      "stage",
      { plan: "pro", visibility: "public", pullRequestBypassTeams: ["hotfixers"] },
      [
        "Pulumi.stage.yaml: envstack:github.pullRequestBypassTeams: expected an empty list: plan pro is a personal account, which has no teams (use plan team or enterprise for an organization), found a list of 1",
      ],
    ],
  ])("refuses %s", (_what, stack, changes, messages) => {
    expect(errorsOf(stack, changes)).toEqual(messages);
    expect(() => parseWith(stack, changes)).toThrow(messages.join("\n"));
  });

  it.each<[string, StackName, Record<string, unknown>]>([
    ["prod on a public Free repository", "prod", { plan: "free", visibility: "public" }],
    ["prod on a public Team repository", "prod", { plan: "team", visibility: "public" }],
    ["prod on a private Enterprise repository", "prod", { plan: "enterprise" }],
    ["prod on an internal Enterprise repository", "prod", { visibility: "internal" }],
    ["a wait timer on private Enterprise", "prod", { waitTimerMinutes: 30 }],
    ["stage on a private Team repository", "stage", { plan: "team" }],
    ["dev on a private Pro repository", "dev", { plan: "pro" }],
    [
      "@login reviewers on a public Pro repository",
      "prod",
      { plan: "pro", visibility: "public", deploymentReviewers: ["@alice", "@bob"] },
    ],
  ])("accepts %s", (_what, stack, changes) => {
    expect(errorsOf(stack, changes)).toEqual([]);
  });
});

describe("the prod approval rules", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "a lone reviewer (self-review prevented, no admin bypass: a deadlock)",
      { deploymentReviewers: ["release-managers"] },
      [
        "Pulumi.prod.yaml: envstack:github.deploymentReviewers: expected at least two distinct reviewers: with self-review prevented and no admin bypass, a lone reviewer can never approve their own prod deployment, found a list of 1",
      ],
    ],
    [
      "the same reviewer twice in different case",
      { deploymentReviewers: ["release-managers", "Release-Managers"] },
      [
        'Pulumi.prod.yaml: envstack:github.deploymentReviewers: expected a list without duplicates ("Release-Managers" repeated), found a list of 2',
        "Pulumi.prod.yaml: envstack:github.deploymentReviewers: expected at least two distinct reviewers: with self-review prevented and no admin bypass, a lone reviewer can never approve their own prod deployment, found a list of 2",
      ],
    ],
    [
      "no reviewer at all",
      { deploymentReviewers: [] },
      [
        "Pulumi.prod.yaml: envstack:github.deploymentReviewers: expected at least one reviewer: prod deploys need a human approval, found a list of 0",
      ],
    ],
    [
      "fewer than two approvals on main",
      { requiredApprovals: 1 },
      [
        "Pulumi.prod.yaml: envstack:github.requiredApprovals: expected at least 2 in prod (the promotion model), found number 1",
      ],
    ],
    [
      "required checks without the gate",
      { requiredChecks: ["branch-flow", "lint"] },
      [
        'Pulumi.prod.yaml: envstack:github.requiredChecks: expected a list that includes "gate", found a list of 2',
      ],
    ],
    [
      "a required check listed twice",
      { requiredChecks: ["gate", "branch-flow", "gate"] },
      [
        'Pulumi.prod.yaml: envstack:github.requiredChecks: expected a list without duplicates ("gate" repeated), found a list of 3',
      ],
    ],
  ])("refuses %s", (_what, changes, messages) => {
    expect(errorsOf("prod", changes)).toEqual(messages);
  });

  it("accepts a team and a user as the two distinct reviewers", () => {
    expect(errorsOf("prod", { deploymentReviewers: ["release-managers", "@alice"] })).toEqual([]);
  });

  it("has no reviewer floor on stacks without a human approval", () => {
    expect(errorsOf("stage", { deploymentReviewers: [] })).toEqual([]);
    expect(errorsOf("dev", { deploymentReviewers: ["solo"] })).toEqual([]);
  });
});

describe("deploy role settings", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      "an S3 bucket name for the state",
      { stateBucket: "Not_A_Bucket" },
      'Pulumi.stage.yaml: envstack:github.stateBucket: expected an S3 bucket name, found string "Not_A_Bucket"',
    ],
    [
      "a KMS ARN for the secrets key",
      { secretsKeyArn: "alias/pulumi" },
      'Pulumi.stage.yaml: envstack:github.secretsKeyArn: expected a KMS key or alias ARN, found string "alias/pulumi"',
    ],
    [
      "create or existing for the OIDC provider",
      { oidcProvider: "import" },
      'Pulumi.stage.yaml: envstack:github.oidcProvider: expected create or existing, found string "import"',
    ],
  ])("expects %s", (_what, changes, message) => {
    expect(errorsOf("stage", changes)).toEqual([message]);
  });
});
