import * as fs from "node:fs";
import * as path from "node:path";
import {
  type EnforcementLevel,
  type PolicyComplianceFramework,
  type PolicyResource,
  type ResourceValidationArgs,
  type Severity,
  type StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { isUnknownValueError } from "./unknowns";
import { readPath, type Role, type StackName } from "../src/model";

/** How a policy is enforced in one stack. */
export type Level = "advisory" | "mandatory" | "disabled";

/** A compliance framework reference, in the shape the SDK reports. */
export type Framework = PolicyComplianceFramework;

export const scorecard = (reference: string, specification: string): Framework => ({
  name: "OpenSSF Scorecard",
  version: "5",
  reference,
  specification,
});

export const fsbp = (reference: string, specification: string): Framework => ({
  name: "AWS Foundational Security Best Practices",
  version: "1.0.0",
  reference,
  specification,
});

/**
 * A pack config property: a JSON schema that always carries its default. A map setting (a stack
 * file's `config:` map) defaults to the empty map, which stands for "not given".
 */
export type Setting = PolicyConfigJSONSchema & {
  readonly default:
    | string
    | number
    | boolean
    | readonly string[]
    | readonly number[]
    | Readonly<Record<string, never>>;
};

/** A policy's settings after the pack config is applied over the defaults. */
export interface Settings {
  number(key: string): number;
  text(key: string): string;
  list(key: string): readonly string[];
  numbers(key: string): readonly number[];
  /** A map setting's value; the empty map when the config gives none (or not a map). */
  record(key: string): Readonly<Record<string, unknown>>;
}

export interface PolicyContext {
  readonly stack: StackName;
  readonly settings: Settings;
}

/**
 * Reports a violation. `level` lowers a single report below the policy's level (an advisory note
 * from a mandatory policy, e.g. "cannot check during preview"); it never raises it. `attribute`
 * names which of the policy's `attributes` the violation is about.
 */
export type Report = (
  message: string,
  options?: { urn?: string; level?: "advisory"; attribute?: string },
) => void;

interface PolicyBase {
  /** kebab-case, unique in the pack. */
  readonly name: string;
  /** Starts with "Checks whether". */
  readonly description: string;
  readonly severity: Severity;
  readonly framework?: Framework;
  /** The public documentation of the outside behaviour the policy rests on (a URL). */
  readonly documentation?: string;
  readonly remediationSteps: string;
  /** The level in each role of environment (src/model/environments.ts ROLES). */
  readonly levels: Readonly<Record<Role, Level>>;
  /** Whether a reviewed suppression may lower a violation to advisory. */
  readonly suppressible: boolean;
  /**
   * The attributes the policy reports one by one (parity keys); a suppression of the policy names
   * one of them and waives only that one. Defaults to none.
   */
  readonly attributes?: readonly string[];
  /** Thresholds and switches, with per-stack defaults. */
  readonly settings?: (stack: StackName) => Readonly<Record<string, Setting>>;
}

export interface ResourcePolicyDefinition extends PolicyBase {
  readonly validateResource: (
    args: ResourceValidationArgs,
    report: Report,
    context: PolicyContext,
  ) => void;
}

export interface StackPolicyDefinition extends PolicyBase {
  readonly validateStack: (
    args: StackValidationArgs,
    report: Report,
    context: PolicyContext,
  ) => void;
}

export type PolicyDefinition = ResourcePolicyDefinition | StackPolicyDefinition;

export function isStackPolicy(p: PolicyDefinition): p is StackPolicyDefinition {
  return "validateStack" in p;
}

/** The SDK's enforcement level for a level of ours. */
export function toEnforcement(level: Level): EnforcementLevel {
  return level;
}

/** A property read: its value, or why it cannot be known yet (preview). */
export type Read = { readonly known: true; readonly value: unknown } | Unknown;
export interface Unknown {
  readonly known: false;
  readonly reason: string;
}

/** Reads a dotted path; unknown values (the SDK's preview proxy) become `known: false`. */
export function read(root: unknown, dotted: string): Read {
  try {
    return { known: true, value: readPath(root, dotted) };
  } catch (err) {
    if (isUnknownValueError(err)) return { known: false, reason: err.message };
    throw err;
  }
}

/** Runs `fn`, turning an unknown-value read into a returned Unknown. */
export function whenKnown<T>(fn: () => T): T | Unknown {
  try {
    return fn();
  } catch (err) {
    if (isUnknownValueError(err)) return { known: false, reason: err.message };
    throw err;
  }
}

export function isUnknown(value: unknown): value is Unknown {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { known?: unknown }).known === false &&
    typeof (value as { reason?: unknown }).reason === "string"
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A readable form of a value for messages: strings bare, others as JSON, absent as "nothing". */
export function show(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The JSON a string property holds (IAM documents, container definitions), or undefined. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The directory holding PulumiPolicy.yaml, whether running from source (policies/), compiled
 * beside the sources (dist/policies/, whose pack is policies/) or from the self-contained pack
 * (dist/pack/policies/, whose pack is dist/pack/).
 */
let knownPackDir: string | undefined;

export function packDir(): string {
  if (knownPackDir !== undefined) return knownPackDir;
  const candidates = [
    __dirname,
    path.resolve(__dirname, ".."),
    path.resolve(__dirname, "..", "..", "policies"),
  ];
  // Policies ask for every resource: look once (the pack does not move while it runs).
  knownPackDir = candidates.find((d) => fs.existsSync(path.join(d, "PulumiPolicy.yaml")));
  return knownPackDir ?? process.cwd();
}

/** A path from the pack config, resolved against the pack directory when relative. */
export function packPath(file: string): string {
  return path.isAbsolute(file) ? file : path.resolve(packDir(), file);
}

/** Resources of one type in a stack, in declaration order. */
export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}

/** Name and type a URN denotes: `urn:pulumi:<stack>::<project>::<type chain>::<name>`. */
export function parseUrn(urn: string): { stack: string; type: string; name: string } | undefined {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0]!.startsWith("urn:pulumi:")) return undefined;
  const chain = parts[2]!.split("$");
  return {
    stack: parts[0]!.slice("urn:pulumi:".length),
    type: chain[chain.length - 1]!,
    name: parts.slice(3).join("::"),
  };
}

/**
 * Checks one property: reports `message` when `ok` rejects its value. An unknown value (computed
 * during the update) is either accepted, where any value would pass (an ID that will exist), or
 * noted as an advisory that the property cannot be checked during preview.
 */
export function expectProp(
  report: Report,
  props: unknown,
  path: string,
  ok: (value: unknown) => boolean,
  message: string,
  unknown: "passes" | "note" = "note",
): void {
  const r = read(props, path);
  if (!r.known) {
    if (unknown === "note")
      report(`Cannot check ${path} during preview: ${r.reason}.`, { level: "advisory" });
    return;
  }
  if (!ok(r.value)) report(message);
}

export const isTrue = (v: unknown): boolean => v === true || v === "true";
export const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== "";

/** Whether an RDS instance is a read replica; an unknown source (an ID to come) still is one. */
export function isReplica(props: unknown): boolean {
  const r = read(props, "replicateSourceDb");
  return !r.known || isSet(r.value);
}

/** A number from a number or numeric string; anything else is NaN (never throws). */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return Number.NaN;
}
