import * as pulumi from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { realisticMocks } from "./mocks";

/** How long a program may take to declare its resources and settle its exports, by default. */
export const PROGRAM_TIMEOUT_MS = 120_000;

/** A resource the program registered, with the options the engine (and the pack) sees. */
export interface RegisteredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string;
  /** The provider reference (`<provider urn>::<id>`), empty for the default provider. */
  readonly provider: string;
  readonly protect: boolean;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly deleteBeforeReplace: boolean;
  readonly ignoreChanges: readonly string[];
  readonly retainOnDelete: boolean;
  /** Whether the program set deleteBeforeReplace at all (the engine tells unset from false). */
  readonly deleteBeforeReplaceDefined: boolean;
  readonly additionalSecretOutputs: readonly string[];
  /** The inputs as plain values (secrets wrapped in their signature object, unknowns dropped). */
  readonly inputs: Readonly<Record<string, unknown>>;
  /**
   * The inputs exactly as they crossed the wire to the engine (JSON form of the request's Struct:
   * secrets, unknowns and resource references keep their signatures). The gate sends them to
   * the policy pack marshalled as the engine's Analyze does (`analyzerProperties`).
   */
  readonly wireInputs: Readonly<Record<string, unknown>>;
  /**
   * Where the program declared the resource, as the SDK sends it with the registration
   * (`RegisterResourceRequest.sourcePosition`: the first frame below the resource constructors,
   * a `file://` URI and 1-based line and column of the code that ran, compiled or not).
   */
  readonly sourcePosition?: SourcePosition;
}

export interface SourcePosition {
  readonly uri: string;
  readonly line: number;
  readonly column: number;
}

export interface MockRunOptions {
  readonly project: string;
  readonly stack: string;
  /** The stack's config in the engine's form: every value a string, maps and lists as JSON. */
  readonly config: Readonly<Record<string, string>>;
  /** Region for computed outputs (ARNs, endpoints, availability zones). */
  readonly region: string;
  /** Declares the program's resources; what it returns is the program's exports. */
  readonly program: () => unknown;
  /** Run as a preview (dry run). Defaults to true, as `pulumi preview` does. */
  readonly preview?: boolean;
  /**
   * How long the program may take before the run fails, naming what it still waits for.
   * Defaults to PROGRAM_TIMEOUT_MS.
   */
  readonly timeoutMs?: number;
  /** Ends the run at once with the signal's reason (an error the program raised elsewhere). */
  readonly signal?: AbortSignal;
}

export interface MockRunResult {
  readonly resources: readonly RegisteredResource[];
  /** The program's exports, settled; an output not known in a preview is `unknownValue`. */
  readonly outputs: unknown;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getSourceposition(): { getUri(): string; getLine(): number; getColumn(): number } | undefined;
}

type Callback = (err: unknown, response?: { getUrn(): string }) => void;

/**
 * Runs a program under the SDK's mocks with the given config and records every registration,
 * including the resource options the mocks' own callback does not show (protect, parent,
 * provider, dependencies). Runs are sequential: the SDK keeps one runtime per process.
 */
export async function runUnderMocks(options: MockRunOptions): Promise<MockRunResult> {
  pulumi.runtime.setAllConfig({ ...options.config });
  const mocks = realisticMocks(options.region);
  const resources: RegisteredResource[] = [];
  const pending: Promise<unknown>[] = [];
  const recorder: pulumi.runtime.Mocks = {
    newResource: (args) => mocks.newResource(args),
    call: (args) => mocks.call(args),
  };
  await pulumi.runtime.setMocks(recorder, options.project, options.stack, options.preview ?? true);
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const done = register(req, (err, response) => {
      if (!err && response) {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((value, key) => {
          propertyDependencies[key] = value.getUrnsList();
        });
        resources.push({
          urn: response.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent(),
          provider: req.getProvider(),
          protect: req.getProtect(),
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          ignoreChanges: req.getIgnorechangesList(),
          retainOnDelete: req.getRetainondelete(),
          deleteBeforeReplaceDefined: req.getDeletebeforereplacedefined(),
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          inputs: (pulumi.runtime.deserializeProperties(req.getObject() as never) ?? {}) as Record<
            string,
            unknown
          >,
          wireInputs: req.getObject()?.toJavaScript() ?? {},
          ...sourcePositionOf(req),
        });
      }
      callback(err, response);
    });
    pending.push(done);
    return done;
  };
  // Whatever the program still waits for, so a run that cannot finish says why.
  const waiting = new Set<string>();
  const run = async () => {
    const exported = options.program();
    const outputs = await settleExports(exported, "", waiting);
    waiting.add("resource registrations");
    // Internal to the SDK but exported at run time: drains every outstanding registration.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    await Promise.all(pending);
    return { resources, outputs };
  };
  // A promise that never settles keeps nothing alive: without this timer (not unref'd) a caller
  // awaiting the run would see Node exit 0 with no output once the event loop empties.
  const timeoutMs = options.timeoutMs ?? PROGRAM_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const what = [...waiting].sort().join(", ") || "the program";
      reject(
        new Error(`the program did not finish within ${timeoutMs / 1000} s: waiting for ${what}`),
      );
    }, timeoutMs);
  });
  const aborted = new Promise<never>((_resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  // An abort after the run settled has no one left to tell.
  aborted.catch(() => undefined);
  try {
    return await Promise.race([run(), deadline, aborted]);
  } finally {
    clearTimeout(timer);
  }
}

function sourcePositionOf(req: RegisterRequest): { sourcePosition?: SourcePosition } {
  const pos = req.getSourceposition();
  if (!pos || !pos.getUri() || pos.getLine() < 1) return {};
  return { sourcePosition: { uri: pos.getUri(), line: pos.getLine(), column: pos.getColumn() } };
}

/**
 * Settles a program's exports as the engine records stack outputs. An output that is not known
 * in a preview (a resource output the provider computes, an apply on one) is unknown: its apply
 * callbacks never run, so it is never awaited. The SDK's own serializeProperty decides the same
 * way, from the output's `isKnown`:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/runtime/rpc.ts#L478
 */
async function settleExports(value: unknown, at: string, waiting: Set<string>): Promise<unknown> {
  const name = at || "the exports";
  if (pulumi.Output.isInstance(value)) {
    waiting.add(`export ${name}`);
    const known = await (value as unknown as { isKnown: Promise<boolean> }).isKnown;
    const settled = known
      ? await new Promise<unknown>((resolve) => value.apply((v) => resolve(v)))
      : unknownValue;
    waiting.delete(`export ${name}`);
    return known ? settleExports(settled, at, waiting) : settled;
  }
  if (value instanceof Promise) {
    waiting.add(`export ${name}`);
    const settled: unknown = await value;
    waiting.delete(`export ${name}`);
    return settleExports(settled, at, waiting);
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map((v, i) => settleExports(v, `${at}[${i}]`, waiting)));
  }
  if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(
      Object.entries(value).map(
        async ([k, v]) => [k, await settleExports(v, at ? `${at}.${k}` : k, waiting)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
