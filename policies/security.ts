import type { PolicyResource } from "@pulumi/policy";
import { MAX_ACCESS_SESSION_SECONDS, reachesInternet, type StackName } from "../src/model";
import { githubOidcSubject } from "../src/model/github-rules";
import { physicalPrefix } from "../src/model/naming";
import { baselineOf, stackFileSettings } from "./baselines";
import { LOG_GROUP, RDS_INSTANCE, REPLICATION_GROUP } from "./data-safety";
import {
  IAM_ROLE,
  KMS_KEY,
  KMS_KEY_POLICY,
  actionMatches,
  adminStatements,
  conditionValues,
  declaredDocuments,
  grantsOf,
  isAccountRoot,
  principalAccount,
  readDocument,
  resourcesWithin,
  restrictsAccount,
  rolePolicies,
  statementName,
  type Statement,
} from "./iam";
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
export { IAM_ROLE };
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
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
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
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
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
    "Checks whether nothing is reachable from the internet except on the allowed public ports (the load balancer's 443, and 80 to redirect): no other ingress from any block holding internet addresses (anything outside private, shared, loopback and link-local space, so 0.0.0.0/1 as much as 0.0.0.0/0), no publicly accessible database, no public IPs on tasks.",
  severity: "critical",
  framework: fsbp(
    "EC2.18",
    "Security groups should only allow unrestricted incoming traffic for authorized ports",
  ),
  remediationSteps:
    "Restrict the ingress to the VPC or to the load balancer's security group; set publiclyAccessible false on databases and assignPublicIp false on services.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
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
        (c): c is string => typeof c === "string" && reachesInternet(c),
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

/** Where a statement's Allow reaches, as messages name it. */
function reach(s: Statement): string {
  const r = s.resources;
  if (r === undefined) return "every resource (no Resource)";
  if (r.not) return `every resource (NotResource ${show(r.values)})`;
  return r.values
    .filter((v) => [...v].every((c) => c === "*" || c === "?"))
    .map((v) => `"${v}"`)
    .join(", ");
}

export const noWildcardAdmin: ResourcePolicyDefinition = {
  name: "no-iam-wildcard-admin",
  description:
    'Checks whether any IAM policy document (a policy, a role, user or group policy, a role\'s inline policies) allows every action ("*", "*:*"), a whole identity service ("iam:*", "sts:*", "organizations:*", ...) or everything but some actions (NotAction), on every resource ("*" or NotResource).',
  severity: "critical",
  framework: fsbp("IAM.1", 'IAM policies should not allow full "*" administrative privileges'),
  documentation:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
  remediationSteps:
    "Grant the actions a role needs on the resources it needs, scoped by ARN or by the env/app tags; list actions instead of NotAction; grant IAM, STS and Organizations actions by name, on the ARNs they concern.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    const docs = whenKnown(() => declaredDocuments(args.type, args.props));
    if (isUnknown(docs)) {
      report(`Cannot check the policy document during preview: ${docs.reason}.`, {
        level: "advisory",
      });
      return;
    }
    for (const { label, document } of docs) {
      const doc = readDocument(document);
      if (isUnknown(doc)) {
        report(`Cannot check the ${label} of ${args.name} during preview: ${doc.reason}.`, {
          level: "advisory",
        });
        continue;
      }
      if (doc === undefined) {
        if (document !== undefined)
          report(`Make the ${label} of ${args.name} a JSON policy document: it cannot be read.`);
        continue;
      }
      for (const { statement, what } of adminStatements(doc)) {
        report(
          `Remove the ${statementName(statement)} allowing ${what} on ${reach(statement)} from the ${label} of ${args.name}: grant only the actions needed, on the resources needed.`,
        );
      }
    }
  },
};

type StackReport = Parameters<NonNullable<StackPolicyDefinition["validateStack"]>>[1];

/**
 * Reports every write and every read of data or secrets a role's documents allow, whatever
 * attaches them; data reads are admitted on resources within `readable` (ARN patterns).
 */
function reportBeyondMetadata(
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
function developerReadableData(stack: StackName): string[] {
  return [
    `arn:*:logs:*:*:log-group:/${stack}/*`,
    `arn:*:ssm:*:*:parameter/${stack}/*/connections`,
    `arn:*:ssm:*:*:parameter/${stack}/*/connections/*`,
    `arn:*:ssm:*:*:parameter/${stack}/*/flags`,
    `arn:*:ssm:*:*:parameter/${stack}/*/flags/*`,
  ];
}

export const developerReadOnly: StackPolicyDefinition = {
  name: "developer-read-only",
  description:
    "Checks whether the developer role (an IAM role tagged team-role=developer) only reads metadata in production-like stacks: no write and no read of data or secrets (objects, secret values, decryption, parameters, items, messages) through any policy attached to it, inline, as a role policy or by ARN.",
  severity: "high",
  remediationSteps:
    "Set envstack:access.developer to read-only (or none) for stage and prod and keep the read-only level to Describe/List/Get calls that return metadata; changes reach those stacks through pull requests and deploy jobs, never a developer's role. Data a developer may read (the environment's logs, its plain String parameters) is listed, as ARN patterns, in developerReadableData.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: (stack) => ({
    developerReadableData: {
      type: "array",
      items: { type: "string" },
      description:
        "ARN patterns of the resources a developer may read data from (a statement's data reads pass when every resource it names lies within one).",
      default: developerReadableData(stack),
    },
  }),
  validateStack: (args, report, { stack, settings }) => {
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
      reportBeyondMetadata(
        role,
        args.resources,
        report,
        settings.list("developerReadableData"),
        `developers neither write nor read data in ${stack}`,
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
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
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
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
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

/**
 * Services that take the environment's roles: ECS tasks (task and execution roles) and VPC flow
 * logs. A role trusting any other service is not one the model declares.
 */
const TRUSTED_SERVICES = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"];

/**
 * The account a stack's roles live in: `envstack:accountId` when set. Unset (the shared-account
 * layout), the account cannot be known offline; a role's permissions boundary is a managed policy
 * of the role's own account (iam-permissions-boundary requires one), so its ARN names it.
 */
function ownAccount(configured: string | undefined, props: unknown): string | undefined {
  if (configured !== undefined) return configured;
  const boundary = read(props, "permissionsBoundary");
  return boundary.known && typeof boundary.value === "string"
    ? principalAccount(boundary.value)
    : undefined;
}

/** Whether a normalised trust statement admits GitHub Actions' OIDC tokens. */
const trustsGithubOidc = (s: Statement) =>
  (s.principals?.byKind["Federated"] ?? []).some((f) => f.includes(GITHUB_OIDC_HOST));

export const iamRoleTrust: ResourcePolicyDefinition = {
  name: "iam-role-trust",
  description:
    "Checks whether every IAM role trusts only whom it is for: no one (\"*\") without an account condition, no NotPrincipal, principals of the stack's own account only, the services that take the environment's roles only; an access role (tagged team-role) only this account's people of that team, signed in with MFA, for sessions of at most an hour. Roles GitHub Actions assumes are ci-deploy-role-trust's.",
  severity: "critical",
  documentation:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
  remediationSteps:
    "Trust principals of the stack's account by ARN (arn:aws:iam::<account>:root with conditions, or named roles), services only for the roles they take (ECS tasks, flow logs); on access roles require Bool aws:MultiFactorAuthPresent true, NumericLessThan aws:MultiFactorAuthAge at most 3600 and StringEquals aws:PrincipalTag/team-role, and keep maxSessionDuration at most 3600. Set envstack:accountId so the account is checked offline.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    ...stackFileSettings(),
    trustedServices: {
      type: "array",
      items: { type: "string" },
      description: "Service principals that may assume the stack's roles.",
      default: TRUSTED_SERVICES,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const trust = read(args.props, "assumeRolePolicy");
    if (!trust.known) {
      report(`Cannot check assumeRolePolicy during preview: ${trust.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const doc = readDocument(trust.value);
    if (isUnknown(doc)) {
      report(`Cannot check assumeRolePolicy during preview: ${doc.reason}.`, { level: "advisory" });
      return;
    }
    if (doc === undefined) {
      report(
        `Make the assumeRolePolicy of ${args.name} a JSON policy document: it cannot be read.`,
      );
      return;
    }
    if (doc.statements.some(trustsGithubOidc)) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const account = ownAccount(baseline.spec.accountId, args.props);
    const team = read(args.props, "tags.team-role");
    const person = team.known && typeof team.value === "string" ? team.value : undefined;
    const services = settings.list("trustedServices");
    const trusts = (who: string, why: string) =>
      report(`Remove the trust of ${who} from ${args.name}: ${why}.`);
    for (const s of doc.statements) {
      if (s.effect !== "Allow") continue;
      const p = s.principals;
      if (p === undefined) continue;
      if (p.not) {
        report(
          `Remove NotPrincipal from the trust of ${args.name}: an Allow with NotPrincipal trusts every principal it does not name.`,
        );
        continue;
      }
      if (p.anyone && !restrictsAccount(s)) {
        trusts(
          'everyone ("*")',
          `a role is assumed only by principals of ${stack}'s account (add an aws:PrincipalAccount condition at least)`,
        );
        continue;
      }
      for (const [kind, values] of Object.entries(p.byKind)) {
        for (const value of values) {
          if (kind === "AWS") {
            if (value === "*") continue;
            const of = principalAccount(value);
            if (account === undefined) {
              report(
                `Cannot check that ${value}, trusted by ${args.name}, belongs to ${stack}'s account: set envstack:accountId or a permissions boundary.`,
                { level: "advisory" },
              );
            } else if (of !== account) {
              trusts(
                value,
                `only principals of ${stack}'s account ${account} may assume its roles`,
              );
            }
          } else if (kind === "Service") {
            if (person !== undefined)
              trusts(
                `the service ${value}`,
                "an access role is assumed by people, never by a service",
              );
            else if (!services.includes(value))
              trusts(`the service ${value}`, `only ${services.join(", ")} take ${stack}'s roles`);
          } else {
            trusts(
              `${kind} ${value}`,
              `${stack}'s roles trust the account's principals and its services; GitHub Actions is the only federated identity (ci-deploy-role-trust)`,
            );
          }
        }
      }
      if (person === undefined) continue;
      if (!conditionValues(s, "Bool", "aws:MultiFactorAuthPresent").includes("true"))
        report(
          `Require MFA in the trust of ${args.name} (Bool aws:MultiFactorAuthPresent "true"): people assume access roles only signed in with MFA.`,
        );
      const ages = [
        ...conditionValues(s, "NumericLessThan", "aws:MultiFactorAuthAge"),
        ...conditionValues(s, "NumericLessThanEquals", "aws:MultiFactorAuthAge"),
      ].map(toNumber);
      if (ages.length === 0 || ages.some((a) => !(a <= MAX_ACCESS_SESSION_SECONDS)))
        report(
          `Set NumericLessThan aws:MultiFactorAuthAge to at most ${MAX_ACCESS_SESSION_SECONDS} in the trust of ${args.name}: an MFA sign-in is good for an hour (found ${ages.length === 0 ? "nothing" : ages.join(", ")}).`,
        );
      const tag = conditionValues(s, "StringEquals", `aws:PrincipalTag/team-role`);
      if (tag.length !== 1 || tag[0] !== person)
        report(
          `Set StringEquals aws:PrincipalTag/team-role to ${person} in the trust of ${args.name}: only that team's people assume its access role (found ${show(tag.length === 0 ? undefined : tag)}).`,
        );
    }
    if (person === undefined) return;
    const session = read(args.props, "maxSessionDuration");
    if (!session.known) {
      report(`Cannot check maxSessionDuration of ${args.name} during preview: ${session.reason}.`, {
        level: "advisory",
      });
      return;
    }
    // Unset, a role's sessions last one hour: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
    if (session.value !== undefined && !(toNumber(session.value) <= MAX_ACCESS_SESSION_SECONDS))
      report(
        `Set maxSessionDuration on ${args.name} to at most ${MAX_ACCESS_SESSION_SECONDS} seconds: access sessions last at most an hour (found ${show(session.value)}).`,
      );
  },
};

/** Whether an Allow statement grants every KMS action: kms:*, *, *:*, or NotAction. */
function grantsAllOfKms(s: Statement): boolean {
  if (s.actions.not) return true;
  return s.actions.values.some((a) => {
    const colon = a.indexOf(":");
    const name = colon < 0 ? a : a.slice(colon + 1);
    const service = colon < 0 ? "*" : a.slice(0, colon);
    return [...name].every((c) => c === "*") && name !== "" && actionMatches(service, "kms");
  });
}

export const kmsKeyPolicy: ResourcePolicyDefinition = {
  name: "kms-key-policy",
  description:
    'Checks whether every KMS key policy (a key\'s policy, a KeyPolicy) lets no one ("*") use the key without a condition restricting it to an account or service, has no NotPrincipal, and grants kms:* (key administration) to the account root only.',
  severity: "critical",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
  remediationSteps:
    'Keep the default statement giving kms:* to arn:aws:iam::<account>:root, grant services and roles only the KMS actions they use, and restrict any "*" principal with kms:CallerAccount, aws:SourceAccount or aws:SourceArn.',
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== KMS_KEY && args.type !== KMS_KEY_POLICY) return;
    const policy = read(args.props, "policy");
    if (!policy.known) {
      report(`Cannot check the key policy of ${args.name} during preview: ${policy.reason}.`, {
        level: "advisory",
      });
      return;
    }
    // A key without a policy gets the default one: kms:* for the account root only.
    if (policy.value === undefined || policy.value === "") return;
    const doc = readDocument(policy.value);
    if (isUnknown(doc)) {
      report(`Cannot check the key policy of ${args.name} during preview: ${doc.reason}.`, {
        level: "advisory",
      });
      return;
    }
    if (doc === undefined) {
      report(`Make the key policy of ${args.name} a JSON policy document: it cannot be read.`);
      return;
    }
    const baseline = baselineOf(settings, stack);
    const account = baseline.ok ? baseline.spec.accountId : undefined;
    for (const s of doc.statements) {
      if (s.effect !== "Allow" || s.principals === undefined) continue;
      const name = statementName(s);
      if (s.principals.not) {
        report(
          `Remove NotPrincipal from the ${name} of the key policy of ${args.name}: an Allow with NotPrincipal lets everyone else use the key.`,
        );
        continue;
      }
      if (s.principals.anyone && !restrictsAccount(s)) {
        report(
          `Restrict the ${name} of the key policy of ${args.name} to the account (kms:CallerAccount or aws:SourceAccount) or remove it: it lets anyone ("*") use the key.`,
        );
        continue;
      }
      if (!grantsAllOfKms(s)) continue;
      const others = Object.entries(s.principals.byKind).flatMap(([kind, values]) =>
        values
          .filter(
            (v) =>
              !(
                kind === "AWS" &&
                isAccountRoot(v) &&
                (account === undefined || principalAccount(v) === account)
              ),
          )
          .map((v) => (kind === "AWS" ? v : `${kind} ${v}`)),
      );
      if (s.principals.anyone) others.unshift('"*"');
      if (others.length > 0)
        report(
          `Grant ${others.join(", ")} only the KMS actions it uses in the ${name} of the key policy of ${args.name}: kms:* administers the key and belongs to the account root${account === undefined ? "" : ` (${account})`} only.`,
        );
    }
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
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
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
  iamRoleTrust,
  iamPermissionsBoundary,
  kmsKeyPolicy,
  noPlaintextGithubSecrets,
];
