import * as path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { environments, type StackName } from "./environments";
import {
  ConfigError,
  ConfigErrors,
  configErrorsFromIssues,
  describeFound,
  dottedKeyPath,
} from "./errors";
import { readInputFile, UnreadableFile } from "./files";
import { AWS_REGIONS, isAwsRegion } from "./catalogue";
import { stringify } from "yaml";
import {
  configSchema,
  crossKeyIssues,
  defaultsFor,
  regionIssues,
  serviceDefaultsFor,
  webDeploymentDefault,
  WORKER_DEPLOYMENT_DEFAULT,
  type EnvstackConfig,
} from "./schema";

export const NAMESPACE = "envstack";

/**
 * The config namespaces a stack file may use: ours, and those of the providers the program
 * declares resources with (and the engine's own).
 */
export const KNOWN_NAMESPACES = [NAMESPACE, "aws", "github", "pulumi"] as const;

/** A validated stack: the config with defaults applied, the stack, its region and its source. */
export interface EnvironmentSpec extends EnvstackConfig {
  readonly stack: StackName;
  readonly region: string;
  /** Where the config came from, for messages (a stack file path or `Pulumi.<stack>.yaml`). */
  readonly file: string;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const CONFIG_KEYS = Object.keys(configSchema.shape);

/** The conventional stack file name for a stack. */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** The stack a `Pulumi.<stack>.yaml` file name denotes, or undefined. */
export function stackFromFileName(file: string): string | undefined {
  return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
}

function keyPath(pathParts: readonly PropertyKey[]): string {
  return `${NAMESPACE}:${dottedKeyPath(pathParts)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Defaults under what the operator wrote; lists and scalars replace, maps merge. */
function withDefaults(defaults: unknown, given: unknown): unknown {
  if (given === undefined) return defaults;
  if (!isPlainObject(defaults) || !isPlainObject(given)) return given;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given))
    merged[key] = withDefaults(defaults[key], value);
  return merged;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  return (
    candidates.find((c) => c.toLowerCase() === lower) ??
    candidates.find(
      (c) => c.toLowerCase().startsWith(lower.slice(0, 4)) && Math.abs(c.length - word.length) <= 3,
    )
  );
}

/** The phrase after "expected" for a zod issue that carries no message of ours. */
function expectedPhrase(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const kind =
        issue.expected === "object"
          ? "a map"
          : issue.expected === "array"
            ? "a list"
            : `a ${issue.expected}`;
      return issue.input === undefined ? `${kind} (the key is required)` : kind;
    }
    case "too_small":
      return issue.origin === "array"
        ? `at least ${issue.minimum} items`
        : `at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `at most ${issue.maximum} items`
        : `at most ${issue.maximum}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message ?? "a valid value";
  }
}

function toConfigErrors(file: string, input: unknown, error: z.ZodError): readonly ConfigError[] {
  return configErrorsFromIssues(file, input, error.issues, {
    keyPath,
    knownKeys: (at) => (at.length === 0 ? CONFIG_KEYS : knownKeysAt(at)),
    expectedKey: (key, known) => {
      const hint = closest(key, known);
      return `a known key${hint ? ` (did you mean ${hint}?)` : ""}: one of ${known.join(", ")}`;
    },
  }).errors;
}

function knownKeysAt(pathParts: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const part of pathParts) {
    // A map of names (envstack:services): every entry has the value's keys.
    const values = (schema as unknown as { valueType?: z.ZodType }).valueType;
    const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
    const next = values ?? shape?.[String(part)];
    if (!next) return [];
    schema = (next as unknown as { unwrap?: () => z.ZodType }).unwrap?.() ?? next;
  }
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Validates a stack's raw config values (full keys such as `envstack:network` and `aws:region`,
 * values already parsed) and returns its spec. Throws ConfigErrors naming every problem.
 */
export function parseSpec(
  stackName: string,
  values: Readonly<Record<string, unknown>>,
  file: string,
): EnvironmentSpec {
  if (!environments().has(stackName)) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        "stack",
        `one of ${environments().names.join(", ")}`,
        describeFound(stackName),
      ),
    ]);
  }
  const stack = stackName;
  const errors: ConfigError[] = [];
  const region = values["aws:region"];
  const regionKnown = typeof region === "string" && isAwsRegion(region);
  if (typeof region !== "string" || !REGION.test(region)) {
    errors.push(
      new ConfigError(file, "aws:region", "an AWS region such as eu-west-1", describeFound(region)),
    );
  } else if (!regionKnown) {
    errors.push(
      new ConfigError(
        file,
        "aws:region",
        `a region of the commercial AWS partition: one of ${AWS_REGIONS.join(", ")}`,
        describeFound(region),
      ),
    );
  }
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(`${NAMESPACE}:`)) given[key.slice(NAMESPACE.length + 1)] = value;
    const colon = key.indexOf(":");
    const namespace = colon < 0 ? key : key.slice(0, colon);
    if ((KNOWN_NAMESPACES as readonly string[]).includes(namespace)) continue;
    // A misspelt namespace would otherwise drop the whole block silently and apply defaults.
    const hint = closest(namespace, KNOWN_NAMESPACES);
    errors.push(
      new ConfigError(
        file,
        key,
        `a known namespace${hint ? ` (did you mean ${hint}${colon < 0 ? "" : key.slice(colon)}?)` : ""}: one of ${KNOWN_NAMESPACES.map((n) => `${n}:`).join(", ")}`,
        `unknown namespace with ${describeFound(value)}`,
      ),
    );
  }
  const retired = given["service"] !== undefined;
  if (retired) {
    errors.push(retiredServiceKey(file, given["service"]));
    delete given["service"];
  }
  const input = withDefaults(defaultsFor(stack), given) as Record<string, unknown>;
  if (isPlainObject(input["services"])) {
    // A service's deployment is taken whole when given (its keys depend on its strategy), else
    // the web or worker default.
    const defaults = { ...serviceDefaultsFor(stack), deployment: undefined };
    input["services"] = Object.fromEntries(
      Object.entries(input["services"]).map(([name, s]) => {
        const merged = withDefaults(defaults, s);
        if (!isPlainObject(merged) || merged["deployment"] !== undefined) return [name, merged];
        const deployment =
          merged["port"] === undefined ? WORKER_DEPLOYMENT_DEFAULT : webDeploymentDefault(stack);
        return [name, { ...merged, deployment }];
      }),
    );
  }
  const parsed = configSchema.safeParse(input, { error: (issue) => expectedPhrase(issue) });
  if (!parsed.success) {
    errors.push(
      ...toConfigErrors(file, input, parsed.error).filter(
        // The retired key's error already says what to write instead.
        (e) =>
          !(retired && e.keyPath === `${NAMESPACE}:services` && input["services"] === undefined),
      ),
    );
  } else {
    const issues = [
      ...crossKeyIssues(stack, parsed.data),
      ...(regionKnown ? regionIssues(region, parsed.data) : []),
    ];
    for (const issue of issues) {
      errors.push(
        new ConfigError(file, keyPath(issue.path), issue.expected, describeFound(issue.found)),
      );
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return { ...(parsed.data as EnvstackConfig), stack, region: region as string, file };
}

/**
 * The one-service key `envstack:service` is refused, with the shape that replaces it written from
 * the operator's own values: the service becomes the entry `app` of `envstack:services` (its
 * container keeps the name `app`), behind the load balancer as the default service, and the
 * certificate moves to `envstack:loadBalancer`.
 */
function retiredServiceKey(file: string, old: unknown): ConfigError {
  const service: Record<string, unknown> = isPlainObject(old) ? { ...old } : {};
  const certificateArn = service["certificateArn"] ?? "<ACM certificate ARN>";
  const containerPort = service["containerPort"] ?? 8080;
  const healthCheckPath = service["healthCheckPath"] ?? "/health";
  delete service["certificateArn"];
  delete service["containerPort"];
  delete service["healthCheckPath"];
  // Its rollout keys (live, canaryPercent) are retired too: the new service takes the default.
  delete service["deployment"];
  const flow = (value: unknown) =>
    stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trim();
  const services = {
    app: { ...service, port: { containerPort, healthCheckPath }, routing: { default: true } },
  };
  const shape = `${NAMESPACE}:loadBalancer: ${flow({ certificateArn })} and ${NAMESPACE}:services: ${flow(services)}`;
  return new ConfigError(
    file,
    `${NAMESPACE}:service`,
    `envstack:services, a map of service names to services (envstack:service held one service and is retired); write instead: ${shape}`,
    `the retired key with ${describeFound(old)}`,
  );
}

/**
 * Stack files parsed before, by file and text: one gate run reads each stack file several times
 * (the program of every stack, the baselines of several policies, the report's locations), and
 * the text decides the result. Callers get a copy they may change.
 */
const parsedConfigs = new Map<string, Record<string, unknown>>();
const PARSED_CONFIGS_KEPT = 32;

/** Parses the text of a `Pulumi.<stack>.yaml` file into its `config:` map. */
export function readStackConfigText(text: string, file: string): Record<string, unknown> {
  const key = `${file}\0${text}`;
  const known = parsedConfigs.get(key);
  if (known !== undefined) return structuredClone(known);
  const config = parseStackConfigText(text, file);
  if (parsedConfigs.size >= PARSED_CONFIGS_KEPT) {
    parsedConfigs.delete(parsedConfigs.keys().next().value!);
  }
  parsedConfigs.set(key, structuredClone(config));
  return config;
}

function parseStackConfigText(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigErrors([
      new ConfigError(
        file,
        "(document)",
        "valid YAML",
        `${first.code}: ${first.message.split("\n")[0]}`,
      ),
    ]);
  }
  const root: unknown = doc.toJS();
  const config = isPlainObject(root) ? root["config"] : undefined;
  if (!isPlainObject(config)) {
    throw new ConfigErrors([
      new ConfigError(file, "config", "a map of config keys", describeFound(config)),
    ]);
  }
  return config;
}

/**
 * Loads a stack's spec from a stack file. The stack defaults to the one the file name denotes
 * (`Pulumi.stage.yaml` is `stage`).
 */
export function loadSpecFromFile(file: string, stack?: string): EnvironmentSpec {
  const name = stack ?? stackFromFileName(file);
  if (name === undefined) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        "stack",
        "a file named Pulumi.<stack>.yaml or an explicit stack",
        describeFound(path.basename(file)),
      ),
    ]);
  }
  return parseSpec(name, readStackConfigFile(file), file);
}

/**
 * Loads a stack's spec from the engine's config (what `pulumi.runtime.allConfig()` returns:
 * every value a string, maps and lists as JSON).
 */
export function loadSpecFromEngineConfig(
  stack: string,
  allConfig: Readonly<Record<string, string>>,
): EnvironmentSpec {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(allConfig)) {
    values[key] = parseEngineValue(raw);
  }
  return parseSpec(stack, values, stackFileName(stack));
}

function parseEngineValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * A stack file's config values in the engine's form (what the CLI hands a program through
 * PULUMI_CONFIG): maps and lists as JSON, scalars as strings.
 */
export function toEngineConfig(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** Reads a stack file's raw config values (no validation beyond YAML). */
export function readStackConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readInputFile(file);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new ConfigErrors([new ConfigError(file, "(file)", "a readable stack file", err.found)]);
  }
  return readStackConfigText(text, file);
}
