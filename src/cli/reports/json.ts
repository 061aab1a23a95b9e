import { Locator, rootCauseKey, type Located } from "../../engine/locations";
import { displayPath } from "../../engine/paths";
import type { GateResult } from "../../engine/gate";

/** Where to make the change: the file (as paths are shown), 1-based line and column. */
export interface JsonLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What to change: a config key, a resource (URN), or the stack as a whole (empty key). */
export interface JsonRootCause {
  readonly kind: "config" | "resource" | "stack";
  readonly key: string;
}

function located(found: Located): { location: JsonLocation; rootCause: JsonRootCause } {
  const { file, line, column } = found.location;
  return {
    location: { file: displayPath(file), line, column },
    rootCause: { kind: found.rootCause.kind, key: rootCauseKey(found.rootCause) },
  };
}

/** The JSON report: the contract's shape, plus the stack file, suppressions and a summary. */
export interface JsonReport {
  readonly stacks: {
    readonly stack: string;
    readonly file: string;
    readonly resources: { readonly type: string; readonly name: string; readonly urn: string }[];
    readonly violations: {
      readonly policy: string;
      readonly enforcement: string;
      readonly severity: string;
      readonly urn: string;
      readonly message: string;
      readonly remediation: string;
      readonly location: JsonLocation;
      readonly rootCause: JsonRootCause;
    }[];
    readonly suppressions: {
      readonly policy: string;
      readonly severity: string;
      readonly urn: string;
      readonly owner: string;
      readonly expires: string;
      readonly reason: string;
      readonly message: string;
      readonly waivedLevel: string;
      readonly location: JsonLocation;
      readonly rootCause: JsonRootCause;
    }[];
  }[];
  readonly summary: {
    readonly stacks: number;
    readonly resources: number;
    readonly mandatory: number;
    readonly advisory: number;
    readonly suppressed: number;
    readonly passed: boolean;
  };
}

export function jsonReport(result: GateResult): JsonReport {
  const stacks = result.stacks.map((s) => {
    const locator = new Locator(s);
    return {
      stack: s.stack,
      file: displayPath(s.file),
      resources: s.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn })),
      violations: s.violations.map((v) => ({
        policy: v.policy,
        enforcement: v.enforcement,
        severity: v.severity,
        urn: v.urn,
        message: v.message,
        remediation: v.remediation,
        ...located(locator.locate(v)),
      })),
      suppressions: s.suppressions.map((x) => ({
        policy: x.policy,
        severity: x.severity,
        urn: x.urn,
        owner: x.owner,
        expires: x.expires,
        reason: x.reason,
        message: x.original,
        waivedLevel: x.waivedLevel,
        ...located(locator.locate({ urn: x.urn, message: x.original })),
      })),
    };
  });
  const count = (pick: (s: (typeof stacks)[number]) => number) =>
    stacks.reduce((n, s) => n + pick(s), 0);
  const mandatory = count((s) => s.violations.filter((v) => v.enforcement === "mandatory").length);
  return {
    stacks,
    summary: {
      stacks: stacks.length,
      resources: count((s) => s.resources.length),
      mandatory,
      advisory: count((s) => s.violations.filter((v) => v.enforcement === "advisory").length),
      suppressed: count((s) => s.suppressions.length),
      passed: mandatory === 0,
    },
  };
}

export function renderJson(result: GateResult): string {
  return `${JSON.stringify(jsonReport(result), null, 2)}\n`;
}
