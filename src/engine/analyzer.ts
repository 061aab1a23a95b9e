import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { analyzerProperties } from "./engine-marshal";
import type { RegisteredResource } from "./mock-run";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical" | "unspecified";

/** A diagnostic as the pack reported it. */
export interface Diagnostic {
  readonly policy: string;
  readonly packName: string;
  readonly packVersion: string;
  readonly description: string;
  readonly message: string;
  readonly enforcement: EnforcementLevel;
  readonly severity: Severity;
  /** Empty for stack-level diagnostics that name no resource. */
  readonly urn: string;
}

/** A policy as the pack describes itself through GetAnalyzerInfo. */
export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly enforcement: EnforcementLevel;
  readonly severity: Severity;
  readonly remediationSteps: string;
  readonly kind: "resource" | "stack" | "unknown";
  readonly configSchema?: {
    readonly properties: Readonly<Record<string, unknown>>;
    readonly required: readonly string[];
  };
}

export interface PackInfo {
  readonly name: string;
  readonly version: string;
  readonly policies: readonly PolicyInfo[];
  /** Config the pack ships with (PolicyPack's initialConfig), per policy. */
  readonly initialConfig: Readonly<Record<string, PolicyConfigEntry>>;
}

export interface PolicyConfigEntry {
  readonly enforcementLevel?: EnforcementLevel;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** What the pack needs to start as the Pulumi CLI starts it. */
export interface PackLaunch {
  /** The pack directory (holds PulumiPolicy.yaml and package.json). */
  readonly packDir: string;
  readonly stack: string;
  readonly project: string;
  /** The stack's config in the engine's form (PULUMI_CONFIG). */
  readonly engineConfig: Readonly<Record<string, string>>;
  /** How long to wait for the pack to print its port. Defaults to 60 s. */
  readonly startTimeoutMs?: number;
}

export class AnalyzerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnalyzerError";
  }
}

const LEVELS: Readonly<Record<number, EnforcementLevel>> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES: Readonly<Record<EnforcementLevel, analyzerPb.EnforcementLevel>> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
};
const SEVERITIES: Readonly<Record<number, Severity>> = {
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "unspecified",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

export function isEnforcementLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && value in LEVEL_CODES;
}

/** The directory of the installed @pulumi/pulumi, whose `cmd/run-policy-pack` serves packs. */
export function pulumiSdkDir(): string {
  return path.dirname(require.resolve("@pulumi/pulumi/package.json"));
}

/**
 * Checks that a pack directory is servable: PulumiPolicy.yaml present and its package.json
 * `main` built. The pack ships compiled (ts-node type-checking would make every start ~5x
 * slower), so a missing main means `npm run build` has not run.
 */
export function checkPackDir(packDir: string): string {
  if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
    throw new AnalyzerError(`${packDir}: not a policy pack (no PulumiPolicy.yaml)`);
  }
  let main = "index.js";
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as {
      main?: unknown;
    };
    if (typeof pkg.main === "string") main = pkg.main;
  } catch (err) {
    throw new AnalyzerError(`${packDir}/package.json: ${(err as Error).message}`);
  }
  const resolved = path.resolve(packDir, main);
  if (!fs.existsSync(resolved)) {
    throw new AnalyzerError(
      `the policy pack is not built: ${path.relative(process.cwd(), resolved) || resolved} is missing. Run \`npm run build\` (npm ci runs it through \`prepare\`).`,
    );
  }
  return resolved;
}

/** Every pack process started and not yet exited, so an interrupted gate can stop them. */
const live = new Set<PackProcess>();

/** Stops every pack process still running (on exit, or when the gate is interrupted). */
export function stopAllPacks(): void {
  for (const pack of live) pack.kill();
}

// A pack outliving the gate would keep serving on its port; a normal exit takes them along.
process.once("exit", stopAllPacks);

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const signalHandlers = new Map<NodeJS.Signals, () => void>();

/**
 * While a pack process runs, an interrupted gate (Ctrl-C, `kill`, a cancelled CI job) stops the
 * packs first, then dies of the same signal as it would have without a handler, so the caller
 * sees the signal: with no listener left, Node takes the signal's default action
 * (https://nodejs.org/api/process.html#signal-events). With no pack process the gate keeps no
 * handler, so the default action ends it at once, even while a policy judged in the gate's own
 * process is stuck in a loop.
 */
function track(pack: PackProcess): void {
  live.add(pack);
  if (signalHandlers.size > 0) return;
  for (const signal of SIGNALS) {
    const handler = () => {
      stopAllPacks();
      removeSignalHandlers();
      process.kill(process.pid, signal);
    };
    signalHandlers.set(signal, handler);
    process.on(signal, handler);
  }
}

function untrack(pack: PackProcess): void {
  live.delete(pack);
  if (live.size === 0) removeSignalHandlers();
}

function removeSignalHandlers(): void {
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
  signalHandlers.clear();
}

/**
 * A policy pack process started exactly as the Pulumi CLI starts one:
 * `node <sdk>/cmd/run-policy-pack <engine address> <pack dir>`, cwd the pack, stack, project
 * and config in the environment. The engine address is a dummy: the pack never calls back
 * during analysis.
 */
export class PackProcess {
  /** Resolves with the port the pack serves on, once it prints it. */
  readonly port: Promise<number>;
  private readonly child: ChildProcess;
  private stderr = "";
  private exited = false;

  constructor(launch: PackLaunch) {
    checkPackDir(launch.packDir);
    const entry = path.join(pulumiSdkDir(), "cmd", "run-policy-pack");
    this.child = spawn(process.execPath, [entry, "127.0.0.1:1", launch.packDir], {
      cwd: launch.packDir,
      env: {
        ...process.env,
        PULUMI_NODEJS_STACK: launch.stack,
        PULUMI_NODEJS_PROJECT: launch.project,
        PULUMI_CONFIG: JSON.stringify(launch.engineConfig),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(this);
    this.child.once("exit", () => untrack(this));
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      if (this.stderr.length < 64_000) this.stderr += chunk;
    });
    const timeoutMs = launch.startTimeoutMs ?? 60_000;
    this.port = new Promise<number>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => {
        reject(new AnalyzerError(`the policy pack did not start within ${timeoutMs} ms`));
        this.kill();
      }, timeoutMs);
      this.child.stdout?.setEncoding("utf8");
      this.child.stdout?.on("data", (chunk: string) => {
        stdout += chunk;
        const line = /^\s*(\d+)\s*$/m.exec(stdout);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      this.child.on("error", (err) => {
        clearTimeout(timer);
        reject(new AnalyzerError(`could not start the policy pack: ${err.message}`));
      });
      this.child.on("exit", (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        reject(
          new AnalyzerError(
            `the policy pack exited (${signal ?? `code ${code}`}) before serving:\n${this.stderr.trim()}`,
          ),
        );
      });
    });
    // A rejection nobody awaits yet (the caller may still be running the program) is not a crash.
    this.port.catch(() => undefined);
  }

  /** The pack's process id (the bench reads its peak memory). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** What the pack wrote to stderr so far (its own logs and errors). */
  get errorOutput(): string {
    return this.stderr;
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

/** The Struct form of a property map: JSON values, with the engine's signatures kept. */
function toStruct(value: Readonly<Record<string, unknown>>): Struct {
  return Struct.fromJavaScript(value as Record<string, JavaScriptValue>);
}

/**
 * How long one call to the pack may take before the gate gives up on it. The engine waits as long
 * as a pack takes; the gate must not hang on a policy that never returns, so a call past this
 * fails with the call named (gRPC deadline: https://grpc.io/docs/guides/deadlines/).
 */
export const ANALYZER_CALL_TIMEOUT_MS = 120_000;

function unary<Req, Res>(
  call: (
    req: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    cb: (err: grpc.ServiceError | null, res: Res) => void,
  ) => grpc.ClientUnaryCall,
  req: Req,
  what: string,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    call(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err?.code === grpc.status.DEADLINE_EXCEEDED) {
        reject(
          new AnalyzerError(
            `the policy pack did not answer ${what} within ${timeoutMs / 1000} s (a policy that never returns?)`,
          ),
        );
      } else if (err) reject(new AnalyzerError(`${what}: ${err.details || err.message}`));
      else resolve(res);
    });
  });
}

/** The diagnostics of an Analyze or AnalyzeStack response. */
export function diagnosticsOf(response: analyzerPb.AnalyzeResponse): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    packName: d.getPolicypackname(),
    packVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcement: LEVELS[d.getEnforcementlevel()] ?? "advisory",
    severity: SEVERITIES[d.getSeverity()] ?? "unspecified",
    urn: d.getUrn(),
  }));
}

/** A provider as the engine describes it to the pack alongside each resource. */
export interface ProviderResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/**
 * The engine's view of each resource's provider: the explicit provider the program registered,
 * or the default provider the engine would create for the package from the stack's config.
 * Components have none.
 */
export function providerResolver(
  resources: readonly RegisteredResource[],
  stack: string,
  project: string,
  engineConfig: Readonly<Record<string, string>>,
): (resource: RegisteredResource) => ProviderResource | undefined {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const defaults = new Map<string, ProviderResource>();
  const explicit = new Map<string, ProviderResource>();
  return (resource) => {
    if (!resource.custom || resource.type.startsWith("pulumi:providers:")) return undefined;
    if (resource.provider) {
      // A provider reference is `<urn>::<id>`; the id never contains "::".
      const urn = resource.provider.slice(0, resource.provider.lastIndexOf("::"));
      const known = explicit.get(urn);
      if (known) return known;
      const registered = byUrn.get(urn);
      if (registered) {
        const provider = {
          type: registered.type,
          name: registered.name,
          urn: registered.urn,
          properties: registered.wireInputs,
        };
        explicit.set(urn, provider);
        return provider;
      }
    }
    const pkg = resource.type.split(":")[0] ?? "";
    let provider = defaults.get(pkg);
    if (!provider) {
      const properties: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(engineConfig)) {
        if (key.startsWith(`${pkg}:`)) properties[key.slice(pkg.length + 1)] = value;
      }
      const type = `pulumi:providers:${pkg}`;
      provider = {
        type,
        name: "default",
        urn: `urn:pulumi:${stack}::${project}::${type}::default`,
        properties,
      };
      defaults.set(pkg, provider);
    }
    return provider;
  };
}

/** What Analyze and AnalyzeStack both say of a resource: type, name, URN, inputs, options, provider. */
function describeResource<M extends analyzerPb.AnalyzeRequest | analyzerPb.AnalyzerResource>(
  message: M,
  resource: RegisteredResource,
  provider: ProviderResource | undefined,
): M {
  message.setType(resource.type);
  message.setName(resource.name);
  message.setUrn(resource.urn);
  message.setProperties(propertiesOf(resource));
  message.setOptions(resourceOptions(resource));
  if (provider) message.setProvider(providerMessage(provider));
  return message;
}

function resourceOptions(resource: RegisteredResource): analyzerPb.AnalyzerResourceOptions {
  const options = new analyzerPb.AnalyzerResourceOptions();
  options.setProtect(resource.protect);
  options.setIgnorechangesList([...resource.ignoreChanges]);
  options.setDeletebeforereplace(resource.deleteBeforeReplace);
  options.setDeletebeforereplacedefined(resource.deleteBeforeReplaceDefined);
  options.setAdditionalsecretoutputsList([...resource.additionalSecretOutputs]);
  options.setParent(resource.parent);
  return options;
}

// Messages are immutable once built: one per provider and one Struct per resource, shared by
// every Analyze request and the AnalyzeStack request (saves ~half the encoding work).
const providerMessages = new WeakMap<ProviderResource, analyzerPb.AnalyzerProviderResource>();
const propertyStructs = new WeakMap<RegisteredResource, Struct>();

function propertiesOf(resource: RegisteredResource): Struct {
  let struct = propertyStructs.get(resource);
  if (!struct) {
    struct = toStruct(analyzerProperties(resource.wireInputs));
    propertyStructs.set(resource, struct);
  }
  return struct;
}

function providerMessage(provider: ProviderResource): analyzerPb.AnalyzerProviderResource {
  const cached = providerMessages.get(provider);
  if (cached) return cached;
  const message = new analyzerPb.AnalyzerProviderResource();
  providerMessages.set(provider, message);
  message.setType(provider.type);
  message.setName(provider.name);
  message.setUrn(provider.urn);
  message.setProperties(toStruct(analyzerProperties(provider.properties)));
  return message;
}

/**
 * Config for every policy the pack serves, reconciled as the engine does: the schema's
 * defaults, then the pack's initial config, then the user's policy config file (`all` sets
 * every policy's level). Unknown policy names in the file are errors, as in the CLI.
 */
export function reconcilePolicyConfig(
  info: PackInfo,
  userConfig: Readonly<Record<string, unknown>>,
  source: string,
): Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }> {
  const known = new Set(info.policies.map((p) => p.name));
  for (const key of Object.keys(userConfig)) {
    if (key !== "all" && !known.has(key)) {
      throw new AnalyzerError(
        `${source}: ${key}: expected the name of a policy in ${info.name} (${[...known].join(", ")}), found an unknown name`,
      );
    }
  }
  const all = userConfig["all"];
  const allLevel = isEnforcementLevel(all)
    ? all
    : all &&
        typeof all === "object" &&
        isEnforcementLevel((all as Record<string, unknown>)["enforcementLevel"])
      ? ((all as Record<string, unknown>)["enforcementLevel"] as EnforcementLevel)
      : undefined;
  const out: Record<
    string,
    { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }
  > = {};
  for (const policy of info.policies) {
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if (schema && typeof schema === "object" && "default" in schema) {
        properties[key] = (schema as { default: unknown }).default;
      }
    }
    let level = policy.enforcement;
    const initial = info.initialConfig[policy.name];
    if (initial) {
      Object.assign(properties, initial.properties);
      if (initial.enforcementLevel) level = initial.enforcementLevel;
    }
    if (allLevel) level = allLevel;
    const given = userConfig[policy.name];
    if (isEnforcementLevel(given)) {
      level = given;
    } else if (given && typeof given === "object" && !Array.isArray(given)) {
      const { enforcementLevel, ...rest } = given as Record<string, unknown>;
      if (enforcementLevel !== undefined) {
        if (!isEnforcementLevel(enforcementLevel)) {
          throw new AnalyzerError(
            `${source}: ${policy.name}.enforcementLevel: expected advisory, mandatory, remediate or disabled, found ${JSON.stringify(enforcementLevel)}`,
          );
        }
        level = enforcementLevel;
      }
      Object.assign(properties, rest);
    } else if (given !== undefined) {
      throw new AnalyzerError(
        `${source}: ${policy.name}: expected an enforcement level or a map of settings, found ${JSON.stringify(given)}`,
      );
    }
    for (const key of policy.configSchema?.required ?? []) {
      if (properties[key] === undefined) {
        throw new AnalyzerError(
          `${source}: ${policy.name}.${key}: expected a value (the policy requires it), found nothing`,
        );
      }
    }
    out[policy.name] = { enforcementLevel: level, properties };
  }
  return out;
}

export interface AnalyzeOptions {
  /**
   * The policy config (the CLI's `--policy-config` file), parsed; or a function of what the pack
   * says it serves. Defaults to none: every policy at its own level and defaults.
   */
  readonly policyConfig?:
    Readonly<Record<string, unknown>> | ((pack: PackInfo) => Readonly<Record<string, unknown>>);
  /** Where policyConfig came from, for messages. */
  readonly policyConfigSource?: string;
  /** Analyze calls in flight at once. Defaults to 64. */
  readonly concurrency?: number;
  /** How long one call to the pack may take. Defaults to ANALYZER_CALL_TIMEOUT_MS. */
  readonly callTimeoutMs?: number;
}

export interface AnalysisResult {
  readonly pack: PackInfo;
  readonly diagnostics: readonly Diagnostic[];
}

/** Every policy's config as Configure sends it: the level and the settings. */
export type ReconciledConfig = Readonly<
  Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }>
>;

/**
 * One pack's Analyzer service, driven as the engine drives it during a preview. Served by a pack
 * process over gRPC (AnalyzerConnection), or by the same server code in the gate's own process
 * (./pack-in-process); both read and write the same messages.
 */
export interface AnalyzerSession {
  info(): Promise<PackInfo>;
  configure(config: ReconciledConfig): Promise<void>;
  configureStack(
    stack: string,
    project: string,
    config: Readonly<Record<string, string>>,
  ): Promise<void>;
  analyze(
    resource: RegisteredResource,
    provider: ProviderResource | undefined,
  ): Promise<Diagnostic[]>;
  analyzeStack(
    resources: readonly RegisteredResource[],
    providerOf: (r: RegisteredResource) => ProviderResource | undefined,
  ): Promise<Diagnostic[]>;
  close(): void;
}

/** What the pack says of itself (GetAnalyzerInfo), read into PackInfo. */
export function packInfoOf(info: analyzerPb.AnalyzerInfo): PackInfo {
  const initialConfig: Record<string, PolicyConfigEntry> = {};
  info.getInitialconfigMap().forEach((entry, key) => {
    const props = entry.getProperties()?.toJavaScript() ?? {};
    const level = entry.getEnforcementlevel();
    // The pack leaves the level unset (ADVISORY on the wire) when it ships only properties.
    const explicit = level !== analyzerPb.EnforcementLevel.ADVISORY || !entry.hasProperties();
    const enforcementLevel = explicit ? LEVELS[level] : undefined;
    initialConfig[key] = { ...(enforcementLevel ? { enforcementLevel } : {}), properties: props };
  });
  return {
    name: info.getName(),
    version: info.getVersion(),
    initialConfig,
    policies: info.getPoliciesList().map((p) => {
      const schema = p.getConfigschema();
      const type = p.getPolicyType();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcement: LEVELS[p.getEnforcementlevel()] ?? "advisory",
        severity: SEVERITIES[p.getSeverity()] ?? "unspecified",
        remediationSteps: p.getRemediationSteps(),
        kind:
          type === analyzerPb.PolicyType.POLICY_TYPE_RESOURCE
            ? "resource"
            : type === analyzerPb.PolicyType.POLICY_TYPE_STACK
              ? "stack"
              : "unknown",
        ...(schema
          ? {
              configSchema: {
                properties: schema.getProperties()?.toJavaScript() ?? {},
                required: schema.getRequiredList(),
              },
            }
          : {}),
      };
    }),
  };
}

/** The Configure request: each policy's level and settings. */
export function configureRequest(config: ReconciledConfig): analyzerPb.ConfigureAnalyzerRequest {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [name, entry] of Object.entries(config)) {
    const policyConfig = new analyzerPb.PolicyConfig();
    policyConfig.setEnforcementlevel(LEVEL_CODES[entry.enforcementLevel]);
    policyConfig.setProperties(toStruct(entry.properties));
    map.set(name, policyConfig);
  }
  return req;
}

/** The ConfigureStack request of a preview (a dry run) of the stack. */
export function configureStackRequest(
  stack: string,
  project: string,
  config: Readonly<Record<string, string>>,
): analyzerPb.AnalyzerStackConfigureRequest {
  const req = new analyzerPb.AnalyzerStackConfigureRequest();
  req.setStack(stack);
  req.setProject(project);
  req.setDryRun(true);
  const map = req.getConfigMap();
  for (const [key, value] of Object.entries(config)) map.set(key, value);
  return req;
}

/** A connection to a serving pack over the Analyzer service, with the SDK's own stubs. */
export class AnalyzerConnection implements AnalyzerSession {
  private readonly client: analyzerGrpc.AnalyzerClient;

  constructor(
    port: number,
    private readonly timeoutMs: number = ANALYZER_CALL_TIMEOUT_MS,
  ) {
    this.client = new analyzerGrpc.AnalyzerClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      {
        "grpc.max_send_message_length": 400 * 1024 * 1024,
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
      },
    );
  }

  async info(): Promise<PackInfo> {
    const info = await unary(
      this.client.getAnalyzerInfo.bind(this.client),
      new Empty(),
      "GetAnalyzerInfo",
      this.timeoutMs,
    );
    return packInfoOf(info);
  }

  async configure(config: ReconciledConfig): Promise<void> {
    await unary(
      this.client.configure.bind(this.client),
      configureRequest(config),
      "Configure",
      this.timeoutMs,
    );
  }

  async configureStack(stack: string, project: string, config: Readonly<Record<string, string>>) {
    await unary(
      this.client.configureStack.bind(this.client),
      configureStackRequest(stack, project, config),
      "ConfigureStack",
      this.timeoutMs,
    );
  }

  analyze(resource: RegisteredResource, provider: ProviderResource | undefined) {
    const req = describeResource(new analyzerPb.AnalyzeRequest(), resource, provider);
    return unary(
      this.client.analyze.bind(this.client),
      req,
      `Analyze ${resource.urn}`,
      this.timeoutMs,
    ).then(diagnosticsOf);
  }

  analyzeStack(
    resources: readonly RegisteredResource[],
    providerOf: (r: RegisteredResource) => ProviderResource | undefined,
  ) {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(
      resources.map((r) => {
        const message = describeResource(new analyzerPb.AnalyzerResource(), r, providerOf(r));
        message.setParent(r.parent);
        message.setDependenciesList([...r.dependencies]);
        const deps = message.getPropertydependenciesMap();
        for (const [key, urns] of Object.entries(stackPropertyDependencies(r))) {
          const entry = new analyzerPb.AnalyzerPropertyDependencies();
          entry.setUrnsList([...urns]);
          deps.set(key, entry);
        }
        return message;
      }),
    );
    return unary(
      this.client.analyzeStack.bind(this.client),
      req,
      "AnalyzeStack",
      this.timeoutMs,
    ).then(diagnosticsOf);
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A resource's property dependencies as AnalyzeStack carries them. The engine leaves out
 * properties with no dependencies:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go#L361-L366
 */
export function stackPropertyDependencies(
  resource: RegisteredResource,
): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const [key, urns] of Object.entries(resource.propertyDependencies)) {
    if (urns.length > 0) out[key] = urns;
  }
  return out;
}

/**
 * Runs a stack's resources through a pack as the engine does during a preview: GetAnalyzerInfo,
 * Configure (reconciled policy config), ConfigureStack, Analyze for every resource (a bounded
 * number in flight), then AnalyzeStack with all of them.
 */
export async function analyzeWith(
  session: AnalyzerSession,
  launch: Pick<PackLaunch, "stack" | "project" | "engineConfig">,
  resources: readonly RegisteredResource[],
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const pack = await session.info();
  await session.configure(
    reconcilePolicyConfig(
      pack,
      typeof options.policyConfig === "function"
        ? options.policyConfig(pack)
        : (options.policyConfig ?? {}),
      options.policyConfigSource ?? "policy config",
    ),
  );
  await session.configureStack(launch.stack, launch.project, launch.engineConfig);
  const providerOf = providerResolver(resources, launch.stack, launch.project, launch.engineConfig);
  const perResource: Diagnostic[][] = new Array<Diagnostic[]>(resources.length);
  let next = 0;
  const worker = async () => {
    while (next < resources.length) {
      const index = next++;
      const resource = resources[index]!;
      perResource[index] = await session.analyze(resource, providerOf(resource));
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? 64, resources.length));
  await Promise.all(Array.from({ length: width }, worker));
  const stackDiagnostics = await session.analyzeStack(resources, providerOf);
  return { pack, diagnostics: [...perResource.flat(), ...stackDiagnostics] };
}

/** analyzeWith over a gRPC connection to a pack serving on `port`. */
export async function analyzeStack(
  port: number,
  launch: Pick<PackLaunch, "stack" | "project" | "engineConfig">,
  resources: readonly RegisteredResource[],
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const connection = new AnalyzerConnection(port, options.callTimeoutMs);
  try {
    return await analyzeWith(connection, launch, resources, options);
  } finally {
    connection.close();
  }
}

/** Starts a pack, analyzes, and stops it: the whole engine-side exchange for one stack. */
export async function analyzeWithNewPack(
  launch: PackLaunch,
  resources: readonly RegisteredResource[],
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const pack = new PackProcess(launch);
  try {
    return await analyzeStack(await pack.port, launch, resources, options);
  } finally {
    pack.kill();
  }
}
