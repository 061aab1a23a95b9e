import { SAMPLE } from "../harness/sample";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT_ID } from "../../src/engine/mocks";
import {
  REGION,
  TYPES,
  githubWith,
  ofType,
  runGovernance,
  single,
  teamId,
  userId,
  type GovernanceRun,
} from "./support";
import { runStack } from "../program/harness";

const REPO = `${SAMPLE.repository}`;

function refs(includes: string[]) {
  return { refName: { excludes: [], includes } };
}

function checks(strict: boolean, contexts: string[]) {
  return {
    strictRequiredStatusChecksPolicy: strict,
    // Bound to GitHub Actions (app id 15368): no other token's status satisfies them.
    requiredChecks: contexts.map((context) => ({ context, integrationId: 15368 })),
  };
}

const BRANCH_RULESETS = {
  dev: {
    bypassActors: [],
    conditions: refs(["refs/heads/develop"]),
    enforcement: "active",
    name: "envstack-dev-branches",
    repository: REPO,
    target: "branch",
    rules: {
      deletion: true,
      nonFastForward: true,
      pullRequest: {
        allowedMergeMethods: ["merge", "squash"],
        requiredApprovingReviewCount: 0,
        requireCodeOwnerReview: false,
        dismissStaleReviewsOnPush: false,
        requireLastPushApproval: false,
        requiredReviewThreadResolution: false,
      },
      requiredStatusChecks: checks(false, ["gate", "branch-flow"]),
    },
  },
  stage: {
    bypassActors: [],
    conditions: refs(["refs/heads/staging", "refs/heads/release/*"]),
    enforcement: "active",
    name: "envstack-stage-branches",
    repository: REPO,
    target: "branch",
    rules: {
      deletion: true,
      nonFastForward: true,
      pullRequest: {
        allowedMergeMethods: ["merge"],
        requiredApprovingReviewCount: 1,
        requireCodeOwnerReview: false,
        dismissStaleReviewsOnPush: true,
        requireLastPushApproval: false,
        requiredReviewThreadResolution: false,
      },
      requiredStatusChecks: checks(false, ["gate", "branch-flow"]),
    },
  },
  prod: {
    bypassActors: [],
    conditions: refs(["refs/heads/main"]),
    enforcement: "active",
    name: "envstack-prod-branches",
    repository: REPO,
    target: "branch",
    rules: {
      deletion: true,
      nonFastForward: true,
      pullRequest: {
        allowedMergeMethods: ["merge"],
        requiredApprovingReviewCount: 2,
        requireCodeOwnerReview: true,
        dismissStaleReviewsOnPush: true,
        requireLastPushApproval: true,
        requiredReviewThreadResolution: true,
      },
      requiredStatusChecks: checks(true, ["gate", "branch-flow"]),
      requiredDeployments: { requiredDeploymentEnvironments: ["stage"] },
    },
  },
} as const;

const BRANCH_POLICIES = {
  dev: { [`${SAMPLE.app}-dev-env-branch-develop`]: "develop" },
  stage: {
    [`${SAMPLE.app}-stage-env-branch-staging`]: "staging",
    [`${SAMPLE.app}-stage-env-branch-release-all`]: "release/*",
  },
  prod: { [`${SAMPLE.app}-prod-env-branch-main`]: "main" },
} as const;

const LABEL_COLOURS = { dev: "0e8a16", stage: "fbca04", prod: "b60205" } as const;

describe.each(["dev", "stage", "prod"] as const)("the %s stack", (stack) => {
  let run: GovernanceRun;
  const prefix = stack.toUpperCase();
  beforeAll(async () => {
    run = await runGovernance(stack);
  });

  it("is guarded from the prod stack, through one GitHub provider with no token in its inputs", () => {
    const provider = single(run, TYPES.githubProvider);
    expect(provider.urn).toBe(
      `urn:pulumi:prod::envstack::pulumi:providers:github::${SAMPLE.app}-github`,
    );
    expect(provider.inputs["owner"]).toBe(`${SAMPLE.owner}`);
    expect(provider.inputs).not.toHaveProperty("token");
  });

  it("declares every GitHub resource under that provider and inside a component", () => {
    const provider = single(run, TYPES.githubProvider);
    const githubResources = run.resources.filter((r) => r.type.startsWith("github:"));
    expect(githubResources.length).toBeGreaterThan(0);
    for (const r of githubResources) {
      expect(r.provider.startsWith(`${provider.urn}::`), r.name).toBe(true);
      expect(r.parent, r.name).toMatch(
        new RegExp(`[:$]envstack:github:[A-Za-z]+::${SAMPLE.app}-[a-z-]+$`),
      );
      expect(r.urn.startsWith("urn:pulumi:prod::"), r.name).toBe(true);
    }
  });

  it("guards the branch set with exactly the promotion model's ruleset", () => {
    const branchSets = ofType(run, TYPES.ruleset).filter((r) => r.inputs["target"] === "branch");
    expect(branchSets.map((r) => r.name)).toEqual([`${SAMPLE.app}-${stack}-rules-branches`]);
    expect(branchSets[0]!.inputs).toEqual(BRANCH_RULESETS[stack]);
  });

  it("guards release tags only in prod", () => {
    const tagSets = ofType(run, TYPES.ruleset).filter((r) => r.inputs["target"] === "tag");
    if (stack !== "prod") {
      expect(tagSets).toEqual([]);
      return;
    }
    expect(tagSets.map((r) => r.name)).toEqual([`${SAMPLE.app}-prod-rules-tags`]);
    expect(tagSets[0]!.inputs).toEqual({
      bypassActors: [],
      conditions: refs(["refs/tags/v*"]),
      enforcement: "active",
      name: "envstack-prod-tags",
      repository: REPO,
      target: "tag",
      rules: { deletion: true, nonFastForward: true, update: true },
    });
  });

  it("declares the deployment environment named after the stack", async () => {
    const environment = single(run, TYPES.environment);
    expect(environment.name).toBe(`${SAMPLE.app}-${stack}-env-environment`);
    const expected: Record<string, unknown> = {
      repository: REPO,
      environment: stack,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      preventSelfReview: stack === "prod",
      canAdminsBypass: stack !== "prod",
      waitTimer: 0,
    };
    if (stack === "prod") {
      expected["reviewers"] = [
        { teams: [await teamId("release-managers"), await teamId("sre-leads")], users: [] },
      ];
    }
    expect(environment.inputs).toEqual(expected);
  });

  it("lets only the stack's branches deploy to its environment", () => {
    const policies = ofType(run, TYPES.branchPolicy);
    expect(Object.fromEntries(policies.map((p) => [p.name, p.inputs["branchPattern"]]))).toEqual(
      BRANCH_POLICIES[stack],
    );
    for (const p of policies) {
      expect(p.inputs).toEqual({
        repository: REPO,
        environment: stack,
        branchPattern: p.inputs["branchPattern"],
      });
    }
  });

  it("publishes the prefixed variables, and no secret", () => {
    const variables = ofType(run, TYPES.variable);
    const byName = Object.fromEntries(
      variables.map((v) => [v.inputs["variableName"], v.inputs["value"]]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      `${prefix}_AWS_REGION`,
      `${prefix}_AWS_ROLE_ARN`,
      `${prefix}_STACK`,
    ]);
    expect(byName[`${prefix}_AWS_REGION`]).toBe(REGION);
    expect(byName[`${prefix}_STACK`]).toBe(stack);
    // The deploy role's ARN, path included, in the account the environment deploys into.
    expect(byName[`${prefix}_AWS_ROLE_ARN`]).toBe(
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/${SAMPLE.app}-${stack}-deploy`,
    );
    for (const v of variables) {
      expect(v.inputs["environment"]).toBe(stack);
      expect(v.inputs["repository"]).toBe(REPO);
    }
    expect(run.resources.filter((r) => /Secret/.test(r.type))).toEqual([]);
  });

  it("labels the environment env/<stack>", () => {
    const label = single(run, TYPES.label);
    expect(label.name).toBe(`${SAMPLE.app}-${stack}-label`);
    expect(label.inputs).toEqual({
      repository: REPO,
      name: `env/${stack}`,
      color: LABEL_COLOURS[stack],
      description: `Changes bound for the ${stack} environment`,
    });
  });

  it("trusts only the stack's GitHub environment in the deploy role", () => {
    const role = single(run, TYPES.role);
    expect(role.name).toBe("deploy-role");
    expect(role.inputs["name"]).toBe(`${SAMPLE.app}-${stack}-deploy`);
    expect(role.inputs["path"]).toBe("/ci/");
    expect(JSON.parse(String(role.inputs["assumeRolePolicy"]))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: {
            Federated: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
          },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:${stack}`,
            },
          },
        },
      ],
    });
  });

  it("declares the deploy role under the stack's AWS provider (its default tags)", () => {
    // Declared once, at the top level of the stack's own program.
    const deployRoles = run.resources.filter((r) => r.type === TYPES.deployRole);
    expect(deployRoles.map((r) => r.urn)).toEqual([
      `urn:pulumi:${stack}::envstack::${TYPES.deployRole}::deploy`,
    ]);
    const provider = deployRoles[0];
    const children = run.resources.filter((r) => r.parent === provider!.urn);
    expect(children.map((r) => r.type).sort()).toEqual(
      [
        ...(run.spec.github.oidcProvider === "create" ? [TYPES.oidcProvider] : []),
        TYPES.policy,
        TYPES.role,
        TYPES.rolePolicy,
      ].sort(),
    );
    for (const child of children) {
      expect(child.provider).toMatch(
        new RegExp(
          `^urn:pulumi:${stack}::envstack::pulumi:providers:aws::${SAMPLE.app}-${stack}::`,
        ),
      );
    }
  });

  it("exports the deploy role ARN from its own stack, the guards from prod's", () => {
    const roleArn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/${SAMPLE.app}-${stack}-deploy`;
    expect(run.outputs["deployRoleArn"]).toBe(roleArn);
    const guards = run.outputs["guards"] as Record<string, unknown>;
    expect(typeof guards["branchRulesetId"]).toBe("number");
    expect(guards["deploymentEnvironment"]).toBe(stack);
    expect(guards["deployRoleArn"]).toBe(roleArn);
    if (stack === "prod") expect(typeof guards["tagRulesetId"]).toBe("number");
    else expect(guards).not.toHaveProperty("tagRulesetId");
  });
});

describe("configured exceptions", () => {
  it("lets pull-request bypass teams bypass only through a pull request", async () => {
    const run = await runGovernance("prod", {
      "envstack:github": githubWith("prod", { pullRequestBypassTeams: ["hotfix-captains"] }),
    });
    const branchSet = ofType(run, TYPES.ruleset).find((r) => r.inputs["target"] === "branch");
    expect(branchSet?.inputs["bypassActors"]).toEqual([
      { actorType: "Team", actorId: await teamId("hotfix-captains"), bypassMode: "pull_request" },
    ]);
    const tagSet = ofType(run, TYPES.ruleset).find((r) => r.inputs["target"] === "tag");
    expect(tagSet?.inputs["bypassActors"]).toEqual([]);
  });

  it("resolves @login reviewers as users and slugs as teams", async () => {
    const run = await runGovernance("prod", {
      "envstack:github": githubWith("prod", {
        deploymentReviewers: ["release-managers", "@octo-cat"],
        waitTimerMinutes: 15,
      }),
    });
    const environment = single(run, TYPES.environment);
    expect(environment.inputs["reviewers"]).toEqual([
      { teams: [await teamId("release-managers")], users: [await userId("octo-cat")] },
    ]);
    expect(environment.inputs["waitTimer"]).toBe(15);
  });

  it("applies reviewers configured on a stack that does not require them", async () => {
    const run = await runGovernance("stage", {
      "envstack:github": githubWith("stage", { deploymentReviewers: ["qa-leads"] }),
    });
    const environment = single(run, TYPES.environment);
    expect(environment.inputs["reviewers"]).toEqual([
      { teams: [await teamId("qa-leads")], users: [] },
    ]);
    expect(environment.inputs["preventSelfReview"]).toBe(false);
    expect(environment.inputs["canAdminsBypass"]).toBe(true);
  });

  it("creates the account's OIDC provider, kept when the stack is destroyed", async () => {
    const run = await runGovernance("stage", {
      "envstack:github": githubWith("stage", { oidcProvider: "create" }),
    });
    const provider = single(run, TYPES.oidcProvider);
    expect(provider.name).toBe("deploy-github-oidc");
    expect(provider.inputs).toEqual({
      url: "https://token.actions.githubusercontent.com",
      clientIdLists: ["sts.amazonaws.com"],
    });
    expect(provider.retainOnDelete).toBe(true);
  });

  it("looks the OIDC provider up instead when another stack owns it", async () => {
    const run = await runGovernance("stage", {
      "envstack:github": githubWith("stage", { oidcProvider: "existing" }),
    });
    expect(ofType(run, TYPES.oidcProvider)).toEqual([]);
    const trust = JSON.parse(String(single(run, TYPES.role).inputs["assumeRolePolicy"])) as {
      Statement: { Principal: { Federated: string } }[];
    };
    expect(trust.Statement[0]?.Principal.Federated).toBe(
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
    );
  });
});

describe("who declares the guards", () => {
  it.each(["dev", "stage"] as const)(
    "%s declares no GitHub resource and no GitHub provider",
    async (stack) => {
      const run = await runStack(stack);
      expect(run.resources.filter((r) => r.type.includes("github"))).toEqual([]);
      expect(run.outputs).not.toHaveProperty("guards");
    },
  );

  it("declares each environment's guards after the earlier environments' (main requires stage)", async () => {
    const run = await runStack("prod");
    const guards = run.resources.filter((r) => r.type === "envstack:github:EnvironmentGuards");
    const environmentUrn = (stack: string) =>
      run.resources.find((r) => r.type === TYPES.environment && r.inputs["environment"] === stack)!
        .urn;
    // Depending on a component is depending on every resource inside it (the SDK expands it).
    expect(guards.map((g) => g.name)).toEqual([
      `${SAMPLE.app}-dev`,
      `${SAMPLE.app}-stage`,
      `${SAMPLE.app}-prod`,
    ]);
    expect(guards[0]!.dependencies).toEqual([]);
    expect(guards[1]!.dependencies).toContain(environmentUrn("dev"));
    expect(guards[2]!.dependencies).toEqual(
      expect.arrayContaining([environmentUrn("dev"), environmentUrn("stage")]),
    );
    expect(guards[1]!.dependencies).not.toContain(environmentUrn("prod"));
  });

  it("publishes an environment's deploy role in the account its stack file names", async () => {
    const run = await runStack(
      "prod",
      { "envstack:accountId": "123456789012" },
      {
        dev: { "envstack:accountId": "210987654321" },
        stage: { "envstack:accountId": "123456789013" },
      },
    );
    const variables = run.resources.filter(
      (r) => r.type === TYPES.variable && r.inputs["variableName"] === "DEV_AWS_ROLE_ARN",
    );
    expect(variables.map((v) => v.inputs["value"])).toEqual([
      `arn:aws:iam::210987654321:role/ci/${SAMPLE.app}-dev-deploy`,
    ]);
  });

  it("pins a stack with accountId to that account", async () => {
    const run = await runStack("dev", { "envstack:accountId": "210987654321" });
    const provider = single(run, TYPES.awsProvider);
    // Provider inputs travel JSON-encoded, as the engine hands them to the provider.
    expect(JSON.parse(String(provider.inputs["allowedAccountIds"]))).toEqual(["210987654321"]);
  });
});
