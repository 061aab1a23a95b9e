import type { PolicyResource } from "@pulumi/policy";
import { isRecord, isUnknown, parseJson, read, show, whenKnown, type Unknown } from "./support";

/*
 * IAM policy documents read as AWS evaluates them.
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 * Action: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 *   (service prefix and action name are case-insensitive; `*` matches any run of characters, `?`
 *   any one character, in either part).
 * NotAction: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
 *   (with Allow, every action not listed is allowed, in every service that applies to the
 *   resources).
 * NotResource: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
 *   (with Allow, every resource not listed; "*" resources included).
 * Principal / NotPrincipal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */

export const IAM_ROLE = "aws:iam/role:Role";
export const IAM_POLICY = "aws:iam/policy:Policy";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
export const GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy";
export const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment";
export const ROLE_POLICY_ATTACHMENTS_EXCLUSIVE =
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive";
export const KMS_KEY = "aws:kms/key:Key";
export const KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";

/** Resource types whose `policy` property is an identity-based policy document. */
export const POLICY_DOCUMENT_TYPES: readonly string[] = [
  IAM_POLICY,
  ROLE_POLICY,
  USER_POLICY,
  GROUP_POLICY,
];

/** An Action/NotAction, Resource/NotResource element: its values and whether it is the Not form. */
export interface Element {
  readonly not: boolean;
  readonly values: readonly string[];
}

/** A Principal/NotPrincipal element: `"*"` is `anyone`; otherwise values by kind (AWS, Service...). */
export interface Principals {
  readonly not: boolean;
  readonly anyone: boolean;
  readonly byKind: Readonly<Record<string, readonly string[]>>;
}

/** Condition operator -> lower-cased key -> values (condition keys are case-insensitive). */
export type Conditions = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly sid?: string;
  readonly effect: string;
  /** Action or NotAction; absent (an invalid statement) reads as no action. */
  readonly actions: Element;
  /** Resource or NotResource; undefined when the statement has neither (trust policies). */
  readonly resources?: Element;
  readonly principals?: Principals;
  readonly conditions: Conditions;
}

export interface PolicyDocument {
  readonly version?: string;
  readonly statements: readonly Statement[];
}

/** One value or a list of them, as strings (a boolean `true` reads as "true"). */
function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? [...value] : value === undefined ? [] : [value];
  return list.map((v) => (typeof v === "string" ? v : show(v)));
}

function element(statement: Record<string, unknown>, name: string): Element | undefined {
  if (`Not${name}` in statement) return { not: true, values: strings(statement[`Not${name}`]) };
  if (name in statement) return { not: false, values: strings(statement[name]) };
  return undefined;
}

function principals(statement: Record<string, unknown>): Principals | undefined {
  const not = "NotPrincipal" in statement;
  const raw = not ? statement["NotPrincipal"] : statement["Principal"];
  if (raw === undefined) return undefined;
  if (raw === "*") return { not, anyone: true, byKind: {} };
  const byKind = isRecord(raw)
    ? Object.fromEntries(Object.entries(raw).map(([kind, v]) => [kind, strings(v)]))
    : { AWS: strings(raw) };
  // `{"AWS": "*"}` is everyone, as `"*"` is (Principal element, "All principals").
  return { not, anyone: (byKind["AWS"] ?? []).includes("*"), byKind };
}

function conditions(statement: Record<string, unknown>): Conditions {
  const raw = statement["Condition"];
  if (!isRecord(raw)) return {};
  return Object.fromEntries(
    Object.entries(raw).map(([operator, keys]) => [
      operator,
      isRecord(keys)
        ? Object.fromEntries(Object.entries(keys).map(([k, v]) => [k.toLowerCase(), strings(v)]))
        : {},
    ]),
  );
}

/**
 * A policy document (a JSON string or an object) with each statement normalised; undefined when
 * it is not one (unparseable JSON, no object). Values the engine does not know yet throw the
 * SDK's unknown-value error: read it through `readDocument`.
 */
export function parseDocument(document: unknown): PolicyDocument | undefined {
  const doc = parseJson(document);
  if (!isRecord(doc)) return undefined;
  const raw = doc["Statement"];
  const list = Array.isArray(raw) ? [...raw] : raw === undefined ? [] : [raw];
  const version = doc["Version"];
  return {
    ...(typeof version === "string" ? { version } : {}),
    statements: list.filter(isRecord).map((s) => {
      const sid = s["Sid"];
      const resources = element(s, "Resource");
      const principal = principals(s);
      return {
        ...(typeof sid === "string" ? { sid } : {}),
        effect: typeof s["Effect"] === "string" ? s["Effect"] : show(s["Effect"]),
        actions: element(s, "Action") ?? { not: false, values: [] },
        ...(resources ? { resources } : {}),
        ...(principal ? { principals: principal } : {}),
        conditions: conditions(s),
      };
    }),
  };
}

/** A document, `undefined` when it is none, or why it cannot be known during preview. */
export function readDocument(document: unknown): PolicyDocument | undefined | Unknown {
  if (isUnknown(document)) return document;
  return whenKnown(() => parseDocument(document));
}

const isAllow = (s: Statement) => s.effect === "Allow";

function globRegExp(pattern: string, flags: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, flags);
}

/** Whether an action pattern matches an action, as IAM does: case-insensitive, `*` and `?`. */
export function actionMatches(pattern: string, action: string): boolean {
  return globRegExp(pattern, "is").test(action);
}

/**
 * Whether two wildcard patterns can match a common string (`*` any run, `?` one character):
 * the question "can this pattern match any of those actions?" when both are patterns.
 */
export function patternsOverlap(a: string, b: string, ignoreCase = true): boolean {
  const x = ignoreCase ? a.toLowerCase() : a;
  const y = ignoreCase ? b.toLowerCase() : b;
  const memo = new Map<number, boolean>();
  const rest = (s: string, i: number) => [...s.slice(i)].every((c) => c === "*");
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === x.length) r = rest(y, j);
    else if (j === y.length) r = rest(x, i);
    else if (x[i] === "*") r = go(i + 1, j) || go(i, j + 1);
    else if (y[j] === "*") r = go(i, j + 1) || go(i + 1, j);
    else r = (x[i] === "?" || y[j] === "?" || x[i] === y[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/**
 * Whether every string `inner` can match, `outer` matches too (resource ARNs are compared
 * case-sensitively). Sound, not complete: `outer`'s `*` may absorb `inner`'s wildcards, its
 * literal characters and `?` only `inner`'s literal characters.
 */
export function patternWithin(inner: string, outer: string): boolean {
  // Up to `outer`'s first `*` the match is forced character by character: settle that prefix
  // first, which rejects almost every pair of unrelated ARNs without the table below.
  const star = outer.indexOf("*");
  const head = star < 0 ? outer.length : star;
  for (let k = 0; k < head; k++) {
    const c = inner[k];
    if (c === undefined || c === "*" || c === "?" || (outer[k] !== "?" && outer[k] !== c)) {
      return false;
    }
  }
  if (star < 0) return inner.length === outer.length;
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (outer.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === outer.length) r = i === inner.length;
    else if (outer[j] === "*") r = go(i, j + 1) || (i < inner.length && go(i + 1, j));
    else if (i === inner.length || inner[i] === "*" || inner[i] === "?") r = false;
    else r = (outer[j] === "?" || outer[j] === inner[i]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/**
 * Action names that only read, by their verb. Every AWS service names its operations verb first
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 * lists each action with its access level); an action whose name starts with one of these verbs
 * is of the List or Read access level. Anything else counts as a write.
 */
const READ_VERBS = [
  "BatchCheck",
  "BatchDescribe",
  "BatchGet",
  "Describe",
  "Filter",
  "Get",
  "Head",
  "List",
  "Lookup",
  "Query",
  "Scan",
  "Search",
  "Select",
  "StartQuery",
  "StopQuery",
  "View",
];

/**
 * Actions that return data or secrets rather than metadata, as patterns. Beyond the obvious
 * (secret values, objects, items, messages, records, images), decided here:
 * - SSM parameters: GetParameter* decrypt a SecureString when asked WithDecryption
 *   (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html).
 * - KMS Decrypt returns plaintext. Like GenerateDataKey* and ReEncrypt* its verb is not a read
 *   one (the service authorization reference lists it at the Write level), so it counts as both.
 * - Log content (GetLogEvents, FilterLogEvents, StartQuery and its results, live tails): logs
 *   carry what the application printed, requests and personal data included.
 * - Lambda GetFunction returns a link to the function's code; Redshift GetClusterCredentials a
 *   database password; ECR layers and images are the application's code.
 * - CloudWatch metrics and X-Ray traces are telemetry: metadata.
 */
export const DATA_READ_ACTIONS: readonly string[] = [
  "athena:GetQueryResults",
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:GetRecords",
  "dynamodb:PartiQLSelect",
  "dynamodb:Query",
  "dynamodb:Scan",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "kinesis:GetRecords",
  "kms:Decrypt",
  "lambda:GetFunction",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:GetLogRecord",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "logs:StartQuery",
  "rds-data:*",
  "rds-db:connect",
  "redshift:GetClusterCredentials*",
  "redshift-data:GetStatementResult",
  "s3:GetObject*",
  "sdb:GetAttributes",
  "sdb:Select",
  "secretsmanager:BatchGetSecretValue",
  "secretsmanager:GetSecretValue",
  "sqs:ReceiveMessage",
  "ssm:GetParameter",
  "ssm:GetParameterHistory",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
];

/** What an action pattern can allow: writes, reads of data or secrets, reads of metadata. */
export interface ActionClasses {
  readonly write: boolean;
  readonly data: boolean;
}

/**
 * The classes of every action a pattern can match. A pattern whose action name starts with a
 * read verb before any wildcard (`ec2:Describe*`, `s3:Get*`) only reads; any other (`*`,
 * `iam:*`, `s3:?etObject`, `ecs:Update*`) can write. It reads data when it can match a data read
 * (`s3:Get*` matches s3:GetObject) or a whole service (`ec2:*`, whose reads are not all known).
 */
export function classify(pattern: string): ActionClasses {
  const colon = pattern.indexOf(":");
  const name = colon < 0 ? pattern : pattern.slice(colon + 1);
  const literal = colon < 0 ? "" : (/^[^*?]*/.exec(name)?.[0] ?? "");
  const reads = READ_VERBS.some((v) => literal.toLowerCase().startsWith(v.toLowerCase()));
  const whole = literal === "";
  return {
    write: !reads,
    data: whole || DATA_READ_ACTIONS.some((d) => patternsOverlap(pattern, d)),
  };
}

/** An action a statement allows, as reports name it, and its classes. */
export interface Grant extends ActionClasses {
  readonly action: string;
}

/**
 * What an Allow statement grants, pattern by pattern. NotAction allows every action but the
 * listed ones: it counts as one grant that writes and reads data. Deny statements grant nothing
 * here; what they subtract is not proven, so they are ignored (conservatively).
 */
export function grantsOf(statement: Statement): Grant[] {
  if (!isAllow(statement)) return [];
  if (statement.actions.not)
    return [{ action: `NotAction ${show(statement.actions.values)}`, write: true, data: true }];
  return statement.actions.values.map((action) => ({ action, ...classify(action) }));
}

const allWildcards = (p: string) => p.length > 0 && [...p].every((c) => c === "*" || c === "?");

/** Whether an Allow statement reaches every resource: `"*"`, NotResource, or no Resource at all. */
export function onEveryResource(statement: Statement): boolean {
  const r = statement.resources;
  return r === undefined || r.not || r.values.some(allWildcards);
}

/** Whether every resource an Allow statement names lies within one of `allowed` (ARN patterns). */
export function resourcesWithin(statement: Statement, allowed: readonly string[]): boolean {
  const r = statement.resources;
  if (r === undefined || r.not || r.values.length === 0) return false;
  return r.values.every((v) => allowed.some((a) => patternWithin(v, a)));
}

/**
 * Services whose whole-service wildcard is administrator access: they create, assume or govern
 * identities and accounts (IAM, STS, Organizations, Account, IAM Identity Center and its
 * identity store).
 */
export const ESCALATION_SERVICES: readonly string[] = [
  "iam",
  "sts",
  "organizations",
  "account",
  "sso",
  "sso-directory",
  "identitystore",
];

/**
 * Whether an action pattern grants a whole privilege-escalation service or every service: `*`,
 * `*:*`, `iam:*`, `IAM:*`, `i?m:*`, `s*:*` (which covers sts).
 */
export function isAdminPattern(pattern: string): boolean {
  const colon = pattern.indexOf(":");
  if (colon < 0) return allWildcards(pattern) && pattern.includes("*");
  const service = pattern.slice(0, colon);
  const name = pattern.slice(colon + 1);
  if (!(name.length > 0 && [...name].every((c) => c === "*"))) return false;
  return ESCALATION_SERVICES.some((s) => actionMatches(service, s));
}

/** The Allow statements of a document that grant administrator access on every resource. */
export function adminStatements(doc: PolicyDocument): { statement: Statement; what: string }[] {
  return doc.statements
    .filter((s) => isAllow(s) && onEveryResource(s))
    .flatMap((s) => {
      if (s.actions.not) return [{ statement: s, what: `NotAction ${show(s.actions.values)}` }];
      const admin = s.actions.values.filter(isAdminPattern);
      return admin.length > 0
        ? [{ statement: s, what: admin.map((a) => `"${a}"`).join(", ") }]
        : [];
    });
}

/** How a statement is named in messages: `statement Admin`, or `statement` without a Sid. */
export function statementName(s: Statement): string {
  return s.sid === undefined ? "statement" : `statement ${s.sid}`;
}

/** Values of a condition key under an operator (the key compared case-insensitively). */
export function conditionValues(s: Statement, operator: string, key: string): readonly string[] {
  return s.conditions[operator]?.[key.toLowerCase()] ?? [];
}

/** Whether a statement carries a key under any operator. */
export function hasConditionKey(s: Statement, key: string): boolean {
  return Object.values(s.conditions).some((keys) => key.toLowerCase() in keys);
}

/*
 * Policies attached to a role, in every way the provider attaches them:
 * https://www.pulumi.com/registry/packages/aws/api-docs/iam/role/ (inlinePolicies,
 * managedPolicyArns), .../iam/rolepolicy/, .../iam/rolepolicyattachment/,
 * .../iam/policyattachment/ (roles), .../iam/rolepolicyattachmentsexclusive/ (policyArns).
 */

/** A document attached to a role, and the resource that attaches it (where reports point). */
export interface AttachedDocument {
  /** e.g. "inline policy read-only of role developer", "policy access-developer". */
  readonly label: string;
  readonly urn: string;
  readonly document: unknown;
}

/** A policy attached by ARN whose content this stack does not declare. */
export interface UnverifiedPolicy {
  readonly arn: string;
  readonly urn: string;
  readonly reason: string;
}

export interface RolePolicies {
  readonly documents: readonly AttachedDocument[];
  readonly unverified: readonly UnverifiedPolicy[];
  /** Attachments that cannot be read during preview, each with where and why. */
  readonly unknown: readonly {
    readonly urn: string;
    readonly what: string;
    readonly reason: string;
  }[];
}

/**
 * AWS-managed policies whose content is pinned here, from the AWS managed policy reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html). Any other
 * AWS-managed policy is unverifiable: AWS changes them (ViewOnlyAccess is at v45 and includes
 * reads such as aiops:GetInvestigation; ReadOnlyAccess includes s3:Get*), so none is assumed
 * to read only metadata.
 */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, object>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonElastiCacheReadOnlyAccess.html
  AmazonElastiCacheReadOnlyAccess: {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["elasticache:Describe*"], Resource: "*" }],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonMemoryDBReadOnlyAccess.html
  AmazonMemoryDBReadOnlyAccess: {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["memorydb:Describe*", "memorydb:List*"], Resource: "*" },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html
  "service-role/AmazonECSTaskExecutionRolePolicy": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ],
        Resource: "*",
      },
    ],
  },
};

/** The name (with path) of an AWS-managed policy ARN, `arn:<partition>:iam::aws:policy/<name>`. */
export function awsManagedName(arn: string): string | undefined {
  return /^arn:[a-z-]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}

/** The declared IAM Policy an ARN names: by its `arn:...:policy<path><name>` form. */
function declaredPolicy(
  arn: string,
  resources: readonly PolicyResource[],
): PolicyResource | undefined {
  return resources.find((r) => {
    if (r.type !== IAM_POLICY) return false;
    const name = read(r.props, "name");
    const path = read(r.props, "path");
    if (!name.known || typeof name.value !== "string") return false;
    const p = path.known && typeof path.value === "string" ? path.value : "/";
    return arn.endsWith(`:policy${p}${name.value}`) && /^arn:[a-z-]+:iam::\d{12}:/.test(arn);
  });
}

/** Whether a property of `r` names `role`: by dependency, the role's name, or its logical name. */
function names(r: PolicyResource, key: string, role: PolicyResource): boolean {
  if ((r.propertyDependencies?.[key] ?? []).some((d) => d.urn === role.urn)) return true;
  const value = read(r.props, key);
  if (!value.known) return false;
  const roleName = read(role.props, "name");
  const candidates = [role.name, ...(roleName.known ? [roleName.value] : [])];
  return strings(value.value).some((v) => candidates.includes(v));
}

/** Every policy document attached to a role, and the attachments that cannot be verified. */
export function rolePolicies(
  role: PolicyResource,
  resources: readonly PolicyResource[],
): RolePolicies {
  const documents: AttachedDocument[] = [];
  const unverified: UnverifiedPolicy[] = [];
  const unknown: { urn: string; what: string; reason: string }[] = [];

  const inline = read(role.props, "inlinePolicies");
  if (!inline.known) unknown.push({ urn: role.urn, what: "inlinePolicies", reason: inline.reason });
  else
    for (const p of Array.isArray(inline.value) ? [...inline.value] : []) {
      const entry = whenKnown(() => (isRecord(p) ? { name: p["name"], policy: p["policy"] } : {}));
      if (isUnknown(entry)) {
        unknown.push({ urn: role.urn, what: "inlinePolicies", reason: entry.reason });
        continue;
      }
      documents.push({
        label: `inline policy ${show(entry.name)} of ${role.name}`,
        urn: role.urn,
        document: entry.policy,
      });
    }

  /** Follows an ARN to its document; `dependency` is the Policy the ARN property depends on. */
  const byArn = (arn: Read, urn: string, dependency?: PolicyResource) => {
    const declared =
      (arn.known && typeof arn.value === "string"
        ? declaredPolicy(arn.value, resources)
        : undefined) ?? dependency;
    if (declared) {
      documents.push({
        label: `policy ${declared.name}`,
        urn,
        document: whenKnown(() => declared.props["policy"] as unknown),
      });
      return;
    }
    if (!arn.known) {
      unknown.push({ urn, what: "policyArn", reason: arn.reason });
      return;
    }
    const text = show(arn.value);
    const managed = awsManagedName(text);
    const pinned = managed === undefined ? undefined : AWS_MANAGED_POLICIES[managed];
    if (pinned) documents.push({ label: `AWS-managed policy ${managed}`, urn, document: pinned });
    else
      unverified.push({
        arn: text,
        urn,
        reason:
          managed === undefined
            ? "no policy the stack declares has that ARN"
            : "its content is not pinned in the pack",
      });
  };

  const policyDependency = (r: PolicyResource, key: string) =>
    (r.propertyDependencies?.[key] ?? []).find((d) => d.type === IAM_POLICY);

  const managedArns = read(role.props, "managedPolicyArns");
  if (!managedArns.known) {
    unknown.push({ urn: role.urn, what: "managedPolicyArns", reason: managedArns.reason });
    for (const d of role.propertyDependencies?.["managedPolicyArns"] ?? [])
      if (d.type === IAM_POLICY) byArn(managedArns, role.urn, d);
  } else for (const arn of strings(managedArns.value)) byArn({ known: true, value: arn }, role.urn);

  for (const r of resources) {
    if (r.type === ROLE_POLICY && names(r, "role", role)) {
      documents.push({
        label: `policy ${r.name}`,
        urn: r.urn,
        document: whenKnown(() => r.props["policy"] as unknown),
      });
    }
    if (r.type === ROLE_POLICY_ATTACHMENT && names(r, "role", role))
      byArn(read(r.props, "policyArn"), r.urn, policyDependency(r, "policyArn"));
    if (r.type === POLICY_ATTACHMENT && names(r, "roles", role))
      byArn(read(r.props, "policyArn"), r.urn, policyDependency(r, "policyArn"));
    if (r.type === ROLE_POLICY_ATTACHMENTS_EXCLUSIVE && names(r, "roleName", role)) {
      // Detaches every policy it does not list; the ones it lists stay attached.
      const arns = read(r.props, "policyArns");
      if (!arns.known) unknown.push({ urn: r.urn, what: "policyArns", reason: arns.reason });
      else for (const arn of strings(arns.value)) byArn({ known: true, value: arn }, r.urn);
    }
  }
  return { documents, unverified, unknown };
}

type Read = ReturnType<typeof read>;

/** The documents a resource itself declares: a policy's `policy`, a role's inline policies. */
export function declaredDocuments(
  type: string,
  props: unknown,
): { label: string; document: unknown }[] {
  const own = (key: string): unknown => (isRecord(props) ? props[key] : undefined);
  if (POLICY_DOCUMENT_TYPES.includes(type)) return [{ label: "policy", document: own("policy") }];
  if (type !== IAM_ROLE) return [];
  const inline = own("inlinePolicies");
  return (Array.isArray(inline) ? [...inline] : [])
    .filter(isRecord)
    .map((p) => ({ label: `inline policy ${show(p["name"])}`, document: p["policy"] }));
}

/** The account an AWS principal names (`123456789012` or an IAM ARN), or undefined. */
export function principalAccount(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

/** Whether an AWS principal is an account's root (`123456789012` or `arn:...:iam::<acct>:root`). */
export function isAccountRoot(principal: string): boolean {
  return /^\d{12}$/.test(principal) || /^arn:[a-z-]+:iam::\d{12}:root$/.test(principal);
}

/**
 * Condition keys that restrict a statement to principals or callers of known accounts:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * (aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn)
 * and https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account.
 */
export const ACCOUNT_CONDITION_KEYS: readonly string[] = [
  "aws:PrincipalAccount",
  "aws:PrincipalArn",
  "aws:PrincipalOrgID",
  "aws:SourceAccount",
  "aws:SourceArn",
  "kms:CallerAccount",
];

export function restrictsAccount(s: Statement): boolean {
  return ACCOUNT_CONDITION_KEYS.some((k) => hasConditionKey(s, k));
}
