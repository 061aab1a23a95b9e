import * as fs from "node:fs";
import * as path from "node:path";
import { ACTION_INPUTS } from "./action-inputs";
import { lintWorkflow as runLint } from "./actionlint";
import { describe, expect, it } from "vitest";
import { environments, CHECKS } from "../../src/model/environments";
import { checkWorkflows, loadWorkflows, REAL_MODEL, WORKFLOW_DIR, type Workflow } from "./drift";

const workflows = loadWorkflows();

/** The node at `keys` under `root`, which must be a map: tests mutate it in place. */
function node(root: unknown, ...keys: (string | number)[]): Record<string, unknown> {
  let current = root;
  for (const key of keys) {
    if (current === null || typeof current !== "object") throw new Error(`no ${key} in path`);
    current = (current as Record<string | number, unknown>)[key];
  }
  if (current === null || typeof current !== "object" || Array.isArray(current)) {
    throw new Error(`${keys.join(".")} is not a map`);
  }
  return current as Record<string, unknown>;
}

/** A copy of the real workflows with one file's parsed document changed. */
function mutated(file: string, change: (doc: unknown) => void): Workflow[] {
  return workflows.map((w) => {
    if (w.file !== file) return w;
    const doc: unknown = structuredClone(w.doc);
    change(doc);
    return { file, doc };
  });
}

function stepIndex(
  doc: unknown,
  job: string,
  predicate: (step: Record<string, unknown>) => boolean,
) {
  const steps = node(doc, "jobs", job)["steps"] as Record<string, unknown>[];
  const index = steps.findIndex(predicate);
  if (index < 0) throw new Error("no such step");
  return index;
}

describe("the workflow files", () => {
  it("are the pull request, branch-flow, code scanning and one deploy workflow per stack", () => {
    expect(workflows.map((w) => w.file)).toEqual([
      "branch-flow.yml",
      "code-scanning.yml",
      "deploy-dev.yml",
      "deploy-prod.yml",
      "deploy-stage.yml",
      "pull-request.yml",
    ]);
  });

  it.each(workflows.map((w) => w.file))("%s passes actionlint", async (file) => {
    const full = path.join(WORKFLOW_DIR, file);
    expect(await runLint(fs.readFileSync(full, "utf8"), full)).toEqual([]);
  });

  it("agree with src/model", () => {
    expect(checkWorkflows(workflows)).toEqual([]);
  });
});

describe("actionlint bites", () => {
  it("flags an untrusted branch name spliced into a script", async () => {
    const text = fs
      .readFileSync(path.join(WORKFLOW_DIR, "branch-flow.yml"), "utf8")
      .replace('--head "$HEAD_REF"', '--head "${{ github.head_ref }}"');
    const results = await runLint(text, "branch-flow.yml");
    expect(results.map((r) => [r.kind, r.message])).toEqual([
      [
        "expression",
        '"github.head_ref" is potentially untrusted. avoid using it directly in inline scripts. instead, pass it through an environment variable. see https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions for more details',
      ],
    ]);
  });

  it("stays quiet on inputs of majors newer than its bundled table", async () => {
    // actionlint 1.7.7 knows pulumi/actions up to v6: a misspelled input of v7 passes it, which
    // is why checkWorkflows checks inputs against ACTION_INPUTS.
    const text = fs
      .readFileSync(path.join(WORKFLOW_DIR, "deploy-prod.yml"), "utf8")
      .replace("policyPacks: policies", "policyPack: policies");
    const results = await runLint(text, "deploy-prod.yml");
    expect(results).toEqual([]);
  });
});

describe("checkWorkflows reports drift from src/model", () => {
  it("reads the required checks from the model", () => {
    const expected = new Set(
      environments().names.flatMap((s) => environments().get(s).merge.requiredChecks),
    );
    expect([...expected].sort()).toEqual([CHECKS.branchFlow, CHECKS.gate]);
  });

  it("a renamed pull request job", () => {
    const drift = mutated("pull-request.yml", (doc) => {
      node(doc, "jobs", "gate")["name"] = "gatekeeper";
    });
    expect(checkWorkflows(drift)).toEqual([
      'pull_request workflows: no job reports the required check "gate"',
      'pull_request workflows: job check "gatekeeper" (pull-request.yml) is not a required check of any environment in src/model',
    ]);
  });

  it("a job id used as the check name when the job has no name", () => {
    const drift = mutated("branch-flow.yml", (doc) => {
      const jobs = node(doc, "jobs");
      jobs["flow"] = jobs["branch-flow"];
      delete jobs["branch-flow"];
      delete node(jobs, "flow")["name"];
    });
    expect(checkWorkflows(drift)).toEqual([
      'pull_request workflows: no job reports the required check "branch-flow"',
      'pull_request workflows: job check "flow" (branch-flow.yml) is not a required check of any environment in src/model',
    ]);
  });

  it("pull-request code given a secret, an OIDC token or a write scope", () => {
    const drift = mutated("pull-request.yml", (doc) => {
      const gate = node(doc, "jobs", "gate");
      node(gate, "permissions")["id-token"] = "write";
      node(gate, "permissions")["pull-requests"] = "write";
      gate["env"] = { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" };
    });
    expect(checkWorkflows(drift)).toEqual([
      "pull-request.yml: job gate: runs pull-request code with the secret PULUMI_ACCESS_TOKEN",
      "pull-request.yml: job gate: runs pull-request code with id-token (a cloud credential)",
      "pull-request.yml: job gate: runs pull-request code with id-token: write",
      "pull-request.yml: job gate: runs pull-request code with pull-requests: write",
    ]);
  });

  it("pull-request code run in a deployment environment", () => {
    const drift = mutated("pull-request.yml", (doc) => {
      node(doc, "jobs", "gate")["environment"] = "dev";
    });
    expect(checkWorkflows(drift)).toEqual([
      "pull-request.yml: job gate: runs pull-request code in a deployment environment",
    ]);
  });

  it("a publishing job that checks out the pull request, or no longer uploads SARIF", () => {
    const checkout = mutated("pull-request.yml", (doc) => {
      const steps = node(doc, "jobs", "report")["steps"] as unknown[];
      steps.unshift({ uses: "actions/checkout@v7" });
    });
    expect(checkWorkflows(checkout)).toEqual([
      'pull_request workflows: job check "gate report" (pull-request.yml) is not a required check of any environment in src/model',
      "pull-request.yml: job gate report: runs pull-request code with pull-requests: write",
      "pull-request.yml: job gate report: runs pull-request code with security-events: write",
      "pull_request workflows: no job that runs no pull-request code uploads the SARIF (github/codeql-action/upload-sarif)",
    ]);
    const noUpload = mutated("pull-request.yml", (doc) => {
      const steps = node(doc, "jobs", "report")["steps"] as unknown[];
      steps.splice(
        stepIndex(doc, "report", (s) => String(s["uses"]).startsWith("github/codeql-action/")),
        1,
      );
    });
    expect(checkWorkflows(noUpload)).toEqual([
      "pull_request workflows: no job that runs no pull-request code uploads the SARIF (github/codeql-action/upload-sarif)",
    ]);
  });

  it("code scanning that misses a guarded branch, holds a credential, or uploads from the gate", () => {
    const missing = mutated("code-scanning.yml", (doc) => {
      node(doc, "on", "push")["branches"] = ["develop", "staging", "main"];
    });
    expect(checkWorkflows(missing)).toEqual([
      'push workflows: no job runs "envstack preview --all --format sarif" on pushes to every guarded branch (develop, staging, release/*, main)',
      "push workflows: no job that runs no repository code uploads the SARIF (github/codeql-action/upload-sarif, security-events: write)",
    ]);
    const widened = mutated("code-scanning.yml", (doc) => {
      node(doc, "jobs", "scan", "permissions")["security-events"] = "write";
      node(doc, "jobs", "scan")["env"] = { TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" };
    });
    expect(checkWorkflows(widened)).toEqual([
      "code-scanning.yml: job code scanning gate: runs the gate with the secret PULUMI_ACCESS_TOKEN",
      "code-scanning.yml: job code scanning gate: runs the gate with security-events: write",
    ]);
    const checkout = mutated("code-scanning.yml", (doc) => {
      (node(doc, "jobs", "upload")["steps"] as unknown[]).unshift({ uses: "actions/checkout@v7" });
    });
    expect(checkWorkflows(checkout)).toEqual([
      "push workflows: no job that runs no repository code uploads the SARIF (github/codeql-action/upload-sarif, security-events: write)",
    ]);
  });

  it("the GitHub admin token outside the guards stack's deploy", () => {
    const drift = mutated("deploy-dev.yml", (doc) => {
      const i = stepIndex(doc, "deploy", (s) => String(s["uses"]).startsWith("pulumi/actions@"));
      node(doc, "jobs", "deploy", "steps", i, "env")["GITHUB_TOKEN"] =
        "${{ secrets.ENVSTACK_GITHUB_TOKEN }}";
    });
    expect(checkWorkflows(drift)).toEqual([
      "deploy-dev.yml: job deploy: holds ENVSTACK_GITHUB_TOKEN, but only the prod deploy changes GitHub guards",
    ]);
    const missing = mutated("deploy-prod.yml", (doc) => {
      const i = stepIndex(doc, "deploy", (s) => String(s["uses"]).startsWith("pulumi/actions@"));
      delete node(doc, "jobs", "deploy", "steps", i, "env")["GITHUB_TOKEN"];
    });
    expect(checkWorkflows(missing)).toEqual([
      "deploy-prod.yml: job deploy: needs ENVSTACK_GITHUB_TOKEN as GITHUB_TOKEN: the prod stack declares the GitHub guards",
    ]);
  });

  it("a gate that stops producing the SARIF report", () => {
    const drift = mutated("pull-request.yml", (doc) => {
      const i = stepIndex(doc, "gate", (s) => s["id"] === "gate");
      const step = node(doc, "jobs", "gate", "steps", i);
      step["run"] = String(step["run"]).replace("--format sarif", "--format json");
    });
    expect(checkWorkflows(drift)).toEqual([
      'pull-request.yml: job gate: does not run "envstack preview --all --format sarif"',
    ]);
  });

  it("a branch-flow check that a retargeted pull request would skip", () => {
    const drift = mutated("branch-flow.yml", (doc) => {
      node(doc, "on", "pull_request")["types"] = ["opened", "synchronize", "reopened"];
    });
    expect(checkWorkflows(drift)).toEqual([
      "branch-flow.yml: job branch-flow: must also run on edited pull requests (a retargeted base)",
    ]);
  });

  it("a changed deploy branch", () => {
    const drift = mutated("deploy-stage.yml", (doc) => {
      node(doc, "on", "push")["branches"] = ["staging"];
    });
    expect(checkWorkflows(drift)).toEqual([
      "deploy-stage.yml: job deploy: deploys stage on pushes to [staging], src/model says [staging, release/*]",
    ]);
  });

  it("a model change the workflows have not followed", () => {
    const model = {
      ...REAL_MODEL,
      environments: {
        ...environments().byName,
        dev: { ...environments().get("dev"), branches: ["develop", "integration"] },
        prod: {
          ...environments().get("prod"),
          merge: {
            ...environments().get("prod").merge,
            requiredChecks: [...environments().get("prod").merge.requiredChecks, "e2e"],
          },
        },
      },
    };
    expect(checkWorkflows(workflows, model)).toEqual([
      'pull_request workflows: no job reports the required check "e2e"',
      "deploy-dev.yml: job deploy: deploys dev on pushes to [develop], src/model says [develop, integration]",
      'push workflows: no job runs "envstack preview --all --format sarif" on pushes to every guarded branch (develop, integration, staging, release/*, main)',
      "push workflows: no job that runs no repository code uploads the SARIF (github/codeql-action/upload-sarif, security-events: write)",
    ]);
  });

  it("a dropped environment", () => {
    const drift = mutated("deploy-prod.yml", (doc) => {
      delete node(doc, "jobs", "deploy")["environment"];
    });
    expect(checkWorkflows(drift)).toEqual([
      'no push workflow deploys prod (a job bound to environment "prod")',
    ]);
  });

  it("an environment the model does not define", () => {
    const drift = mutated("deploy-prod.yml", (doc) => {
      node(doc, "jobs", "deploy")["environment"] = "production";
    });
    expect(checkWorkflows(drift)).toEqual([
      'deploy-prod.yml: job deploy deploys to environment "production", which src/model does not define (dev, stage, prod)',
      'no push workflow deploys prod (a job bound to environment "prod")',
    ]);
  });

  it("two workflows deploying one stack", () => {
    const drift = mutated("deploy-dev.yml", (doc) => {
      node(doc, "jobs", "deploy")["environment"] = "stage";
    });
    expect(checkWorkflows(drift)).toEqual([
      'no push workflow deploys dev (a job bound to environment "dev")',
      "stage is deployed by 2 jobs: deploy-dev.yml#deploy, deploy-stage.yml#deploy",
      "deploy-dev.yml: job deploy: deploys stage on pushes to [develop], src/model says [staging, release/*]",
      'deploy-dev.yml: job deploy: concurrency group is "deploy-dev", expected "deploy-stage"',
      'deploy-dev.yml: job deploy: must run the gate "envstack preview --stack stage" before pulumi up',
      'deploy-dev.yml: job deploy: role-to-assume is "${{ vars.DEV_AWS_ROLE_ARN }}", expected "${{ vars.STAGE_AWS_ROLE_ARN }}"',
      'deploy-dev.yml: job deploy: aws-region is "${{ vars.DEV_AWS_REGION }}", expected "${{ vars.STAGE_AWS_REGION }}"',
      'deploy-dev.yml: job deploy: pulumi/actions stack-name is "${{ vars.PULUMI_ORG }}/dev", expected <org>/stage',
    ]);
  });

  it("a shared or cancellable concurrency group", () => {
    const drift = mutated("deploy-prod.yml", (doc) => {
      node(doc, "jobs", "deploy")["concurrency"] = { group: "deploy", "cancel-in-progress": true };
    });
    expect(checkWorkflows(drift)).toEqual([
      'deploy-prod.yml: job deploy: concurrency group is "deploy", expected "deploy-prod"',
      "deploy-prod.yml: job deploy: cancel-in-progress must be false (never stop a deploy half-way)",
    ]);
  });

  it("a deploy without the gate, or with the gate after pulumi up", () => {
    const withoutGate = mutated("deploy-dev.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      steps.splice(
        stepIndex(doc, "deploy", (s) => s["name"] === "Gate (dev)"),
        1,
      );
    });
    const gateLast = mutated("deploy-prod.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      const [gate] = steps.splice(
        stepIndex(doc, "deploy", (s) => s["name"] === "Gate (prod)"),
        1,
      );
      steps.push(gate);
    });
    const gateOfAnotherStack = mutated("deploy-stage.yml", (doc) => {
      const i = stepIndex(doc, "deploy", (s) => s["name"] === "Gate (stage)");
      node(doc, "jobs", "deploy", "steps", i)["run"] = "npx envstack preview --stack stagex";
    });
    expect(checkWorkflows(withoutGate)).toEqual([
      'deploy-dev.yml: job deploy: must run the gate "envstack preview --stack dev" before pulumi up',
    ]);
    expect(checkWorkflows(gateLast)).toEqual([
      'deploy-prod.yml: job deploy: must run the gate "envstack preview --stack prod" before pulumi up',
    ]);
    expect(checkWorkflows(gateOfAnotherStack)).toEqual([
      'deploy-stage.yml: job deploy: must run the gate "envstack preview --stack stage" before pulumi up',
    ]);
  });

  it("a deploy with the wrong command, no policy pack or no credentials", () => {
    const drift = mutated("deploy-prod.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      const i = stepIndex(doc, "deploy", (s) => String(s["uses"]).startsWith("pulumi/actions@"));
      const withs = node(steps, i, "with");
      withs["command"] = "preview";
      delete withs["policyPacks"];
      steps.splice(
        stepIndex(doc, "deploy", (s) => s["uses"] === "aws-actions/configure-aws-credentials@v6"),
        1,
      );
    });
    expect(checkWorkflows(drift)).toEqual([
      "deploy-prod.yml: job deploy: no aws-actions/configure-aws-credentials step",
      'deploy-prod.yml: job deploy: pulumi/actions command is "preview", expected "up"',
      "deploy-prod.yml: job deploy: pulumi/actions must run the policy pack (policyPacks: policies)",
    ]);
  });

  it("a release deploy that leaves no record, or a deploy that may write contents without one", () => {
    const pulumiStep = (doc: unknown) =>
      stepIndex(doc, "deploy", (s) => String(s["uses"]).startsWith("pulumi/actions@"));
    const noRecord = mutated("deploy-prod.yml", (doc) => {
      const job = node(doc, "jobs", "deploy");
      const steps = job["steps"] as unknown[];
      steps.splice(
        stepIndex(doc, "deploy", (s) => s["id"] === "release"),
        1,
      );
      node(steps, pulumiStep(doc), "with")["message"] = "deploy prod";
      node(job, "permissions")["contents"] = "read";
      job["environment"] = "prod";
    });
    expect(checkWorkflows(noRecord)).toEqual([
      "deploy-prod.yml: job deploy: needs contents: write to create prod's release tag and release",
      "deploy-prod.yml: job deploy: the pulumi update message must name the release tag (steps.tag)",
      'deploy-prod.yml: job deploy: needs a step with id "release" after pulumi up',
      "deploy-prod.yml: job deploy: environment.url must link the deployment to the release (steps.release.outputs.url)",
    ]);
    const tagAfterUp = mutated("deploy-prod.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      const [tag] = steps.splice(
        stepIndex(doc, "deploy", (s) => s["id"] === "tag"),
        1,
      );
      steps.push(tag);
    });
    expect(checkWorkflows(tagAfterUp)).toEqual([
      'deploy-prod.yml: job deploy: needs a step with id "tag" computing the release tag before pulumi up',
    ]);
    const otherNotes = mutated("deploy-prod.yml", (doc) => {
      const i = stepIndex(doc, "deploy", (s) => s["id"] === "release");
      const step = node(doc, "jobs", "deploy", "steps", i);
      step["run"] = String(step["run"])
        .replace("release-notes --stack prod", "release-notes --stack stage")
        .replace('gh release create "$TAG"', 'gh release create "v1"');
    });
    expect(checkWorkflows(otherNotes)).toEqual([
      "deploy-prod.yml: job deploy: the release step must write the notes with envstack release-notes --stack prod",
      'deploy-prod.yml: job deploy: the release step must create the release with gh release create "$TAG" --notes-file',
    ]);
    const stageWrites = mutated("deploy-stage.yml", (doc) => {
      node(doc, "jobs", "deploy", "permissions")["contents"] = "write";
    });
    expect(checkWorkflows(stageWrites)).toEqual([
      "deploy-stage.yml: job deploy: contents: write, but stage guards no release tags to create",
    ]);
  });

  it("a deploy that does not verify what ECS runs, or records the release before it does", () => {
    const verifyStep = (doc: unknown) =>
      stepIndex(doc, "deploy", (s) => String(s["run"]).includes("envstack verify-deploy"));
    const noVerify = mutated("deploy-dev.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      steps.splice(verifyStep(doc), 1);
    });
    expect(checkWorkflows(noVerify)).toEqual([
      "deploy-dev.yml: job deploy: needs a step after pulumi up running envstack verify-deploy",
    ]);
    const otherOutput = mutated("deploy-stage.yml", (doc) => {
      const step = node(doc, "jobs", "deploy", "steps", verifyStep(doc));
      node(step, "env")["ECS_SERVICES"] = "${{ steps.up.outputs.services }}";
      const up = stepIndex(doc, "deploy", (s) => String(s["uses"]).startsWith("pulumi/actions@"));
      delete node(doc, "jobs", "deploy", "steps", up)["id"];
    });
    expect(checkWorkflows(otherOutput)).toEqual([
      'deploy-stage.yml: job deploy: the pulumi/actions step needs id "up" (its outputs feed the check)',
      "deploy-stage.yml: job deploy: the verify step must read ECS_SERVICES from steps.up.outputs.ecsServices",
    ]);
    const releaseFirst = mutated("deploy-prod.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      const [verify] = steps.splice(verifyStep(doc), 1);
      steps.push(verify);
    });
    expect(checkWorkflows(releaseFirst)).toEqual([
      "deploy-prod.yml: job deploy: the release must come after the deploy is verified",
    ]);
    const noAlarms = mutated("deploy-prod.yml", (doc) => {
      const step = node(doc, "jobs", "deploy", "steps", verifyStep(doc));
      step["run"] = String(step["run"]).replace(/ --alarms "[^"]*"/, "");
    });
    expect(checkWorkflows(noAlarms)).toEqual([
      "deploy-prod.yml: job deploy: the verify step must describe the rollback alarms and pass them (--alarms)",
    ]);
  });

  it("credentials after the Pulumi step", () => {
    const drift = mutated("deploy-dev.yml", (doc) => {
      const steps = node(doc, "jobs", "deploy")["steps"] as unknown[];
      const [creds] = steps.splice(
        stepIndex(doc, "deploy", (s) => s["uses"] === "aws-actions/configure-aws-credentials@v6"),
        1,
      );
      steps.push(creds);
    });
    expect(checkWorkflows(drift)).toEqual([
      "deploy-dev.yml: job deploy: the credentials step must come before pulumi/actions",
    ]);
  });
});

describe("checkWorkflows reports pipeline hygiene", () => {
  it("a job without permissions and broad top-level permissions", () => {
    const drift = mutated("deploy-stage.yml", (doc) => {
      delete node(doc, "jobs", "deploy")["permissions"];
      node(doc)["permissions"] = "write-all";
    });
    expect(checkWorkflows(drift)).toEqual([
      "deploy-stage.yml: set top-level permissions to {} or contents: read (jobs ask for more)",
      "deploy-stage.yml: job deploy has no permissions block (least privilege per job)",
      "deploy-stage.yml: job deploy: needs permission id-token: write (OIDC)",
    ]);
  });

  it("accepts contents: read at the top, refuses anything more", () => {
    const readOnly = mutated("branch-flow.yml", (doc) => {
      node(doc)["permissions"] = { contents: "read" };
    });
    const more = mutated("branch-flow.yml", (doc) => {
      node(doc)["permissions"] = { contents: "read", issues: "write" };
    });
    expect(checkWorkflows(readOnly)).toEqual([]);
    expect(checkWorkflows(more)).toEqual([
      "branch-flow.yml: set top-level permissions to {} or contents: read (jobs ask for more)",
    ]);
  });

  it.each([
    ["actions/checkout", false],
    ["actions/checkout@main", false],
    ["actions/checkout@", false],
    ["actions/checkout@v4", true],
    ["actions/checkout@v4.2.2", true],
    ["actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", true],
    ["github/codeql-action/upload-sarif@v3", true],
  ])("uses %s is pinned: %s", (uses, pinned) => {
    const drift = mutated("branch-flow.yml", (doc) => {
      node(doc, "jobs", "branch-flow", "steps", 0)["uses"] = uses;
    });
    expect(checkWorkflows(drift)).toEqual(
      pinned
        ? []
        : [
            `branch-flow.yml: job branch-flow uses ${uses} without a version (pin @vN or a commit SHA)`,
          ],
    );
  });

  it("an input the pinned action does not define", () => {
    const drift = mutated("deploy-prod.yml", (doc) => {
      const i = stepIndex(doc, "deploy", (s) => s["uses"] === "pulumi/actions@v7");
      const withs = node(doc, "jobs", "deploy", "steps", i, "with");
      withs["policyPack"] = "policies";
    });
    expect(checkWorkflows(drift)).toEqual([
      'deploy-prod.yml: job deploy: input "policyPack" is not defined in action pulumi/actions@v7',
    ]);
  });

  it("every action the workflows pin to a major tag has its inputs recorded", () => {
    const pinned = new Set(
      workflows.flatMap((w) =>
        Object.values(node(w.doc, "jobs")).flatMap((job) =>
          ((job as Record<string, unknown>)["steps"] as Record<string, unknown>[])
            .map((step) => step["uses"])
            .filter((uses): uses is string => typeof uses === "string" && /@v\d+$/.test(uses)),
        ),
      ),
    );
    expect([...pinned].filter((uses) => ACTION_INPUTS[uses] === undefined)).toEqual([]);
  });
});
