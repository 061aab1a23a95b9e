import { parseDocument } from "yaml";
import type { Environments, StackName } from "./environments";

/**
 * The deploy workflows, generated from the chain of environments (`envstack workflows` writes
 * them; test/workflows holds them to the model): one per environment, deploying its stack on a
 * push to its branches, bound to its GitHub environment. Each runs the offline gate before any
 * credential exists in the job, assumes the environment's deploy role through OIDC, runs
 * `pulumi up` with the pack, and checks that every ECS service runs the task definition the
 * update declared. The production one also records the release (tag and GitHub release) and
 * carries the GitHub admin token its stack needs to declare every environment's guards.
 */

/** Where the workflows live in a repository. */
export const WORKFLOWS_DIR = ".github/workflows";

/** The first line of every generated file: how `envstack workflows` recognises its own. */
export const GENERATED_MARKER =
  "# Generated from the environments (envstack.yaml) by `envstack workflows`: do not edit.";

/** The workflow file deploying a stack. */
export function deployWorkflowFile(stack: StackName): string {
  return `deploy-${stack}.yml`;
}

/** A branch pattern as a YAML flow item: quoted when YAML would read it otherwise. */
function flowItem(pattern: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(pattern) ? pattern : JSON.stringify(pattern);
}

function flowList(patterns: readonly string[]): string {
  return `[${patterns.map(flowItem).join(", ")}]`;
}

function branchesPhrase(branches: readonly string[]): string {
  const shown = branches.map((b) => (b.includes("*") ? `a ${b} branch` : b));
  return shown.length <= 1
    ? (shown[0] ?? "")
    : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`;
}

/** The steps every deploy shares up to the gate: checkout, Node.js, the install. */
function checkout(fullHistory: boolean): string {
  return `      - uses: actions/checkout@v7
        with:
          persist-credentials: false${
            fullHistory
              ? `
          # Every branch's history: the release notes read the previous environment's file at the
          # commit it deployed, a parent of the merge commit.
          fetch-depth: 0`
              : ""
          }
      - uses: actions/setup-node@v7
        with:
          node-version: 22
          cache: npm
      - run: npm ci`;
}

function gate(stack: StackName): string {
  return `      - name: Gate (${stack})
        # Exit 1 (a mandatory violation) or 2 (a config or program error) stops the deploy here,
        # before any credentials exist in the job.
        run: npx envstack preview --stack ${stack}`;
}

function credentials(stack: StackName, prefix: string): string {
  return `      - uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: \${{ vars.${prefix}AWS_ROLE_ARN }}
          aws-region: \${{ vars.${prefix}AWS_REGION }}
          role-session-name: envstack-deploy-${stack}`;
}

const VERIFY = `      - name: Verify the deploy
        # The update waits for each ECS service to be stable, and a deployment ECS rolled back is
        # stable too: check that every service runs the task definition this update declared, that
        # none of its rollback alarms is in ALARM and that the app's health URL answers. ECS rolls
        # back by itself until the bake ends (alarms, the post-shift verification hook); a failure
        # here, after it, fails the job (docs/RUNBOOK.md). pulumi/actions sets each stack output as
        # a step output (objects as JSON):
        # https://github.com/pulumi/actions/blob/26be09b14ba2fcf9381bffcbbf6f06a6691425af/src/run.ts
        env:
          ECS_SERVICES: \${{ steps.up.outputs.ecsServices }}
        run: |
          set -euo pipefail
          printf '%s' "$ECS_SERVICES" > "$RUNNER_TEMP/ecs-expected.json"
          cluster=$(jq -r .cluster "$RUNNER_TEMP/ecs-expected.json")
          mapfile -t names < <(jq -r '.taskDefinitions | keys[]' "$RUNNER_TEMP/ecs-expected.json")
          aws ecs describe-services --cluster "$cluster" --services "\${names[@]}" --output json \\
            > "$RUNNER_TEMP/ecs-described.json"
          mapfile -t alarms < <(jq -r '.rollbackAlarms // {} | .[] | .[]' "$RUNNER_TEMP/ecs-expected.json")
          echo '{"MetricAlarms": []}' > "$RUNNER_TEMP/ecs-alarms.json"
          if (( \${#alarms[@]} > 0 )); then
            # DescribeAlarms takes at most 100 names a call:
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
            printf '%s\\n' "\${alarms[@]}" |
              xargs -n 100 aws cloudwatch describe-alarms --output json --alarm-names |
              jq -s '{MetricAlarms: (map(.MetricAlarms) | add)}' > "$RUNNER_TEMP/ecs-alarms.json"
          fi
          npx envstack verify-deploy --expected "$RUNNER_TEMP/ecs-expected.json" \\
            --described "$RUNNER_TEMP/ecs-described.json" --alarms "$RUNNER_TEMP/ecs-alarms.json"`;

/** Where a deploy job sits: its key in the workflow, and the job it waits for on a trunk. */
interface Placement {
  readonly key: string;
  readonly needs?: string;
}

/** A workflow's header lines: what it deploys, its name, its trigger. */
function header(name: string, comment: readonly string[], branches: readonly string[]): string {
  return `${GENERATED_MARKER}
${comment.map((line) => `# ${line}`).join("\n")}
name: ${name}

on:
  push:
    branches: ${flowList(branches)}

permissions: {}

jobs:
`;
}

function deployComment(chain: Environments, stack: StackName): string[] {
  const env = chain.get(stack);
  const previous = chain.previous(stack);
  return [
    `Deploys the ${stack} stack on every push to ${branchesPhrase(env.branches)}.${previous === undefined ? " Continuous: no approval." : ""}`,
    ...(previous === undefined
      ? []
      : [`Runs what ${previous} ran (the same image digest, service by service).`]),
    `The job is bound to the GitHub environment "${stack}" (its branch policy and reviewers apply) and`,
    `judges the stack with the offline gate before it may touch the cloud.`,
  ];
}

function productionComment(chain: Environments, stack: StackName): string[] {
  const env = chain.get(stack);
  const source = chain.previous(stack) ?? stack;
  return [
    `Deploys the ${stack} stack on every push to ${branchesPhrase(env.branches)}.`,
    `Waits for the human approval of the ${stack} environment.`,
    `The job is bound to the GitHub environment "${stack}" (its branch policy and reviewers apply) and`,
    `judges the stack with the offline gate before it may touch the cloud. A deploy that succeeds`,
    `leaves a record: the release tag and a GitHub release naming the image digests, the ${source}`,
    `deployment that ran them and the approvers, above GitHub's list of the changes since the last`,
    `release; the Pulumi update message and the GitHub deployment both link to it.`,
  ];
}

function needsLine(placement: Placement): string {
  return placement.needs === undefined
    ? ""
    : `    # Only once the environment before it deployed this very commit.\n    needs: ${placement.needs}\n`;
}

/** The deploy job of an environment that is not production: continuous, no approval. */
function deployJob(chain: Environments, stack: StackName, placement: Placement): string {
  const env = chain.get(stack);
  return `  ${placement.key}:
    name: deploy (${stack})
${needsLine(placement)}    runs-on: ubuntu-latest
    timeout-minutes: 60
    environment: ${stack}
    # Never two deploys of one stack at once, and never cancel one half-way.
    concurrency:
      group: deploy-${stack}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    steps:
${checkout(false)}
${gate(stack)}
${credentials(stack, env.variablePrefix)}
      - uses: pulumi/actions@v7
        id: up
        with:
          command: up
          stack-name: \${{ vars.PULUMI_ORG }}/${stack}
          policyPacks: policies
          cloud-url: \${{ vars.PULUMI_BACKEND_URL }}
          message: deploy ${stack} from \${{ github.ref_name }} at \${{ github.sha }}
        env:
          # A secret of the ${stack} environment (never a repository secret): it reaches this stack's
          # state only (docs/SECURITY.md). No GitHub token: only ${chain.production}'s job changes the guards.
          PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
${VERIFY}
`;
}

/** The production deploy job: after a human approval, with the guards' token and a release record. */
function productionJob(chain: Environments, stack: StackName, placement: Placement): string {
  const env = chain.get(stack);
  const source = chain.previous(stack) ?? stack;
  return `  ${placement.key}:
    name: deploy (${stack})
${needsLine(placement)}    runs-on: ubuntu-latest
    timeout-minutes: 60
    # The deployment links to the release this job records; steps outputs are allowed here:
    # https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#example-using-output-as-url
    environment:
      name: ${stack}
      url: \${{ steps.release.outputs.url }}
    # Never two deploys of one stack at once, and never cancel one half-way.
    concurrency:
      group: deploy-${stack}
      cancel-in-progress: false
    permissions:
      # write: the release tag and the GitHub release, created after the approved deploy succeeds
      # (the ${env.tags.join(", ")} tag ruleset forbids moving or deleting them afterwards).
      contents: write
      id-token: write
      # read: the run's review history (the approvers) and ${source}'s deployments.
      actions: read
      deployments: read
    steps:
${checkout(true)}
${gate(stack)}
      - name: Release tag
        id: tag
        # v<commit date, UTC>.<run number>: the same on a re-run of this run, new for every run.
        env:
          TZ: UTC
        run: echo "tag=v$(git show -s --format=%cd --date=format-local:%Y.%m.%d "$GITHUB_SHA").$GITHUB_RUN_NUMBER" >> "$GITHUB_OUTPUT"
${credentials(stack, env.variablePrefix)}
      - uses: pulumi/actions@v7
        id: up
        with:
          command: up
          stack-name: \${{ vars.PULUMI_ORG }}/${stack}
          policyPacks: policies
          cloud-url: \${{ vars.PULUMI_BACKEND_URL }}
          message: release \${{ steps.tag.outputs.tag }} (deploy ${stack} from \${{ github.ref_name }} at \${{ github.sha }}; \${{ github.server_url }}/\${{ github.repository }}/releases/tag/\${{ steps.tag.outputs.tag }})
        env:
          # A secret of the ${stack} environment (never a repository secret): it reaches ${stack}'s state
          # only (docs/SECURITY.md).
          PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
          # The ${stack} stack declares every environment's GitHub guards (rulesets, environments,
          # reviewers, variables): the admin token is a secret of the ${stack} environment, readable
          # only by this job, after the branch's approvals and the deployment approval.
          GITHUB_TOKEN: \${{ secrets.ENVSTACK_GITHUB_TOKEN }}
${VERIFY}
      - name: Release
        id: release
        # Runs no cloud credential and no admin token: GitHub's own token, for this repository.
        # \`gh release create --generate-notes\` asks GitHub to generate the notes, which puts the
        # body given before the changes since the previous release:
        # https://docs.github.com/en/rest/releases/releases#create-a-release (generate_release_notes)
        env:
          GH_TOKEN: \${{ github.token }}
          TAG: \${{ steps.tag.outputs.tag }}
          REPO: \${{ github.repository }}
          RUN_ID: \${{ github.run_id }}
        run: |
          set -euo pipefail
          gh api "repos/$REPO/actions/runs/$RUN_ID/approvals" > "$RUNNER_TEMP/approvals.json"
          # ${source}'s deployments of this commit and of its parents, each with its statuses.
          for sha in $(git rev-list --parents -n 1 "$GITHUB_SHA"); do
            gh api "repos/$REPO/deployments?environment=${source}&sha=$sha" --jq '.[] | @json' |
              while read -r deployment; do
                id=$(jq -r .id <<< "$deployment")
                gh api "repos/$REPO/deployments/$id/statuses" |
                  jq -c --argjson d "$deployment" '$d + {statuses: .}'
              done
          done | jq -s . > "$RUNNER_TEMP/${source}-deployments.json"
          npx envstack release-notes --stack ${stack} --tag "$TAG" --commit "$GITHUB_SHA" \\
            --approvals "$RUNNER_TEMP/approvals.json" \\
            --source-deployments "$RUNNER_TEMP/${source}-deployments.json" \\
            --output "$RUNNER_TEMP/release-notes.md"
          if ! gh release view "$TAG" --repo "$REPO" > /dev/null 2>&1; then
            gh release create "$TAG" --repo "$REPO" --target "$GITHUB_SHA" --title "${stack} $TAG" \\
              --notes-file "$RUNNER_TEMP/release-notes.md" --generate-notes
          fi
          echo "url=$GITHUB_SERVER_URL/$REPO/releases/tag/$TAG" >> "$GITHUB_OUTPUT"
`;
}

/** Each environment's deploy workflow, by file name, in promotion order. */
export function deployWorkflows(chain: Environments): ReadonlyMap<string, string> {
  const job = (stack: StackName, placement: Placement) =>
    chain.holdsGuards(stack)
      ? productionJob(chain, stack, placement)
      : deployJob(chain, stack, placement);
  if (chain.trunk) return new Map([[TRUNK_WORKFLOW, trunkWorkflow(chain, job)]]);
  return new Map(
    chain.names.map((stack) => [
      deployWorkflowFile(stack),
      header(
        `deploy ${stack}`,
        chain.holdsGuards(stack) ? productionComment(chain, stack) : deployComment(chain, stack),
        chain.get(stack).branches,
      ) + job(stack, { key: "deploy" }),
    ]),
  );
}

/**
 * On a trunk, the one deploy workflow: a job per environment, each after the one before. A job
 * whose `needs` failed is skipped, so production never deploys a commit the environment before
 * it failed to deploy
 * (https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/using-jobs-in-a-workflow#defining-prerequisite-jobs).
 * One workflow, because `needs` does not reach across workflows, and a `workflow_run` trigger
 * runs with the default branch's latest commit as GITHUB_SHA rather than the one deployed
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#workflow_run).
 */
export const TRUNK_WORKFLOW = "deploy.yml";

function trunkWorkflow(
  chain: Environments,
  job: (stack: StackName, placement: Placement) => string,
): string {
  const branches = chain.get(chain.production).branches;
  const comment = [
    `Deploys every environment on every push to ${branchesPhrase(branches)}, in promotion order:`,
    `${chain.names.join(", then ")}, each job once the one before it deployed the same commit.`,
    `Each runs the image digests its own stack file pins (\`envstack promote\` moves them);`,
    `${chain.production} waits for the human approval of its environment. Each job is bound to`,
    `its GitHub environment and judges its stack with the offline gate before it may touch the cloud.`,
  ];
  return (
    header("deploy", comment, branches) +
    chain.names
      .map((stack, i) =>
        job(stack, {
          key: `deploy-${stack}`,
          needs: i === 0 ? undefined : `deploy-${chain.names[i - 1]!}`,
        }),
      )
      .join("\n")
  );
}

/**
 * The code-scanning workflow with its push trigger set to every environment's branches (its
 * other lines, comments included, as they are): the Security tab holds the alerts of each
 * branch that deploys.
 */
export function withScannedBranches(text: string, chain: Environments): string {
  const doc = parseDocument(text);
  const branches = [...new Set(chain.names.flatMap((s) => chain.get(s).branches))];
  const list = doc.createNode(branches, { flow: true });
  doc.setIn(["on", "push", "branches"], list);
  // No padding inside the brackets: the form prettier keeps, so `prettier --check` agrees.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
