import type { RegisteredResource } from "../../src/engine/mock-run";
import { environments, type EnvironmentDefinition, type StackName } from "../../src/model";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL } from "../../src/model/github-rules";
import {
  actionName,
  environmentName,
  GITHUB_ADMIN_SECRET,
  instances,
  permission,
  secretsOf,
  triggers,
  writeScopes,
  type Workflow,
} from "../workflows/drift";

/**
 * One credential as docs/SECURITY.md lists it: who holds it, from which trigger, after which
 * approval, and what it reaches. Every cell is derived from the declared resources (IAM roles,
 * their trust and their policies) and the workflow files, never written by hand, so a row that
 * widens changes the table and the test comparing it with the document fails.
 */
export interface Capability {
  readonly credential: string;
  readonly holder: string;
  readonly trigger: string;
  readonly approval: string;
  readonly reaches: string;
  /** The environments the credential reaches (for the invariants; not a column). */
  readonly environments: readonly string[];
  /** Whether the code holding it passed no review at all. */
  readonly unreviewed: boolean;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** What merging into an environment's branch and deploying to it require, in words. */
export function approvalOf(env: EnvironmentDefinition): string {
  const m = env.merge;
  const merge =
    m.minApprovals === 0
      ? `a pull request into ${env.branches.join(", ")} (no approval)`
      : `${m.minApprovals} approval(s)${m.codeOwnerReview ? " incl. a code owner" : ""}${m.lastPushApproval ? ", last push approved by another" : ""} on ${env.branches.join(", ")}`;
  const deployed = m.requiredDeployments.map((d) => `, ${d} deployed first`).join("");
  const deploy = env.deploy.humanApproval
    ? `, then a reviewer approves the deployment${env.deploy.preventSelfReview ? " (not the author)" : ""}`
    : "";
  return `${merge}${deployed}${deploy}`;
}

/** The stacks a policy document or trust names: ARNs, paths, tags and subjects per stack. */
function environmentsNamed(text: string, app: string): StackName[] {
  return environments().names.filter(
    (s) =>
      text.includes(`/${s}/${app}/`) ||
      text.includes(`${app}-${s}-`) ||
      text.includes(`${app}-${s}"`) ||
      new RegExp(`"aws:(Resource|Request)Tag/env":\\s*"${s}"`).test(text) ||
      text.includes(`:environment:${s}"`),
  );
}

function parse(value: unknown): Rec | undefined {
  if (typeof value !== "string") return rec(value);
  try {
    return rec(JSON.parse(value));
  } catch {
    return undefined;
  }
}

/** Who may assume a role, read from its trust policy. */
function trustOf(role: RegisteredResource): { holder: string; trigger: string; stack?: string } {
  const trust = parse(role.inputs["assumeRolePolicy"]);
  const holders: string[] = [];
  let trigger = "—";
  let stack: string | undefined;
  for (const s of list(trust?.["Statement"]).map(rec)) {
    if (s?.["Effect"] !== "Allow") continue;
    const principal = rec(s["Principal"]) ?? {};
    const condition = JSON.stringify(s["Condition"] ?? {});
    for (const federated of list(principal["Federated"])) {
      const sub = /:sub":"([^"]+)"/.exec(condition)?.[1] ?? "any subject";
      const aud = condition.includes(`:aud":"${GITHUB_OIDC_AUDIENCE}"`) ? "" : " (any audience)";
      holders.push(
        `GitHub Actions OIDC (${String(federated).includes(new URL(GITHUB_OIDC_URL).host) ? "" : "other issuer, "}sub ${sub})${aud}`,
      );
      const env = /:environment:([a-z0-9-]+)$/.exec(sub)?.[1];
      if (env !== undefined) {
        trigger = `a job bound to the ${env} environment`;
        stack = env;
      } else trigger = sub;
    }
    for (const service of list(principal["Service"]))
      holders.push(`the ${String(service)} service`);
    for (const aws of list(principal["AWS"])) {
      const tag = /"aws:PrincipalTag\/team-role":"([^"]+)"/.exec(condition)?.[1];
      const mfa = condition.includes('"aws:MultiFactorAuthPresent":"true"');
      const age = /"aws:MultiFactorAuthAge":"(\d+)"/.exec(condition)?.[1];
      holders.push(
        `${String(aws).endsWith(":root") ? "principals of the account" : String(aws)}${tag ? ` tagged team-role=${tag}` : " (any)"}${mfa ? `, MFA${age ? ` within ${Number(age) / 60} min` : ""}` : ", no MFA"}`,
      );
    }
  }
  return { holder: holders.join("; ") || "nobody", trigger, ...(stack ? { stack } : {}) };
}

/** What a role reaches: the environments its policies name, its boundary, attached policies. */
function reachOf(
  role: RegisteredResource,
  resources: readonly RegisteredResource[],
  app: string,
): { reaches: string; environments: StackName[] } {
  const ids = new Set([String(role.inputs["name"]), `${role.name}-id`]);
  const inline = resources.filter(
    (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && ids.has(String(r.inputs["role"])),
  );
  const attached = resources
    .filter(
      (r) =>
        r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" &&
        ids.has(String(r.inputs["role"])),
    )
    .map((r) => String(r.inputs["policyArn"]).split("/").pop());
  const text = inline.map((p) => String(p.inputs["policy"])).join("\n");
  const environments = environmentsNamed(text, app);
  const boundary =
    typeof role.inputs["permissionsBoundary"] === "string"
      ? String(role.inputs["permissionsBoundary"]).split(":policy").pop()
      : undefined;
  const delegated = [
    ...new Set(
      [...text.matchAll(/"iam:PermissionsBoundary":"arn:[^"]*:policy(\/[^"]+)"/g)].map((m) => m[1]),
    ),
  ];
  const parts = [
    `${environments.length > 0 ? environments.join(", ") : "no environment"}'s resources (${inline.map((p) => String(p.inputs["name"] ?? p.name)).join(", ") || "no inline policy"})`,
    ...attached.map((a) => `managed ${a}`),
    ...delegated.map((b) => `creates roles only with the boundary ${b}`),
    boundary ? `bounded by ${boundary}` : "carries no boundary itself",
  ];
  return { reaches: parts.join("; "), environments };
}

/** Every IAM role a stack declares, as a row. */
export function roleCapabilities(
  stack: StackName,
  app: string,
  resources: readonly RegisteredResource[],
): Capability[] {
  return resources
    .filter((r) => r.type === "aws:iam/role:Role")
    .map((role) => {
      const trust = trustOf(role);
      const reach = reachOf(role, resources, app);
      const env =
        trust.stack !== undefined ? environments().get(trust.stack as StackName) : undefined;
      return {
        credential: `AWS role ${String(role.inputs["path"] ?? "/")}${String(role.inputs["name"])} (${stack} stack)`,
        holder: trust.holder,
        trigger: trust.trigger,
        approval: env ? approvalOf(env) : trust.holder.includes("MFA") ? "MFA" : "—",
        reaches: reach.reaches,
        environments: reach.environments,
        unreviewed: false,
      };
    });
}

/** What a secret a job reads reaches, by its name and the environment that holds it. */
function secretReach(secret: string, env: string | undefined): { reaches: string; envs: string[] } {
  if (secret === GITHUB_ADMIN_SECRET)
    return {
      reaches:
        "every environment's GitHub guards: rulesets, deployment environments, reviewers, variables",
      envs: [...environments().names],
    };
  if (secret === "PULUMI_ACCESS_TOKEN")
    return env
      ? { reaches: `the ${env} stack's Pulumi state (a ${env} environment secret)`, envs: [env] }
      : {
          reaches: "every stack's Pulumi state (a repository secret)",
          envs: [...environments().names],
        };
  return { reaches: `unknown: ${secret}`, envs: [...environments().names] };
}

/** Every credential a workflow job holds, as rows. */
export function workflowCapabilities(workflows: readonly Workflow[]): Capability[] {
  const rows: Capability[] = [];
  for (const workflow of workflows) {
    const on = triggers(rec(workflow.doc) ?? {});
    for (const job of instances(workflow)) {
      const holder = `${workflow.file} › ${job.checkName}`;
      const runsCode = job.steps.some(
        (s) => s.run !== undefined || actionName(s.uses) === "actions/checkout",
      );
      const pushBranches = list(on.get("push")?.["branches"]).map(String);
      const trigger = on.has("pull_request")
        ? "pull_request"
        : pushBranches.length > 0
          ? `push to ${pushBranches.join(", ")}`
          : [...on.keys()].join(", ");
      const env = environmentName(job.job);
      const definition = env !== undefined ? environments().get(env as StackName) : undefined;
      const unreviewed = on.has("pull_request") && runsCode;
      const approval = definition
        ? approvalOf(definition)
        : unreviewed
          ? "none: the pull request's own code, unreviewed"
          : on.has("pull_request")
            ? "none, but runs no pull-request code"
            : "—";
      // The OIDC token has a row of its own.
      const scopes = writeScopes(job.job).filter((s) => s !== "id-token");
      rows.push({
        credential: `GITHUB_TOKEN (${scopes.length > 0 ? scopes.map((s) => `${s}: write`).join(", ") : "read-only"})`,
        holder,
        trigger,
        approval,
        reaches:
          scopes.length > 0 ? `this repository's ${scopes.join(", ")}` : "reads this repository",
        environments: [],
        unreviewed,
      });
      for (const secret of secretsOf(job.job)) {
        const reach = secretReach(secret, env);
        rows.push({
          credential: secret,
          holder,
          trigger,
          approval,
          reaches: reach.reaches,
          environments: reach.envs,
          unreviewed,
        });
      }
      if (permission(job.job, "id-token") === "write") {
        const role = job.steps
          .filter((s) => actionName(s.uses) === "aws-actions/configure-aws-credentials")
          .map((s) => {
            const variable = /vars\.([A-Z0-9_]+)/.exec(s.with["role-to-assume"] ?? "")?.[1];
            return variable ? `the role in vars.${variable}` : (s.with["role-to-assume"] ?? "?");
          })
          .join(", ");
        rows.push({
          credential: `GitHub OIDC token${env ? ` (sub …:environment:${env})` : " (no environment)"}`,
          holder,
          trigger,
          approval,
          reaches: `assumes ${role || "no role"}${env ? ` (the ${env} deploy role's row below)` : ""}`,
          environments: env ? [env] : [...environments().names],
          unreviewed,
        });
      }
    }
  }
  return rows;
}

const escape = (cell: string) => cell.replace(/\|/g, "\\|");

/** The capability table as docs/SECURITY.md holds it. */
export function capabilityTable(rows: readonly Capability[]): string {
  return [
    "| credential | held by | trigger | approval before use | reaches |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${[r.credential, r.holder, r.trigger, r.approval, r.reaches].map(escape).join(" | ")} |`,
    ),
  ].join("\n");
}
