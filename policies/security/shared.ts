import type { PolicyResource } from "@pulumi/policy";
import { ROLE_TAKING_SERVICES, type StackName } from "../../src/model";
import { LOG_GROUP } from "../data-safety";
import {
  IAM_ROLE,
  actionMatches,
  grantsOf,
  principalAccount,
  readDocument,
  resourcesWithin,
  rolePolicies,
  type Statement,
} from "../iam";
import {
  isRecord,
  isUnknown,
  parseJson,
  read,
  show,
  type Report,
  type StackPolicyDefinition,
} from "../support";

export const SNS_TOPIC = "aws:sns/topic:Topic";
export const SECRET = "aws:secretsmanager/secret:Secret";
export const LISTENER = "aws:lb/listener:Listener";
export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const ECS_SERVICE = "aws:ecs/service:Service";
export { IAM_ROLE };
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/** Types that must name a customer-managed KMS key, and the property that does. */
export const KMS_PROPERTY: Readonly<Record<string, string>> = {
  [LOG_GROUP]: "kmsKeyId",
  [SNS_TOPIC]: "kmsMasterKeyId",
  [SECRET]: "kmsKeyId",
};

export function isHttpsRedirect(action: unknown): boolean {
  return (
    isRecord(action) &&
    action["type"] === "redirect" &&
    isRecord(action["redirect"]) &&
    action["redirect"]["protocol"] === "HTTPS"
  );
}

export interface Ingress {
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  readonly cidrs: readonly unknown[];
}

export function ingressRules(type: string, props: Record<string, unknown>): Ingress[] {
  const cidrList = (v: unknown): unknown[] => (Array.isArray(v) ? [...v] : v ? [v] : []);
  if (type === SECURITY_GROUP) {
    const rules = Array.isArray(props["ingress"]) ? [...props["ingress"]] : [];
    return rules.filter(isRecord).map((r) => ({
      protocol: r["protocol"],
      fromPort: r["fromPort"],
      toPort: r["toPort"],
      cidrs: [...cidrList(r["cidrBlocks"]), ...cidrList(r["ipv6CidrBlocks"])],
    }));
  }
  if (type === INGRESS_RULE) {
    return [
      {
        protocol: props["ipProtocol"],
        fromPort: props["fromPort"],
        toPort: props["toPort"],
        cidrs: [...cidrList(props["cidrIpv4"]), ...cidrList(props["cidrIpv6"])],
      },
    ];
  }
  if (type === SECURITY_GROUP_RULE && props["type"] === "ingress") {
    return [
      {
        protocol: props["protocol"],
        fromPort: props["fromPort"],
        toPort: props["toPort"],
        cidrs: [...cidrList(props["cidrBlocks"]), ...cidrList(props["ipv6CidrBlocks"])],
      },
    ];
  }
  return [];
}

/** The statements of an IAM policy document (a JSON string or an object). */
export function statementsOf(document: unknown): Record<string, unknown>[] | undefined {
  const doc = parseJson(document);
  if (!isRecord(doc)) return undefined;
  const s = doc["Statement"];
  const list = Array.isArray(s) ? [...s] : s === undefined ? [] : [s];
  return list.filter(isRecord);
}

export const asList = (v: unknown): unknown[] =>
  Array.isArray(v) ? [...v] : v === undefined ? [] : [v];

/** Where a statement's Allow reaches, as messages name it. */
export function reach(s: Statement): string {
  const r = s.resources;
  if (r === undefined) return "every resource (no Resource)";
  if (r.not) return `every resource (NotResource ${show(r.values)})`;
  return r.values
    .filter((v) => [...v].every((c) => c === "*" || c === "?"))
    .map((v) => `"${v}"`)
    .join(", ");
}

export type StackReport = Parameters<NonNullable<StackPolicyDefinition["validateStack"]>>[1];

/**
 * Reports every write and every read of data or secrets a role's documents allow, whatever
 * attaches them; data reads are admitted on resources within `readable` (ARN patterns).
 */
export function reportBeyondMetadata(
  role: PolicyResource,
  resources: readonly PolicyResource[],
  report: StackReport,
  readable: readonly string[],
  why: string,
): void {
  const { documents, unverified, unknown } = rolePolicies(role, resources);
  for (const u of unknown)
    report(`Cannot check the ${u.what} of ${role.name} during preview: ${u.reason}.`, {
      level: "advisory",
      urn: u.urn,
    });
  for (const u of unverified)
    report(
      `Detach ${u.arn} from the developer role ${role.name}: ${why}, and what it allows cannot be verified (${u.reason}).`,
      { urn: u.urn },
    );
  for (const { label, urn, document } of documents) {
    const doc = readDocument(document);
    if (isUnknown(doc)) {
      report(`Cannot check the ${label} during preview: ${doc.reason}.`, {
        level: "advisory",
        urn,
      });
      continue;
    }
    if (doc === undefined) {
      if (document !== undefined)
        report(`Make the ${label} a JSON policy document: it cannot be read.`, { urn });
      continue;
    }
    const seen = new Set<string>();
    for (const statement of doc.statements) {
      let within: boolean | undefined;
      for (const grant of grantsOf(statement)) {
        const data = grant.data && !(within ??= resourcesWithin(statement, readable));
        if ((!grant.write && !data) || seen.has(grant.action)) continue;
        seen.add(grant.action);
        const does =
          grant.write && data
            ? "writes and reads data"
            : grant.write
              ? "writes"
              : "reads data or secrets";
        report(`Remove ${grant.action} from the ${label}: ${why} (it ${does}).`, { urn });
      }
    }
  }
}

/**
 * The data a developer may read in a production-like stack: the environment's log groups (people
 * debug from them) and the parameters the program writes as plain String values (endpoints,
 * secret ARNs, feature flags), never their secrets.
 */
export function developerReadableData(stack: StackName): string[] {
  return [
    `arn:*:logs:*:*:log-group:/${stack}/*`,
    `arn:*:ssm:*:*:parameter/${stack}/*/connections`,
    `arn:*:ssm:*:*:parameter/${stack}/*/connections/*`,
    `arn:*:ssm:*:*:parameter/${stack}/*/flags`,
    `arn:*:ssm:*:*:parameter/${stack}/*/flags/*`,
  ];
}

/** Whether a trust statement admits GitHub Actions' OIDC tokens. */
export function trustsGithub(statement: Record<string, unknown>): boolean {
  const principal = statement["Principal"];
  const federated = isRecord(principal) ? asList(principal["Federated"]) : [];
  return federated.some((f) => typeof f === "string" && f.includes(GITHUB_OIDC_HOST));
}

export function conditionValue(
  statement: Record<string, unknown>,
  operator: string,
  key: string,
): unknown {
  const condition = statement["Condition"];
  const op = isRecord(condition) ? condition[operator] : undefined;
  return isRecord(op) ? op[key] : undefined;
}

/** The IAM path of the CI roles, which carry no boundary (they are the ones that create roles). */
export const CI_ROLE_PATH = "/ci/";

/**
 * Services that take the environment's roles: ECS tasks (task and execution roles) and VPC flow
 * logs. A role trusting any other service is not one the model declares.
 */
export const TRUSTED_SERVICES = [...ROLE_TAKING_SERVICES];

/**
 * The account a stack's roles live in: `envstack:accountId` when set. Unset (the shared-account
 * layout), the account cannot be known offline; a role's permissions boundary is a managed policy
 * of the role's own account (iam-permissions-boundary requires one), so its ARN names it.
 */
export function ownAccount(configured: string | undefined, props: unknown): string | undefined {
  if (configured !== undefined) return configured;
  const boundary = read(props, "permissionsBoundary");
  return boundary.known && typeof boundary.value === "string"
    ? principalAccount(boundary.value)
    : undefined;
}

/** Whether a normalised trust statement admits GitHub Actions' OIDC tokens. */
export const trustsGithubOidc = (s: Statement) =>
  (s.principals?.byKind["Federated"] ?? []).some((f) => f.includes(GITHUB_OIDC_HOST));

/** Whether an Allow statement grants every KMS action: kms:*, *, *:*, or NotAction. */
export function grantsAllOfKms(s: Statement): boolean {
  if (s.actions.not) return true;
  return s.actions.values.some((a) => {
    const colon = a.indexOf(":");
    const name = colon < 0 ? a : a.slice(colon + 1);
    const service = colon < 0 ? "*" : a.slice(0, colon);
    return [...name].every((c) => c === "*") && name !== "" && actionMatches(service, "kms");
  });
}

export const GITHUB_SECRETS = [
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  "github:index/actionsSecret:ActionsSecret",
];
export const GITHUB_VARIABLES = [
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  "github:index/actionsVariable:ActionsVariable",
];
export const SECRET_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL)/i;
export const SECRET_VALUE = [
  /\bA(KIA|SIA)[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/,
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/,
];

export function reportSecretVariable(
  report: Report,
  name: string,
  kind: string,
  resource: string,
): void {
  report(
    `Move ${name} to an encrypted environment secret: variables are readable by anyone with access to the repository (its ${kind} looks secret; ${resource}).`,
  );
}
