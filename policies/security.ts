import type { PolicyResource } from "@pulumi/policy";
import { githubOidcSubject } from "../src/model/github-rules";
import { physicalPrefix } from "../src/model/naming";
import { baselineOf, stackFileSettings } from "./baselines";
import { LOG_GROUP, RDS_INSTANCE, REPLICATION_GROUP } from "./data-safety";
import {
  expectProp,
  fsbp,
  isRecord,
  isSet,
  isTrue,
  isUnknown,
  parseJson,
  read,
  show,
  toNumber,
  whenKnown,
  type Report,
  type ResourcePolicyDefinition,
  type StackPolicyDefinition,
} from "./support";

export const SNS_TOPIC = "aws:sns/topic:Topic";
export const SECRET = "aws:secretsmanager/secret:Secret";
export const LISTENER = "aws:lb/listener:Listener";
export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const ECS_SERVICE = "aws:ecs/service:Service";
export const IAM_ROLE = "aws:iam/role:Role";
export const IAM_POLICY_TYPES: Readonly<Record<string, string>> = {
  "aws:iam/policy:Policy": "policy",
  "aws:iam/rolePolicy:RolePolicy": "policy",
  "aws:iam/userPolicy:UserPolicy": "policy",
  "aws:iam/groupPolicy:GroupPolicy": "policy",
};
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/** Types that must name a customer-managed KMS key, and the property that does. */
const KMS_PROPERTY: Readonly<Record<string, string>> = {
  [LOG_GROUP]: "kmsKeyId",
  [SNS_TOPIC]: "kmsMasterKeyId",
  [SECRET]: "kmsKeyId",
};

export const encryptionAtRest: ResourcePolicyDefinition = {
  name: "encryption-at-rest",
  description:
    "Checks whether databases, caches, log groups, SNS topics and secrets encrypt their data at rest (with a customer-managed KMS key where the service takes one).",
  severity: "high",
  framework: fsbp("RDS.3", "RDS DB instances should have encryption at-rest enabled"),
  remediationSteps:
    "Set storageEncrypted on RDS instances, atRestEncryptionEnabled on ElastiCache replication groups, and the environment's KMS key on log groups (kmsKeyId), SNS topics (kmsMasterKeyId) and secrets (kmsKeyId).",
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  settings: () => ({
    customerManagedKeyTypes: {
      type: "array",
      items: { type: "string" },
      description: "Resource types that must name a customer-managed KMS key.",
      default: Object.keys(KMS_PROPERTY),
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type === RDS_INSTANCE) {
      expectProp(
        report,
        args.props,
        "storageEncrypted",
        isTrue,
        `Set storageEncrypted to true on ${args.name}: ${stack} encrypts databases at rest.`,
      );
    }
    if (args.type === REPLICATION_GROUP) {
      expectProp(
        report,
        args.props,
        "atRestEncryptionEnabled",
        isTrue,
        `Set atRestEncryptionEnabled to true on ${args.name}: ${stack} encrypts caches at rest.`,
      );
    }
    const property = KMS_PROPERTY[args.type];
    if (property && settings.list("customerManagedKeyTypes").includes(args.type)) {
      expectProp(
        report,
        args.props,
        property,
        isSet,
        `Set ${property} on ${args.name}: ${stack} encrypts it with the environment's KMS key.`,
        "passes",
      );
    }
  },
};

function isHttpsRedirect(action: unknown): boolean {
  return (
    isRecord(action) &&
    action["type"] === "redirect" &&
    isRecord(action["redirect"]) &&
    action["redirect"]["protocol"] === "HTTPS"
  );
}

export const encryptionInTransit: ResourcePolicyDefinition = {
  name: "encryption-in-transit",
  description:
    "Checks whether caches encrypt traffic in transit and load balancer listeners serve HTTPS, with plain HTTP only redirecting to HTTPS.",
  severity: "high",
  framework: fsbp(
    "ELB.1",
    "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS",
  ),
  remediationSteps:
    "Set transitEncryptionEnabled on ElastiCache replication groups; serve listeners over HTTPS with the environment's certificate, and make any HTTP listener a redirect to HTTPS.",
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type === REPLICATION_GROUP) {
      expectProp(
        report,
        args.props,
        "transitEncryptionEnabled",
        isTrue,
        `Set transitEncryptionEnabled to true on ${args.name}: ${stack} encrypts cache traffic in transit.`,
      );
    }
    if (args.type !== LISTENER) return;
    const protocol = read(args.props, "protocol");
    if (!protocol.known) {
      report(`Cannot check protocol during preview: ${protocol.reason}.`, { level: "advisory" });
      return;
    }
    if (protocol.value === "HTTPS" || protocol.value === "TLS") return;
    if (protocol.value === "HTTP" || protocol.value === undefined) {
      const actions = read(args.props, "defaultActions");
      if (!actions.known) {
        report(`Cannot check defaultActions during preview: ${actions.reason}.`, {
          level: "advisory",
        });
        return;
      }
      const list = Array.isArray(actions.value) ? actions.value : [];
      if (list.length > 0 && list.every(isHttpsRedirect)) return;
      report(
        `Make ${args.name} redirect to HTTPS: ${stack} serves plain HTTP only to redirect it.`,
      );
      return;
    }
    report(
      `Serve ${args.name} over HTTPS or TLS: ${stack} encrypts traffic in transit (found ${show(protocol.value)}).`,
    );
  },
};

const PUBLIC_CIDRS = ["0.0.0.0/0", "::/0"];

interface Ingress {
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  readonly cidrs: readonly unknown[];
}

function ingressRules(type: string, props: Record<string, unknown>): Ingress[] {
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

export const noPublicIngress: ResourcePolicyDefinition = {
  name: "no-public-ingress",
  description:
    "Checks whether nothing is reachable from the internet except on the allowed public ports (the load balancer's 443, and 80 to redirect): no other open ingress, no publicly accessible database, no public IPs on tasks.",
  severity: "critical",
  framework: fsbp(
    "EC2.18",
    "Security groups should only allow unrestricted incoming traffic for authorized ports",
  ),
  remediationSteps:
    "Restrict the ingress to the VPC or to the load balancer's security group; set publiclyAccessible false on databases and assignPublicIp false on services.",
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  settings: () => ({
    publicPorts: {
      type: "array",
      items: { type: "integer" },
      description: "TCP ports that may be open to the internet.",
      default: [443, 80],
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type === RDS_INSTANCE) {
      expectProp(
        report,
        args.props,
        "publiclyAccessible",
        (v) => !isTrue(v),
        `Set publiclyAccessible to false on ${args.name}: only the load balancer is public in ${stack}.`,
      );
      return;
    }
    if (args.type === ECS_SERVICE) {
      expectProp(
        report,
        args.props,
        "networkConfiguration.assignPublicIp",
        (v) => !isTrue(v),
        `Set assignPublicIp to false on ${args.name}: only the load balancer is public in ${stack}.`,
      );
      return;
    }
    const rules = whenKnown(() => ingressRules(args.type, args.props));
    if (isUnknown(rules)) {
      report(`Cannot check ingress during preview: ${rules.reason}.`, { level: "advisory" });
      return;
    }
    const allowed = settings.numbers("publicPorts");
    for (const rule of rules) {
      const open = rule.cidrs.filter(
        (c): c is string => typeof c === "string" && PUBLIC_CIDRS.includes(c),
      );
      if (open.length === 0) continue;
      const from = toNumber(rule.fromPort);
      const to = toNumber(rule.toPort);
      const tcp = rule.protocol === "tcp" || rule.protocol === "6";
      if (tcp && from === to && allowed.includes(from)) continue;
      const ports =
        rule.protocol === "-1" || rule.protocol === "all"
          ? "all ports"
          : `ports ${show(rule.fromPort)}-${show(rule.toPort)}/${show(rule.protocol)}`;
      report(
        `Remove the ingress from ${open.join(", ")} on ${ports} from ${args.name}: only the load balancer is public in ${stack}, on ports ${allowed.join(", ")}.`,
      );
    }
  },
};

/** The statements of an IAM policy document (a JSON string or an object). */
export function statementsOf(document: unknown): Record<string, unknown>[] | undefined {
  const doc = parseJson(document);
  if (!isRecord(doc)) return undefined;
  const s = doc["Statement"];
  const list = Array.isArray(s) ? [...s] : s === undefined ? [] : [s];
  return list.filter(isRecord);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? [...v] : v === undefined ? [] : [v]);

function policyDocuments(type: string, props: unknown): { label: string; document: unknown }[] {
  const property = IAM_POLICY_TYPES[type];
  if (property) return [{ label: "policy", document: readStrict(props, property) }];
  if (type === IAM_ROLE) {
    return asList(readStrict(props, "inlinePolicies"))
      .filter(isRecord)
      .map((p) => ({ label: `inline policy ${show(p["name"])}`, document: p["policy"] }));
  }
  return [];
}

function readStrict(props: unknown, key: string): unknown {
  return isRecord(props) ? props[key] : undefined;
}

export const noWildcardAdmin: ResourcePolicyDefinition = {
  name: "no-iam-wildcard-admin",
  description:
    'Checks whether any IAM policy document allows every action ("*") on every resource ("*").',
  severity: "critical",
  framework: fsbp("IAM.1", 'IAM policies should not allow full "*" administrative privileges'),
  remediationSteps:
    "Grant the actions a role needs on the resources it needs, scoped by ARN or by the env/app tags.",
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    const docs = whenKnown(() => policyDocuments(args.type, args.props));
    if (isUnknown(docs)) {
      report(`Cannot check the policy document during preview: ${docs.reason}.`, {
        level: "advisory",
      });
      return;
    }
    for (const { label, document } of docs) {
      const statements = whenKnown(() => statementsOf(document));
      if (isUnknown(statements)) {
        report(`Cannot check the ${label} of ${args.name} during preview: ${statements.reason}.`, {
          level: "advisory",
        });
        continue;
      }
      if (statements === undefined) {
        if (document !== undefined)
          report(`Make the ${label} of ${args.name} a JSON policy document: it cannot be read.`);
        continue;
      }
      for (const s of statements) {
        if (s["Effect"] !== "Allow") continue;
        if (asList(s["Action"]).includes("*") && asList(s["Resource"]).includes("*")) {
          report(
            `Remove the statement${typeof s["Sid"] === "string" ? ` ${s["Sid"]}` : ""} allowing "*" on "*" from the ${label} of ${args.name}: grant only the actions needed, on the resources needed.`,
          );
        }
      }
    }
  },
};

const READ_VERBS =
  /^[a-z0-9-]+:(Describe|Get|List|BatchGet|BatchDescribe|Filter|Search|Lookup|Select|Query|StartQuery|StopQuery|Head|View)[A-Za-z0-9*]*$/;

/** Whether an IAM action only reads. */
export function isReadOnlyAction(action: unknown): boolean {
  return typeof action === "string" && READ_VERBS.test(action);
}

function linkedTo(role: PolicyResource, r: PolicyResource): boolean {
  if ((r.propertyDependencies?.["role"] ?? []).some((d) => d.urn === role.urn)) return true;
  // The access component names a role's inline policy after the role.
  return r.name === role.name;
}

type StackReport = Parameters<NonNullable<StackPolicyDefinition["validateStack"]>>[1];

/**
 * Reports every action a role's policies (inline, linked role policies, attached managed policies)
 * allow beyond reading; `permitted` admits extra actions the role's purpose needs.
 */
function reportRoleWrites(
  role: PolicyResource,
  resources: readonly PolicyResource[],
  report: StackReport,
  message: (what: string) => string,
  permitted: (action: string) => boolean = () => false,
): void {
  const on = (text: string, urn: string) => report(text, { urn });
  const documents: { label: string; urn: string; document: unknown }[] = [];
  const inline = whenKnown(() => policyDocuments(IAM_ROLE, role.props));
  if (!isUnknown(inline))
    documents.push(
      ...inline.map((d) => ({ ...d, urn: role.urn, label: `${d.label} of ${role.name}` })),
    );
  for (const r of resources) {
    if (r.type === ROLE_POLICY && linkedTo(role, r)) {
      documents.push({
        label: `policy ${r.name}`,
        urn: r.urn,
        document: whenKnown(() => r.props["policy"] as unknown),
      });
    }
    if (r.type === ROLE_POLICY_ATTACHMENT && linkedTo(role, r)) {
      const arn = read(r.props, "policyArn");
      if (arn.known && !(typeof arn.value === "string" && /ReadOnlyAccess$/.test(arn.value)))
        on(message(`Detach ${show(arn.value)} from ${role.name}`), r.urn);
    }
  }
  for (const { label, urn, document } of documents) {
    const statements = isUnknown(document) ? document : whenKnown(() => statementsOf(document));
    if (isUnknown(statements)) {
      report(`Cannot check the ${label} during preview: ${statements.reason}.`, {
        level: "advisory",
        urn,
      });
      continue;
    }
    const writes = (statements ?? [])
      .filter((s) => s["Effect"] === "Allow")
      .flatMap((s) => asList(s["Action"]))
      .filter((a) => !isReadOnlyAction(a) && !(typeof a === "string" && permitted(a)));
    for (const action of [...new Set(writes.map(show))])
      on(message(`Remove ${action} from the ${label}`), urn);
  }
}

export const developerReadOnly: StackPolicyDefinition = {
  name: "developer-read-only",
  description:
    "Checks whether the developer role (an IAM role tagged team-role=developer) only reads in production-like stacks.",
  severity: "high",
  remediationSteps:
    "Set envstack:access.developer to read-only (or none) for stage and prod; changes reach those stacks through pull requests and deploy jobs, never a developer's role.",
  levels: { dev: "disabled", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  validateStack: (args, report, { stack }) => {
    for (const role of args.resources) {
      if (role.type !== IAM_ROLE) continue;
      const team = read(role.props, "tags.team-role");
      if (!team.known || team.value !== "developer") continue;
      const level = read(role.props, "tags.access-level");
      if (level.known && level.value !== undefined && level.value !== "read-only")
        report(
          `Set the developer role ${role.name} to read-only: developers only read in ${stack} (found ${show(level.value)}).`,
          { urn: role.urn },
        );
      reportRoleWrites(role, args.resources, report, (what) =>
        what.startsWith("Detach")
          ? `${what.replace(` from ${role.name}`, ` from the developer role ${role.name}`)}: developers only read in ${stack}.`
          : `${what}: developers only read in ${stack}.`,
      );
    }
  },
};

/** Whether a trust statement admits GitHub Actions' OIDC tokens. */
function trustsGithub(statement: Record<string, unknown>): boolean {
  const principal = statement["Principal"];
  const federated = isRecord(principal) ? asList(principal["Federated"]) : [];
  return federated.some((f) => typeof f === "string" && f.includes(GITHUB_OIDC_HOST));
}

function conditionValue(
  statement: Record<string, unknown>,
  operator: string,
  key: string,
): unknown {
  const condition = statement["Condition"];
  const op = isRecord(condition) ? condition[operator] : undefined;
  return isRecord(op) ? op[key] : undefined;
}

export const ciDeployRoleTrust: ResourcePolicyDefinition = {
  name: "ci-deploy-role-trust",
  description:
    "Checks whether a role assumable with GitHub Actions OIDC tokens trusts only jobs in the stack's own GitHub deployment environment, for the STS audience: never pull-request jobs, other branches or other repositories.",
  severity: "critical",
  remediationSteps:
    "Trust the OIDC provider only with StringEquals on token.actions.githubusercontent.com:sub = repo:<owner>/<repository>:environment:<stack> and :aud = sts.amazonaws.com; never StringLike wildcards, the pull-request subject or other principals. Pull-request code runs before any review and holds no cloud credential. This rule cannot be suppressed.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const trust = read(args.props, "assumeRolePolicy");
    if (!trust.known) {
      report(`Cannot check assumeRolePolicy during preview: ${trust.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const statements = statementsOf(trust.value) ?? [];
    if (!statements.some(trustsGithub)) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const { owner, repository } = baseline.spec.github;
    const subject = githubOidcSubject(owner, repository, stack);
    const who = `only jobs in the ${stack} GitHub environment may deploy`;
    for (const s of statements) {
      if (s["Effect"] !== "Allow") continue;
      if (!trustsGithub(s)) {
        report(
          `Remove the trust of ${show(s["Principal"])} from ${args.name}: the CI deploy role trusts only GitHub Actions jobs in the ${stack} environment.`,
        );
        continue;
      }
      const sub = conditionValue(s, "StringEquals", `${GITHUB_OIDC_HOST}:sub`);
      const subs = asList(sub);
      if (
        subs.length !== 1 ||
        subs[0] !== subject ||
        conditionValue(s, "StringLike", `${GITHUB_OIDC_HOST}:sub`) !== undefined
      ) {
        report(
          `Set the trust condition StringEquals ${GITHUB_OIDC_HOST}:sub to ${subject} on ${args.name}: ${who} (found ${show(sub ?? conditionValue(s, "StringLike", `${GITHUB_OIDC_HOST}:sub`))}).`,
        );
      }
      const aud = conditionValue(s, "StringEquals", `${GITHUB_OIDC_HOST}:aud`);
      const auds = asList(aud);
      if (auds.length !== 1 || auds[0] !== GITHUB_OIDC_AUDIENCE) {
        report(
          `Set the trust condition StringEquals ${GITHUB_OIDC_HOST}:aud to ${GITHUB_OIDC_AUDIENCE} on ${args.name}: tokens must be minted for AWS STS (found ${show(aud)}).`,
        );
      }
    }
  },
};

/** The IAM path of the CI roles, which carry no boundary (they are the ones that create roles). */
export const CI_ROLE_PATH = "/ci/";

export const iamPermissionsBoundary: ResourcePolicyDefinition = {
  name: "iam-permissions-boundary",
  description:
    "Checks whether every IAM role outside the CI path /ci/ carries the stack's permissions boundary (policy/ci/<app>-<stack>-boundary), so no role of one environment reaches another's resources in a shared account.",
  severity: "critical",
  remediationSteps:
    "Set permissionsBoundary on the role to the environment's boundary (the deploy role's boundaryPolicyArn, policy/ci/<app>-<stack>-boundary); the deploy role can create no role without it.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const rolePath = read(args.props, "path");
    if (!rolePath.known) {
      report(`Cannot check the path of ${args.name} during preview: ${rolePath.reason}.`, {
        level: "advisory",
      });
      return;
    }
    if (rolePath.value === CI_ROLE_PATH) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const expected = `:policy${CI_ROLE_PATH}${physicalPrefix(stack, baseline.spec.app)}-boundary`;
    const boundary = read(args.props, "permissionsBoundary");
    if (!boundary.known) {
      report(
        `Cannot check permissionsBoundary of ${args.name} during preview: ${boundary.reason}.`,
        { level: "advisory" },
      );
      return;
    }
    if (typeof boundary.value === "string" && boundary.value.endsWith(expected)) return;
    report(
      `Set permissionsBoundary on ${args.name} to the ${stack} boundary (arn ending ${expected}): every role outside ${CI_ROLE_PATH} is bounded to its own environment (found ${show(boundary.value)}).`,
    );
  },
};

export const GITHUB_SECRETS = [
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  "github:index/actionsSecret:ActionsSecret",
];
export const GITHUB_VARIABLES = [
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  "github:index/actionsVariable:ActionsVariable",
];
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL)/i;
const SECRET_VALUE = [
  /\bA(KIA|SIA)[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/,
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/,
];

function reportSecretVariable(report: Report, name: string, kind: string, resource: string): void {
  report(
    `Move ${name} to an encrypted environment secret: variables are readable by anyone with access to the repository (its ${kind} looks secret; ${resource}).`,
  );
}

export const noPlaintextGithubSecrets: ResourcePolicyDefinition = {
  name: "no-plaintext-github-secrets",
  description:
    "Checks whether GitHub Actions secrets are given encrypted (never plaintextValue) and no Actions variable holds what looks like a secret.",
  severity: "critical",
  remediationSteps:
    "Give secrets as encryptedValue (sealed with the repository's public key) or set them outside Pulumi; keep only non-secret values (ARNs, regions, URLs) in variables.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    if (GITHUB_SECRETS.includes(args.type)) {
      // An unknown plaintextValue is still a plaintext value, only computed later.
      const plain = read(args.props, "plaintextValue");
      if (!plain.known || isSet(plain.value))
        report(
          `Set encryptedValue instead of plaintextValue on ${args.name}: secrets never pass through the program in plain text.`,
        );
      return;
    }
    if (!GITHUB_VARIABLES.includes(args.type)) return;
    const name = read(args.props, "variableName");
    if (name.known && typeof name.value === "string" && SECRET_NAME.test(name.value)) {
      reportSecretVariable(report, name.value, "name", args.name);
      return;
    }
    const value = read(args.props, "value");
    if (!value.known) return; // A computed value (an ARN, a URL) is not a literal secret.
    if (typeof value.value === "string" && SECRET_VALUE.some((p) => p.test(value.value as string)))
      reportSecretVariable(report, name.known ? show(name.value) : args.name, "value", args.name);
  },
};

export const securityPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  encryptionAtRest,
  encryptionInTransit,
  noPublicIngress,
  noWildcardAdmin,
  developerReadOnly,
  ciDeployRoleTrust,
  iamPermissionsBoundary,
  noPlaintextGithubSecrets,
];
