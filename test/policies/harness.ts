import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RegisteredResource } from "../../src/engine/mock-run";
import type { StackName } from "../../src/model";
import { policiesFor } from "../../policies/catalog";
import { parseUrn } from "../../policies/support";
import { unknownCheckingProxy } from "../../policies/unknowns";

export const PROJECT = "envstack";
export const APP = SAMPLE.app;
export const FIXTURES = path.join(__dirname, "fixtures");

export function urnOf(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/** One resource as a fixture declares it. */
export interface Fixture {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly protect?: boolean;
  /** The provider's inputs as the engine sends them (JSON-encoded strings). */
  readonly provider?: Record<string, unknown>;
  readonly propertyDependencies?: Record<string, readonly string[]>;
}

export interface Violation {
  readonly message: string;
  readonly enforcementLevel: string;
  readonly urn?: string;
}

function options(protect: boolean): PolicyResourceOptions {
  return {
    protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
}

/** The stack's provider with the default tags the program sets, as the engine encodes them. */
export function awsProvider(stack: string, tags?: Record<string, string>): Record<string, unknown> {
  return {
    region: SAMPLE.region,
    defaultTags: JSON.stringify({
      tags: tags ?? { env: stack, app: APP, "managed-by": "pulumi" },
    }),
  };
}

function providerResource(stack: string, props: Record<string, unknown>): PolicyProviderResource {
  return {
    type: "pulumi:providers:aws",
    name: `${APP}-${stack}`,
    urn: urnOf(stack, "pulumi:providers:aws", `${APP}-${stack}`),
    props: unknownCheckingProxy(props),
  };
}

const never = (): never => {
  throw new Error("isType/asType are not used by envstack policies");
};

/** ResourceValidationArgs as the SDK's server builds them: props behind the unknown proxy. */
export function resourceArgs(
  stack: string,
  fixture: Fixture,
  config: Record<string, unknown> = {},
): ResourceValidationArgs {
  const args: ResourceValidationArgs = {
    type: fixture.type,
    name: fixture.name,
    urn: urnOf(stack, fixture.type, fixture.name),
    props: unknownCheckingProxy({ ...fixture.props }),
    opts: options(fixture.protect ?? false),
    stackTags: new Map(),
    isType: never,
    asType: never,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
  if (fixture.provider) args.provider = providerResource(stack, fixture.provider);
  return args;
}

/** StackValidationArgs as the SDK's server builds them, dependencies resolved to resources. */
export function stackArgs(
  stack: string,
  fixtures: readonly Fixture[],
  config: Record<string, unknown> = {},
): StackValidationArgs {
  const resources: PolicyResource[] = fixtures.map((f) => {
    const r: PolicyResource = {
      type: f.type,
      name: f.name,
      urn: urnOf(stack, f.type, f.name),
      props: unknownCheckingProxy({ ...f.props }),
      opts: options(f.protect ?? false),
      dependencies: [],
      propertyDependencies: {},
      isType: never,
      asType: never,
    };
    if (f.provider) r.provider = providerResource(stack, f.provider);
    return r;
  });
  fixtures.forEach((f, i) => {
    for (const [key, urns] of Object.entries(f.propertyDependencies ?? {})) {
      resources[i]!.propertyDependencies[key] = resources.filter((r) => urns.includes(r.urn));
    }
  });
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
}

/**
 * The level the SDK runs a policy at: the config's `enforcementLevel`, else the policy's own
 * (@pulumi/policy server.js, makeAnalyzeRpcFun); remediate is reported as mandatory.
 */
function configuredLevel(
  p: ResourceValidationPolicy | StackValidationPolicy,
  config: Record<string, unknown>,
): string {
  const level =
    (config["enforcementLevel"] as string | undefined) ?? p.enforcementLevel ?? "advisory";
  return level === "remediate" ? "mandatory" : level;
}

/** What getConfig returns: the policy's config without its enforcementLevel (server.js). */
function propertiesOf(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => k !== "enforcementLevel"));
}

function collector(out: Violation[], level: string): ReportViolation {
  // The pack reports in the SDK's object form (message, urn, enforcementLevel); the SDK fills in
  // the policy's level when the report carries none (makeReportViolationFun).
  return ((info: unknown) => {
    if (typeof info === "string") throw new Error(`string report: ${info}`);
    const v = info as Partial<Violation> & { message: string };
    const enforcementLevel = v.enforcementLevel ?? level;
    out.push(
      v.urn === undefined
        ? { message: v.message, enforcementLevel }
        : { message: v.message, enforcementLevel, urn: v.urn },
    );
  }) as ReportViolation;
}

export function policy(stack: StackName, name: string) {
  const p = policiesFor(stack).find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
}

function validationsOf(p: ResourceValidationPolicy) {
  const v = p.validateResource;
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Runs one resource policy of the stack's pack on a fixture. */
export async function checkResource(
  stack: StackName,
  name: string,
  fixture: Fixture,
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  const p = policy(stack, name) as ResourceValidationPolicy;
  const out: Violation[] = [];
  const level = configuredLevel(p, config);
  if (level === "disabled") return out;
  for (const v of validationsOf(p))
    await v(resourceArgs(stack, fixture, propertiesOf(config)), collector(out, level));
  // A resource policy's report names its own resource; keep only a URN that says more.
  const own = urnOf(stack, fixture.type, fixture.name);
  return out.map(({ urn, ...v }) => (urn === undefined || urn === own ? v : { ...v, urn }));
}

/** Runs one stack policy of the stack's pack on fixtures. */
export async function checkStack(
  stack: StackName,
  name: string,
  fixtures: readonly Fixture[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  const p = policy(stack, name) as StackValidationPolicy;
  const out: Violation[] = [];
  const level = configuredLevel(p, config);
  if (level === "disabled") return out;
  await p.validateStack(stackArgs(stack, fixtures, propertiesOf(config)), collector(out, level));
  return out;
}

/** Runs every policy of the stack's pack (resource policies per resource, then stack ones). */
export async function checkAll(
  stack: StackName,
  fixtures: readonly Fixture[],
  config: Record<string, Record<string, unknown>> = {},
): Promise<(Violation & { policy: string })[]> {
  const out: (Violation & { policy: string })[] = [];
  for (const p of policiesFor(stack)) {
    const given = config[p.name] ?? {};
    const level = configuredLevel(p, given);
    if (level === "disabled") continue;
    const properties = propertiesOf(given);
    const found: Violation[] = [];
    if ("validateStack" in p) {
      await p.validateStack(stackArgs(stack, fixtures, properties), collector(found, level));
    } else {
      const validations = validationsOf(p);
      for (const f of fixtures) {
        const mine: Violation[] = [];
        for (const v of validations)
          await v(resourceArgs(stack, f, properties), collector(mine, level));
        found.push(...mine.map((v) => ({ ...v, urn: urnOf(stack, f.type, f.name) })));
      }
    }
    out.push(...found.map((v) => ({ policy: p.name, ...v })));
  }
  return out;
}

/** Provider inputs as the engine hands them to a pack: objects JSON-encoded. */
function engineProviderProps(inputs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k,
      v !== null && typeof v === "object" ? JSON.stringify(v) : v,
    ]),
  );
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Secrets unwrapped, as the SDK's server deserializes inputs for a pack (keepSecrets false). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record) return plain(record["value"]);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * A program run's custom resources as fixtures, as the engine hands them to a pack; property
 * dependencies name the fixtures' own URNs, so a policy follows them as it follows the engine's.
 */
export function fixturesOf(resources: readonly RegisteredResource[]): Fixture[] {
  const providers = new Map(
    resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.urn, r]),
  );
  const fixtureUrn = new Map(
    resources.map((r) => [r.urn, urnOf(parseUrn(r.urn)?.stack ?? "", r.type, r.name)]),
  );
  return resources
    .filter((r) => r.custom)
    .map((r) => {
      const providerUrn = r.provider.split("::").slice(0, -1).join("::");
      const provider = providers.get(providerUrn);
      return {
        type: r.type,
        name: r.name,
        props: plain(r.inputs) as Record<string, unknown>,
        protect: r.protect,
        ...(provider ? { provider: engineProviderProps(provider.inputs) } : {}),
        propertyDependencies: Object.fromEntries(
          Object.entries(r.propertyDependencies).map(([k, urns]) => [
            k,
            urns.map((u) => fixtureUrn.get(u) ?? u),
          ]),
        ),
      };
    });
}

const built = new Map<StackName, Promise<readonly Fixture[]>>();

/**
 * The committed stack's resources as the pack sees them, run under mocks once per process. With
 * ENVSTACK_FIXTURES_CACHE set to a directory (vitest.mutation.config.mts), they are read from it,
 * written there by the first run: a mutant of the pack does not change the program's resources.
 */
export function stackFixtures(stack: StackName): Promise<readonly Fixture[]> {
  let fixtures = built.get(stack);
  if (!fixtures) {
    fixtures = buildFixtures(stack);
    built.set(stack, fixtures);
  }
  return fixtures;
}

async function buildFixtures(stack: StackName): Promise<readonly Fixture[]> {
  const dir = process.env["ENVSTACK_FIXTURES_CACHE"];
  const file = dir ? path.join(dir, `${stack}.json`) : undefined;
  if (file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as Fixture[];
  // Imported here: the program and its providers load only for the tests that run it.
  const { runStack } = await import("../program/harness.js");
  const fixtures = fixturesOf((await runStack(stack)).resources);
  if (file) {
    fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(fixtures));
    fs.renameSync(`${file}.${process.pid}`, file);
  }
  return fixtures;
}
