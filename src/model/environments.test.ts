import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigErrors,
  DEFAULT_ENVIRONMENTS,
  ENVIRONMENTS_FILE,
  ENVIRONMENTS_FILE_VARIABLE,
  Environments,
  environments,
  loadEnvironments,
  parseEnvironmentsFile,
  useEnvironments,
} from ".";
import { checkBranchFlow } from "./branch-flow";

/** A chain of four environments, named unlike the sample's, with a QA step before staging. */
const FOUR = `
environments:
  - name: sandbox
    role: development
    branches: [develop]
  - name: qa
    role: development
    branches: [qa]
  - name: preprod
    role: production-like
    branches: [preprod, release/*]
  - name: live
    role: production
    branches: [main]
    tags: ["v*"]
`;

function errorsOf(text: string): string[] {
  try {
    parseEnvironmentsFile(text, "envstack.yaml");
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  return [];
}

afterEach(() => useEnvironments(DEFAULT_ENVIRONMENTS));

describe("the default chain", () => {
  it("is dev, stage and prod, deploying from develop, staging and release/*, and main", () => {
    const chain = DEFAULT_ENVIRONMENTS;
    expect(chain.names).toEqual(["dev", "stage", "prod"]);
    expect(chain.names.map((s) => [s, chain.role(s), chain.get(s).branches])).toEqual([
      ["dev", "development", ["develop"]],
      ["stage", "production-like", ["staging", "release/*"]],
      ["prod", "production", ["main"]],
    ]);
    expect(chain.production).toBe("prod");
    expect(chain.get("prod").tags).toEqual(["v*"]);
  });

  it("derives the promotion model's rules from each role and place", () => {
    const chain = DEFAULT_ENVIRONMENTS;
    expect(chain.get("dev").allowedSources).toEqual(["feature/*", "bugfix/*", "hotfix/*", "main"]);
    expect(chain.get("stage").allowedSources).toEqual(["develop", "hotfix/*", "main"]);
    expect(chain.get("prod").allowedSources).toEqual(["staging", "release/*"]);
    expect(chain.get("dev").merge.mergeMethods).toEqual(["merge", "squash"]);
    expect(chain.get("stage").merge).toMatchObject({ minApprovals: 1, strictChecks: false });
    expect(chain.get("prod").merge).toMatchObject({
      minApprovals: 2,
      codeOwnerReview: true,
      lastPushApproval: true,
      strictChecks: true,
      mergeMethods: ["merge"],
      requiredDeployments: ["stage"],
    });
    expect(chain.get("prod").deploy).toEqual({
      humanApproval: true,
      preventSelfReview: true,
      adminBypass: false,
    });
    expect(chain.get("stage").deploy.humanApproval).toBe(false);
    expect(chain.names.map((s) => [chain.get(s).variablePrefix, chain.get(s).label])).toEqual([
      ["DEV_", "env/dev"],
      ["STAGE_", "env/stage"],
      ["PROD_", "env/prod"],
    ]);
  });
});

describe("a chain declared in envstack.yaml", () => {
  const chain = parseEnvironmentsFile(FOUR, "envstack.yaml");

  it("keeps the declared order and roles", () => {
    expect(chain.names).toEqual(["sandbox", "qa", "preprod", "live"]);
    expect(chain.previous("preprod")).toBe("qa");
    expect(chain.next("qa")).toBe("preprod");
    expect(chain.previous("sandbox")).toBeUndefined();
    expect(chain.next("live")).toBeUndefined();
    expect(chain.production).toBe("live");
    expect(chain.names.filter((s) => chain.isProductionLike(s))).toEqual(["preprod", "live"]);
  });

  it("flows work into the first, promotions forward, hotfixes before production, back-merges from production", () => {
    expect(chain.get("sandbox").allowedSources).toEqual([
      "feature/*",
      "bugfix/*",
      "hotfix/*",
      "main",
    ]);
    expect(chain.get("qa").allowedSources).toEqual(["develop", "main"]);
    expect(chain.get("preprod").allowedSources).toEqual(["qa", "hotfix/*", "main"]);
    expect(chain.get("live").allowedSources).toEqual(["preprod", "release/*"]);
    // Only the first environment takes squashed work; promotions are merge commits.
    expect(chain.get("qa").merge.mergeMethods).toEqual(["merge"]);
    expect(chain.get("live").merge.requiredDeployments).toEqual(["preprod"]);
    expect(chain.get("qa").variablePrefix).toBe("QA_");
  });

  it("is what the branch-flow check judges pull requests by once it is the chain in use", () => {
    useEnvironments(chain);
    expect(checkBranchFlow("qa", "develop").allowed).toBe(true);
    expect(checkBranchFlow("preprod", "develop").allowed).toBe(false);
    expect(checkBranchFlow("preprod", "qa").allowed).toBe(true);
    expect(checkBranchFlow("main", "release/2026.11").allowed).toBe(true);
    expect(checkBranchFlow("main", "qa").allowed).toBe(false);
  });

  it("refuses an unknown environment by name, listing the chain", () => {
    expect(() => chain.get("stage")).toThrow(
      'unknown environment "stage": expected one of sandbox, qa, preprod, live',
    );
    expect(chain.has("stage")).toBe(false);
    expect(chain.has("toString")).toBe(false);
  });
});

describe("a wrong envstack.yaml", () => {
  const entry = (name: string, role: string, branches: string, extra = "") =>
    `  - name: ${name}\n    role: ${role}\n    branches: [${branches}]\n${extra}`;

  it("names the file, the key, what was expected and what was found", () => {
    expect(errorsOf("environments: {}\n")).toEqual([
      "envstack.yaml: environments: expected a list of environments in promotion order, found a map",
    ]);
    expect(
      errorsOf(
        `environments:\n${entry("Dev", "development", "develop")}${entry("prod", "production", "main")}`,
      ),
    ).toEqual([
      'envstack.yaml: environments[0].name: expected an environment name: a lowercase letter, then at most 7 lowercase letters or digits, found string "Dev"',
    ]);
    expect(
      errorsOf(
        `environments:\n${entry("dev", "staging", "develop")}${entry("prod", "production", "main")}`,
      ),
    ).toEqual([
      'envstack.yaml: environments[0].role: expected one of development, production-like, production, found string "staging"',
    ]);
    expect(errorsOf("environments: []\nextra: 1\n")).toContain(
      "envstack.yaml: extra: expected one of preset, environments, found unknown key with number 1",
    );
    expect(errorsOf("environments: [\n")[0]).toMatch(
      /^envstack\.yaml: \(document\): expected valid YAML, found /,
    );
  });

  it("refuses a chain production cannot be reached through", () => {
    // Production not last, and a development environment right before it.
    expect(
      errorsOf(
        `environments:\n${entry("prod", "production", "main")}${entry("dev", "development", "develop")}`,
      ),
    ).toEqual([
      "envstack.yaml: environments[0].role: expected exactly one environment with role production, the last in the chain, found production at environments[0]",
      'envstack.yaml: environments[1].role: expected a role no earlier than production (the chain goes development, production-like, production), found string "development"',
    ]);
    expect(
      errorsOf(
        `environments:\n${entry("dev", "development", "develop")}${entry("prod", "production", "main")}`,
      ),
    ).toEqual([
      'envstack.yaml: environments[0].role: expected production-like: production deploys only what the environment before it ran, which must mirror it, found string "development"',
    ]);
    expect(
      errorsOf(
        `environments:\n${entry("dev", "development", "develop")}${entry("stage", "production-like", "staging")}`,
      ),
    ).toEqual([
      "envstack.yaml: environments: expected exactly one environment with role production, the last in the chain, found none",
    ]);
  });

  it("refuses names and branches two environments share, work branches and tags off production", () => {
    expect(
      errorsOf(
        `environments:\n${entry("stage", "production-like", "release/*")}${entry("stage", "production-like", "release/v1")}${entry("prod", "production", "main", '    tags: ["v*"]\n')}`,
      ),
    ).toEqual([
      'envstack.yaml: environments[1].name: expected a name no other environment has (environments[0] is stage), found string "stage"',
      'envstack.yaml: environments[1].branches[0]: expected a branch no other environment deploys from (stage deploys from release/*), unless every environment deploys from the same branches (a trunk), found string "release/v1"',
    ]);
    expect(
      errorsOf(
        `environments:\n${entry("dev", "development", "feature/*")}${entry("stage", "production-like", "staging", '    tags: ["rc*"]\n')}${entry("prod", "production", "main")}`,
      ),
    ).toEqual([
      'envstack.yaml: environments[0].branches[0]: expected a branch that is not a work branch (feature/*, bugfix/*, hotfix/* merge into dev), found string "feature/*"',
      "envstack.yaml: environments[1].tags: expected no tags: release tags belong to the production environment, found a list of 1",
    ]);
  });
});

describe("loading a project's chain", () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), "envstack-chain-"));

  it("is the default chain when the project declares none", () => {
    expect(loadEnvironments(dir(), {})).toBe(DEFAULT_ENVIRONMENTS);
  });

  it("reads envstack.yaml beside Pulumi.yaml, or the file ENVSTACK_ENVIRONMENTS_FILE names", () => {
    const project = dir();
    fs.writeFileSync(path.join(project, ENVIRONMENTS_FILE), FOUR);
    expect(loadEnvironments(project, {}).names).toEqual(["sandbox", "qa", "preprod", "live"]);
    const elsewhere = dir();
    expect(
      loadEnvironments(elsewhere, {
        [ENVIRONMENTS_FILE_VARIABLE]: path.join(project, ENVIRONMENTS_FILE),
      }).production,
    ).toBe("live");
  });

  it("refuses a directory in the file's place, naming it", () => {
    const project = dir();
    fs.mkdirSync(path.join(project, ENVIRONMENTS_FILE));
    expect(() => loadEnvironments(project, {})).toThrow(
      `${path.join(project, ENVIRONMENTS_FILE)}: (file): expected a readable environments file, found a directory`,
    );
  });

  it("is what every reader sees once in use", () => {
    const chain = new Environments([
      { name: "a", role: "production-like", branches: ["a"] },
      { name: "b", role: "production", branches: ["b"] },
    ]);
    useEnvironments(chain);
    expect(environments()).toBe(chain);
  });
});
