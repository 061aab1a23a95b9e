import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { format } from "node:util";
import * as vm from "node:vm";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import {
  ANALYZER_CALL_TIMEOUT_MS,
  AnalyzerError,
  checkPackDir,
  configureRequest,
  configureStackRequest,
  diagnosticsOf,
  packInfoOf,
  stackPropertyDependencies,
  type AnalyzerSession,
  type Diagnostic,
  type PackInfo,
  type ProviderResource,
  type ReconciledConfig,
} from "./analyzer";
import { analyzerProperties } from "./engine-marshal";
import type { RegisteredResource } from "./mock-run";
import { displayPath } from "./paths";
import type { Watchdog } from "./watchdog";

// The policy pack judged in the gate's own process, by the @pulumi/policy server's own code
// (v1.21.0, the version installed).
//
// A pack is a module whose `new PolicyPack(...)` reads the version from the package.json of the
// working directory and calls the server's `serve`, which checks the policies, creates a gRPC
// server, registers the Analyzer handlers on it and listens:
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/policy.ts#L93-L110
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L95-L160
// The handlers keep the pack's state in the server module: the config Configure sets (each
// policy's level and settings) and the stack tags ConfigureStack sets:
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L76-L81
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L162-L176
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L220-L241
// So for each stack the gate evaluates a fresh instance of that module, in which the gRPC library
// is replaced by a stand-in whose Server keeps the handlers `serve` registers and listens on
// nothing, and points the pack's `new PolicyPack` at that instance's `serve`. The handlers then
// run unchanged: how they deserialise properties and wrap them in the unknown-checking proxy,
// resolve each policy's level, build ResourceValidationArgs and StackValidationArgs (options,
// provider, parent, dependencies), call the policies and report violations and values unknown
// during preview (Analyze, AnalyzeStack):
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L246-L375
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L395-L558
//   https://github.com/pulumi/pulumi-policy/blob/f6758175f8771548136e1c62bcd0a685e9440ab6/sdk/nodejs/policy/server.ts#L577-L638
// Their requests are the engine's messages read through the getters the handlers call, over the
// inputs marshalled as the engine's Analyze marshals them (analyzerProperties), never encoded;
// the handlers build their responses as message objects, which the gate reads as it reads them
// from the wire.

type Callback<Res> = (err: unknown, response?: Res) => void;
type Handler<Req, Res> = (call: { request: Req }, callback: Callback<Res>) => unknown;

/** A property map as the handlers read it: `getProperties().toJavaScript()`. */
interface PropertiesView {
  toJavaScript(): Record<string, unknown>;
}

/** The AnalyzerResourceOptions getters the handlers read (server.ts getResourceOptions). */
type OptionsView = Pick<
  analyzerPb.AnalyzerResourceOptions,
  | "getProtect"
  | "getIgnorechangesList"
  | "getAliasesList"
  | "getAdditionalsecretoutputsList"
  | "getDeletebeforereplacedefined"
  | "getDeletebeforereplace"
  | "getParent"
> & { getCustomtimeouts(): undefined };

interface ProviderView {
  getType(): string;
  getName(): string;
  getUrn(): string;
  getProperties(): PropertiesView;
}

/** An AnalyzeRequest as the Analyze handler reads it. */
interface AnalyzeRequestView extends ProviderView {
  getOptions(): OptionsView;
  getProvider(): ProviderView | undefined;
}

/** An AnalyzerResource as the AnalyzeStack handler reads it. */
interface StackResourceView extends AnalyzeRequestView {
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    entries(): IterableIterator<[string, { getUrnsList(): string[] }]>;
  };
}

/** The Analyzer handlers a pack's server registers (server.ts `addService`). */
interface ServerHandlers {
  readonly getAnalyzerInfo: Handler<Empty, analyzerPb.AnalyzerInfo>;
  readonly configure: Handler<analyzerPb.ConfigureAnalyzerRequest, unknown>;
  readonly configureStack: Handler<analyzerPb.AnalyzerStackConfigureRequest, unknown>;
  readonly analyze: Handler<AnalyzeRequestView, analyzerPb.AnalyzeResponse>;
  readonly analyzeStack: Handler<
    { getResourcesList(): StackResourceView[] },
    analyzerPb.AnalyzeResponse
  >;
}

/** The pack's server called `process.exit` (an invalid pack): what it printed first. */
class PackExit extends Error {
  constructor(readonly code: number | undefined) {
    super(`the policy pack exited (code ${code ?? 0}) before serving`);
  }
}

type ServerModule = { serve: (...args: unknown[]) => void };
type ServerFactory = (
  exports: object,
  require: (id: string) => unknown,
  module: { exports: object },
  filename: string,
  dirname: string,
  console: Console,
) => void;

const compiled = new Map<string, ServerFactory>();

/**
 * A fresh instance of the server module at `file`: its own pack config and stack tags, the gRPC
 * library replaced by a stand-in that keeps the handlers, `process.exit` turned into an error and
 * what the server prints before it collected for that error.
 */
function freshServer(file: string): {
  module: ServerModule;
  handlers: () => ServerHandlers | undefined;
  printed: string[];
} {
  let factory = compiled.get(file);
  if (!factory) {
    factory = vm.compileFunction(
      fs.readFileSync(file, "utf8"),
      ["exports", "require", "module", "__filename", "__dirname", "console"],
      { filename: file },
    ) as unknown as ServerFactory;
    compiled.set(file, factory);
  }
  let handlers: ServerHandlers | undefined;
  const printed: string[] = [];
  const grpc = {
    Server: class {
      addService(_service: unknown, implementation: ServerHandlers) {
        handlers = implementation;
      }
      bindAsync() {}
    },
    ServerCredentials: { createInsecure: () => undefined },
  };
  const exit = (code?: number) => {
    throw new PackExit(code);
  };
  const processStandIn = new Proxy(process, {
    get: (target, key) => (key === "exit" ? exit : Reflect.get(target, key, target)),
  });
  const consoleStandIn = Object.assign(Object.create(console) as Console, {
    error: (...args: unknown[]) => printed.push(format(...args)),
  });
  const base = createRequire(file);
  const requireStandIn = (id: string) =>
    id === "@grpc/grpc-js" ? grpc : id === "process" ? processStandIn : (base(id) as unknown);
  const module = { exports: {} as ServerModule };
  factory(module.exports, requireStandIn, module, file, path.dirname(file), consoleStandIn);
  return { module: module.exports, handlers: () => handlers, printed };
}

const LIBRARIES = `${path.sep}node_modules${path.sep}`;

function isLibrary(file: string): boolean {
  return file.includes(LIBRARIES);
}

/**
 * Loads `main` with every module of the project (anything not under node_modules) evaluated
 * afresh, as in a process of its own, then puts the module cache back as it was: no state of
 * one stack's pack (suppression matches, caches) reaches another's, nor the gate's own copies.
 * Libraries (the SDKs) are shared, as loaded once in this process.
 */
function requireIsolated(req: NodeJS.Require, main: string): void {
  const cache = req.cache;
  const kept = new Map<string, NodeJS.Module | undefined>();
  for (const id of Object.keys(cache)) {
    if (isLibrary(id)) continue;
    kept.set(id, cache[id]);
    delete cache[id];
  }
  try {
    req(main);
  } finally {
    for (const id of Object.keys(cache)) if (!isLibrary(id)) delete cache[id];
    for (const [id, module] of kept) cache[id] = module;
  }
}

/** Runs `fn` in `dir` (the pack's directory, where the CLI starts the pack). */
function inDirectory<T>(dir: string, fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

/**
 * Loads the pack in `packDir` for one stack and returns its server's handlers. The pack reads
 * its stack (`pulumi.getStack()`) and config from the SDK's runtime, which the program run just
 * before left set to this stack's, as the CLI's environment does for a pack process.
 */
export function servePackInProcess(packDir: string): ServerHandlers {
  const main = checkPackDir(packDir);
  // The CLI runs a TypeScript pack through ts-node, registered in the pack's own process.
  if (/\.[cm]?ts$/.test(main)) {
    throw new AnalyzerError(
      `${displayPath(main)}: the policy pack is TypeScript; judging in process needs it compiled to JavaScript (or use --judge pack-process)`,
    );
  }
  const req = createRequire(main);
  let serverFile: string;
  try {
    serverFile = req.resolve("@pulumi/policy/server");
  } catch (err) {
    throw new AnalyzerError(
      `${packDir}: the policy pack's @pulumi/policy cannot be found: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  const fresh = freshServer(serverFile);
  // The instance the pack's `new PolicyPack` calls (policy.ts requires "./server").
  const shared = req(serverFile) as ServerModule;
  const serve = shared.serve;
  shared.serve = fresh.module.serve;
  try {
    inDirectory(packDir, () => requireIsolated(req, main));
  } catch (err) {
    if (err instanceof PackExit) {
      throw new AnalyzerError(`${err.message}:\n${fresh.printed.join("\n")}`);
    }
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    throw new AnalyzerError(`the policy pack failed to load:\n${message}`);
  } finally {
    shared.serve = serve;
  }
  const handlers = fresh.handlers();
  if (!handlers) {
    throw new AnalyzerError(`${displayPath(main)}: the policy pack defines no PolicyPack`);
  }
  return handlers;
}

/**
 * A value as it comes out of a Struct (what a pack process reads from the wire): objects list
 * their keys sorted, as google-protobuf's Map iterates them (Struct.toJavaScript goes through
 * Map.forEach; a request's map fields through Map.entries), lists keep their order:
 * https://github.com/protocolbuffers/protobuf-javascript/blob/5aee743b83ddf64aa40b0bdd44769111a0761118/map.js#L295-L304
 * https://github.com/protocolbuffers/protobuf-javascript/blob/5aee743b83ddf64aa40b0bdd44769111a0761118/map.js#L348-L355
 */
function structValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structValue);
  if (!value || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) out[key] = structValue(object[key]);
  return out;
}

function propertiesView(properties: Record<string, unknown>): PropertiesView {
  return { toJavaScript: () => properties };
}

function optionsView(resource: RegisteredResource): OptionsView {
  return {
    getProtect: () => resource.protect,
    getIgnorechangesList: () => [...resource.ignoreChanges],
    getAliasesList: () => [],
    getCustomtimeouts: () => undefined,
    getAdditionalsecretoutputsList: () => [...resource.additionalSecretOutputs],
    getDeletebeforereplacedefined: () => resource.deleteBeforeReplaceDefined,
    getDeletebeforereplace: () => resource.deleteBeforeReplace,
    getParent: () => resource.parent,
  };
}

/**
 * The pack's server, in this process, as an AnalyzerSession: the same requests as over gRPC
 * (Configure and ConfigureStack as the very messages; Analyze and AnalyzeStack read through
 * their getters), the same time limit per call.
 */
export class InProcessAnalyzer implements AnalyzerSession {
  private readonly properties = new WeakMap<object, Record<string, unknown>>();
  private readonly providers = new WeakMap<ProviderResource, ProviderView>();
  /** Calls not yet answered: a failed session ends them all, so no timer outlives it. */
  private readonly pending = new Set<(error: AnalyzerError) => void>();
  private failure: AnalyzerError | undefined;
  private onFailure: ((error: AnalyzerError) => void) | undefined;
  /**
   * Rejects with the session's first failed call. A policy stuck in a loop is ended by the
   * watchdog terminating the execution it runs in, which also drops whatever promise reactions
   * were queued then (V8 empties the microtask queue on termination), so callers race this
   * promise, which the call's own timer rejects, against the work that may never settle.
   */
  readonly failed: Promise<never> = new Promise<never>((_resolve, reject) => {
    this.onFailure = reject;
  });

  constructor(
    private readonly handlers: ServerHandlers,
    private readonly timeoutMs: number = ANALYZER_CALL_TIMEOUT_MS,
    private readonly watchdog?: Watchdog,
  ) {
    this.failed.catch(() => undefined);
  }

  private fail(error: AnalyzerError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure?.(error);
    for (const end of [...this.pending]) end(error);
  }

  private call<Req, Res>(handler: Handler<Req, Res>, request: Req, what: string): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure);
    let resolve!: (response: Res) => void;
    let reject!: (error: AnalyzerError) => void;
    const call = new Promise<Res>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // Its caller may be gone (dropped with a terminated execution): the failure then reaches the
    // judge through `failed`, not as an unhandled rejection.
    call.catch(() => undefined);
    let settled = false;
    const settle = (error: AnalyzerError | undefined, response?: Res) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.pending.delete(settle);
      this.watchdog?.end();
      if (error) {
        reject(error);
        this.fail(error);
      } else resolve(response as Res);
    };
    // Errors read as over gRPC, where the server's error message is the status's details.
    const callback = (err: unknown, response?: Res) =>
      settle(
        err
          ? new AnalyzerError(`${what}: ${err instanceof Error ? err.message : String(err)}`)
          : undefined,
        response,
      );
    // The same limit as a call to a pack process; the watchdog ends a policy stuck in a loop.
    const timer = setTimeout(() => {
      settle(
        new AnalyzerError(
          `the policy pack did not answer ${what} within ${this.timeoutMs / 1000} s (a policy that never returns?)`,
        ),
      );
    }, this.timeoutMs);
    this.pending.add(settle);
    this.watchdog?.begin(this.timeoutMs);
    try {
      const result = handler.call(undefined, { request }, callback);
      if (result instanceof Promise) result.catch(callback);
    } catch (err) {
      callback(err);
    }
    return call;
  }

  async info(): Promise<PackInfo> {
    return packInfoOf(
      await this.call(this.handlers.getAnalyzerInfo, new Empty(), "GetAnalyzerInfo"),
    );
  }

  async configure(config: ReconciledConfig): Promise<void> {
    await this.call(this.handlers.configure, configureRequest(config), "Configure");
  }

  async configureStack(
    stack: string,
    project: string,
    config: Readonly<Record<string, string>>,
  ): Promise<void> {
    await this.call(
      this.handlers.configureStack,
      configureStackRequest(stack, project, config),
      "ConfigureStack",
    );
  }

  /** A resource's or provider's inputs as the pack reads them from the wire, built once. */
  private propertiesOf(key: object, inputs: Readonly<Record<string, unknown>>) {
    let properties = this.properties.get(key);
    if (!properties) {
      properties = structValue(analyzerProperties(inputs)) as Record<string, unknown>;
      this.properties.set(key, properties);
    }
    return properties;
  }

  private providerView(provider: ProviderResource | undefined): ProviderView | undefined {
    if (!provider) return undefined;
    let view = this.providers.get(provider);
    if (!view) {
      const properties = this.propertiesOf(provider, provider.properties);
      view = {
        getType: () => provider.type,
        getName: () => provider.name,
        getUrn: () => provider.urn,
        getProperties: () => propertiesView(properties),
      };
      this.providers.set(provider, view);
    }
    return view;
  }

  private requestView(
    resource: RegisteredResource,
    provider: ProviderResource | undefined,
  ): AnalyzeRequestView {
    const properties = this.propertiesOf(resource, resource.wireInputs);
    const providerView = this.providerView(provider);
    return {
      getType: () => resource.type,
      getName: () => resource.name,
      getUrn: () => resource.urn,
      getProperties: () => propertiesView(properties),
      getOptions: () => optionsView(resource),
      getProvider: () => providerView,
    };
  }

  async analyze(
    resource: RegisteredResource,
    provider: ProviderResource | undefined,
  ): Promise<Diagnostic[]> {
    const response = await this.call(
      this.handlers.analyze,
      this.requestView(resource, provider),
      `Analyze ${resource.urn}`,
    );
    return diagnosticsOf(response);
  }

  async analyzeStack(
    resources: readonly RegisteredResource[],
    providerOf: (r: RegisteredResource) => ProviderResource | undefined,
  ): Promise<Diagnostic[]> {
    const views = resources.map((r): StackResourceView => {
      // In key order, as Map.entries lists them (structValue).
      const dependencies = Object.entries(stackPropertyDependencies(r)).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return {
        ...this.requestView(r, providerOf(r)),
        getParent: () => r.parent,
        getDependenciesList: () => [...r.dependencies],
        getPropertydependenciesMap: () => ({
          entries: () => {
            const entries = dependencies.map(
              ([key, urns]): [string, { getUrnsList(): string[] }] => [
                key,
                { getUrnsList: () => [...urns] },
              ],
            );
            return entries[Symbol.iterator]();
          },
        }),
      };
    });
    const response = await this.call(
      this.handlers.analyzeStack,
      { getResourcesList: () => views },
      "AnalyzeStack",
    );
    return diagnosticsOf(response);
  }

  close(): void {}
}
