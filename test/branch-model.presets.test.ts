import { afterEach, describe, expect, it } from "vitest";
import { runUnderMocks } from "../src/engine/mock-run";
import { loadSpecFromEngineConfig, type EnvironmentSpec } from "../src/model";
import {
  DEFAULT_ENVIRONMENTS,
  Environments,
  PRESETS,
  useEnvironments,
  type PresetName,
  type StackName,
} from "../src/model/environments";
import { parseEnvironmentsFile } from "../src/model/environments-file";
import { declareEnvironment } from "../src/program";
import {
  rulesFromRegistrations,
  type EmulatedRules,
  type GitHubEmulator,
} from "./harness/github-emulator";
import { branchFlow, feature, pr, start as startWith, step } from "./harness/replay";
import { engineConfig } from "./program/harness";

/**
 * Every preset stays live: its releases, a hotfix and the back-merges, replayed with real git
 * under the rules the production stack declares for that chain (its rulesets and deployment
 * branch policies for every environment). The gitflow preset is the default chain, replayed in
 * test/branch-model.replay.test.ts.
 */

afterEach(() => useEnvironments(DEFAULT_ENVIRONMENTS));

/** A spec for each environment of `chain`, from a committed stack file of the same role. */
function specsFor(chain: Environments): EnvironmentSpec[] {
  return chain.names.map((stack) => {
    const sample = DEFAULT_ENVIRONMENTS.names.find(
      (s) => DEFAULT_ENVIRONMENTS.role(s) === chain.role(stack),
    )!;
    return loadSpecFromEngineConfig(stack, engineConfig(sample));
  });
}

/** The rules the production stack of `chain` declares, with `chain` the process's chain. */
async function declaredRules(chain: Environments): Promise<EmulatedRules> {
  useEnvironments(chain);
  const specs = specsFor(chain);
  const production = specs.find((s) => s.stack === chain.production)!;
  const { resources } = await runUnderMocks({
    project: "envstack",
    stack: production.stack,
    config: engineConfig(
      DEFAULT_ENVIRONMENTS.names.find((s) => DEFAULT_ENVIRONMENTS.role(s) === "production")!,
    ),
    region: production.region,
    program: () => declareEnvironment(production, specs),
  });
  return rulesFromRegistrations(resources);
}

function chainOf(preset: PresetName): Environments {
  return parseEnvironmentsFile(`preset: ${preset}\n`, "envstack.yaml");
}

const start = (rules: EmulatedRules) => startWith(rules, branchFlow);

describe("envstack.yaml presets", () => {
  it.each(Object.keys(PRESETS) as PresetName[])(
    "%s names a valid chain, the same as listing its environments",
    (preset) => {
      const listed = parseEnvironmentsFile(
        `environments:\n${PRESETS[preset]
          .map(
            (e) =>
              `  - name: ${e.name}\n    role: ${e.role}\n    branches: ${JSON.stringify(e.branches)}\n${"tags" in e ? `    tags: ${JSON.stringify(e.tags)}\n` : ""}`,
          )
          .join("")}`,
        "envstack.yaml",
      );
      expect(chainOf(preset).byName).toEqual(listed.byName);
    },
  );

  it("gitflow is the default chain", () => {
    expect(chainOf("gitflow").byName).toEqual(DEFAULT_ENVIRONMENTS.byName);
  });

  it("refuses a preset beside a list, and an unknown preset, naming the key", () => {
    expect(() =>
      parseEnvironmentsFile(
        "preset: trunk-based\nenvironments:\n  - { name: a, role: development, branches: [x] }\n  - { name: b, role: production, branches: [y] }\n",
        "envstack.yaml",
      ),
    ).toThrow(/envstack\.yaml.*preset.*either preset or environments/s);
    expect(() => parseEnvironmentsFile("preset: trunk\n", "envstack.yaml")).toThrow(
      /envstack\.yaml.*preset.*one of gitflow, release-branches, trunk-based.*trunk/s,
    );
    expect(() => parseEnvironmentsFile("{}\n", "envstack.yaml")).toThrow(
      /envstack\.yaml.*environments.*or preset/s,
    );
  });

  it("refuses environments sharing some branches but not all (only a trunk shares)", () => {
    expect(() =>
      parseEnvironmentsFile(
        "environments:\n  - { name: dev, role: development, branches: [main] }\n  - { name: stage, role: production-like, branches: [main, staging] }\n  - { name: prod, role: production, branches: [main] }\n",
        "envstack.yaml",
      ),
    ).toThrow(
      /environments\[1\]\.branches\[0\].*unless every environment deploys from the same branches/s,
    );
  });
});

describe("the release-branches preset", () => {
  const chain = chainOf("release-branches");
  const [dev, test, prod] = chain.names as [StackName, StackName, StackName];
  const [develop, main] = [chain.get(dev).branches[0]!, chain.get(prod).branches[0]!];

  /** Features into develop, cut as release/<n>.0, stabilised there, promoted, merged back. */
  function release(gh: GitHubEmulator, n: number): void {
    const label = `release ${n}`;
    const branch = `release/${n}.0`;
    feature(gh, label, `feature/r${n}-a`, develop, develop);
    step(label, () => gh.branch(branch, develop));
    feature(gh, label, `hotfix/r${n}-stabilise`, branch, branch);
    pr(gh, label, branch, main, "promotion");
    pr(gh, label, main, develop, "promotion");
  }

  it("completes releases, a hotfix while a release waits, and every back-merge", async () => {
    const gh = start(await declaredRules(chain));
    step("setup", () => gh.branch(develop, main));
    for (const n of [1, 2]) release(gh, n);

    // Release 3 waits on release/3.0 while a hotfix ships through release/2.0.1, cut from main.
    feature(gh, "release 3", "feature/r3-a", develop, develop);
    step("release 3", () => gh.branch("release/3.0", develop));
    step("hotfix", () => gh.branch("release/2.0.1", main));
    feature(gh, "hotfix", "hotfix/timeout", "release/2.0.1", "release/2.0.1");
    pr(gh, "hotfix", "release/2.0.1", main, "promotion");
    pr(gh, "hotfix", main, develop, "promotion");
    // main moved under release 3: it catches up through a pull request from main first.
    pr(gh, "release 3", "release/3.0", main, "promotion");
    pr(gh, "release 3", main, develop, "promotion");
    release(gh, 4);

    for (const name of ["feature/r1-a", "hotfix/r2-stabilise", "hotfix/timeout", "feature/r4-a"]) {
      expect(gh.file(main, `${name}.txt`), `${name} on ${main}`).toBe(name);
      expect(gh.file(develop, `${name}.txt`), `${name} on ${develop}`).toBe(name);
    }
    expect(gh.log).toContain(`updated release/3.0 with ${main} through a pull request`);
    // Every promotion main received had been deployed to the test environment first.
    const heads = gh
      .git(["rev-list", "--first-parent", "--merges", "--format=%P", gh.tip(main)!])
      .split("\n")
      .filter((line) => !line.startsWith("commit "))
      .map((line) => line.split(" ")[1]!);
    expect(heads.length).toBe(5);
    for (const head of heads) expect(gh.deployments.get(test)?.has(head)).toBe(true);
  }, 60_000);

  it("refuses develop straight into main: the test environment never ran it", async () => {
    const gh = start(await declaredRules(chain));
    step("setup", () => gh.branch(develop, main));
    feature(gh, "work", "feature/x", develop, develop);
    expect(() => gh.merge(develop, main, "promotion")).toThrow(/branch-flow/);
  }, 60_000);
});

describe("the trunk-based preset", () => {
  const chain = chainOf("trunk-based");
  const trunk = chain.get(chain.production).branches[0]!;

  it("deploys every environment from the trunk and requires no deployment of a pull request's head", () => {
    expect(chain.trunk).toBe(true);
    for (const stack of chain.names) {
      expect(chain.get(stack).branches).toEqual([trunk]);
      expect(chain.get(stack).merge.requiredDeployments).toEqual([]);
      expect(chain.get(stack).allowedSources).toEqual(["feature/*", "bugfix/*", "hotfix/*"]);
    }
    expect(chain.get(chain.production).merge).toMatchObject({
      minApprovals: 2,
      codeOwnerReview: true,
      strictChecks: true,
    });
  });

  it("merges work and hotfixes into the trunk release after release, each merge deployed everywhere", async () => {
    const rules = await declaredRules(chain);
    const gh = start(rules);
    // Every environment's ruleset and branch policy bears on the trunk: the strictest wins.
    expect([...gh.environmentsFor(trunk)].sort()).toEqual([...chain.names].sort());
    expect(gh.rulesFor(trunk)).toMatchObject({
      pullRequest: true,
      strict: true,
      methods: ["merge"],
      deployments: [],
    });
    for (const n of [1, 2, 3]) {
      // Both branches start before either merges: the second is out of date when it merges.
      step(`release ${n}`, () => {
        gh.branch(`feature/r${n}-a`, trunk);
        gh.commit(`feature/r${n}-a`, { [`r${n}-a.txt`]: "a\n" }, "a");
        gh.branch(`feature/r${n}-b`, trunk);
        gh.commit(`feature/r${n}-b`, { [`r${n}-b.txt`]: "b\n" }, "b");
      });
      pr(gh, `release ${n}`, `feature/r${n}-a`, trunk, "work");
      pr(gh, `release ${n}`, `feature/r${n}-b`, trunk, "work");
    }
    feature(gh, "hotfix", "hotfix/timeout", trunk, trunk);
    expect(() => gh.merge("release/9.0", trunk, "promotion")).toThrow();
    for (const file of ["r1-a.txt", "r3-b.txt", "hotfix/timeout.txt"]) {
      expect(gh.file(trunk, file)).toBeDefined();
    }
    for (const stack of chain.names)
      expect(gh.deployments.get(stack)?.has(gh.tip(trunk)!)).toBe(true);
  }, 60_000);
});
