import { createHash } from "node:crypto";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type * as sarif from "sarif";
import type { PolicyMeta } from "../../../policies/catalog";
import { forRole } from "../../model";
import type { EnforcementLevel } from "../../engine/analyzer";
import type { GateResult, StackVerdict } from "../../engine/gate";
import { Locator, rootCauseKey, type Located } from "../../engine/locations";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const TOOL_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/";

/**
 * GitHub code scanning takes `note`, `warning` and `error`; a policy disabled in a stack is a
 * `note` rule with `enabled: false`.
 * https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object
 */
function level(enforcement: EnforcementLevel): "error" | "warning" | "note" {
  switch (enforcement) {
    case "mandatory":
    case "remediate":
      return "error";
    case "advisory":
      return "warning";
    case "disabled":
      return "note";
  }
}

/** The rule's `problem.severity` for the stack's level (GitHub: error, warning, recommendation). */
function problemSeverity(enforcement: EnforcementLevel): "error" | "warning" | "recommendation" {
  const l = level(enforcement);
  return l === "note" ? "recommendation" : l;
}

/**
 * Code scanning rejects a run of more than 25,000 results (and shows the 5,000 most severe), and
 * a file of more than 20 runs (one per stack here, three at most).
 * https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
 */
export const MAX_RESULTS_PER_RUN = 25_000;

/** The key under which each result carries its own identity, beside GitHub's. */
export const FINGERPRINT_KEY = "envstackFinding/v1";

/** SARIF's security-severity (a CVSS-like score) for code scanning's severity buckets. */
const SECURITY_SEVERITY: Readonly<Record<string, string>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
};

function ruleName(policy: string): string {
  return policy.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, ch: string) => ch.toUpperCase());
}

function rule(meta: PolicyMeta, stack: StackVerdict["stack"]): sarif.ReportingDescriptor {
  return {
    id: meta.name,
    name: ruleName(meta.name),
    shortDescription: { text: meta.description },
    fullDescription: { text: meta.description },
    help: { text: meta.remediationSteps, markdown: meta.remediationSteps },
    defaultConfiguration: {
      level: level(forRole(meta.levels, stack)),
      enabled: forRole(meta.levels, stack) !== "disabled",
    },
    properties: {
      severity: meta.severity,
      // Shown by code scanning only on rules tagged `security` (see `tags`).
      "security-severity": SECURITY_SEVERITY[meta.severity] ?? "5.0",
      // Policies judge the declared inputs; a value unknown during preview is an advisory note.
      precision: "high",
      "problem.severity": problemSeverity(forRole(meta.levels, stack)),
      levels: { ...meta.levels },
      suppressible: meta.suppressible,
      ...(meta.framework ? { framework: meta.framework } : {}),
      tags: ["security", "pulumi", "policy", ...(meta.framework ? [meta.framework] : [])],
    },
  };
}

/** The stack file as an artifact: relative to the project root when inside it. */
function artifact(file: string, root: string): sarif.ArtifactLocation {
  const relative = path.relative(root, file);
  if (relative && !relative.startsWith("..") && !path.isAbsolute(relative)) {
    return { uri: relative.split(path.sep).join("/"), uriBaseId: "PROJECTROOT" };
  }
  return { uri: pathToFileURL(file).href };
}

/**
 * A finding's identity, stable across runs and line moves: the stack, the policy, the root cause
 * (config key or URN), the resource, and the fix the message leads with (up to its first ": ",
 * so a changed "found ..." keeps the alert). Code scanning matches alerts on
 * `primaryLocationLineHash` only, which the upload action would otherwise compute from the
 * file's text at the location (and cannot in a job without a checkout); the same value stands
 * under our own key.
 * https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#result-object
 */
export function fingerprint(
  stack: string,
  policy: string,
  found: Located,
  finding: { readonly urn: string; readonly message: string },
): string {
  const fix = finding.message.split(": ")[0] ?? finding.message;
  return createHash("sha256")
    .update([stack, policy, rootCauseKey(found.rootCause), finding.urn, fix].join("\u0000"))
    .digest("hex")
    .slice(0, 32);
}

function logical(urn: string): sarif.LogicalLocation[] {
  if (!urn) return [];
  // urn:pulumi:<stack>::<project>::<qualified type>::<name>
  const parts = urn.split("::");
  const name = parts[parts.length - 1] ?? urn;
  const type = (parts[parts.length - 2] ?? "").split("$").pop() ?? "";
  return [{ fullyQualifiedName: urn, name, kind: "resource", decoratedName: type }];
}

function run(verdict: StackVerdict, catalog: readonly PolicyMeta[], root: string): sarif.Run {
  const known = new Map(catalog.map((m) => [m.name, m]));
  // Policies the pack reported that the catalog does not list still get a rule (from the pack).
  const extra: PolicyMeta[] = verdict.pack.policies
    .filter((p) => !known.has(p.name))
    .map((p) => ({
      name: p.name,
      description: p.description,
      severity: p.severity === "unspecified" ? "medium" : p.severity,
      remediationSteps: p.remediationSteps,
      levels: {
        development: p.enforcement,
        "production-like": p.enforcement,
        production: p.enforcement,
      } as PolicyMeta["levels"],
      suppressible: false,
    }));
  const metas = [...catalog, ...extra];
  const index = new Map(metas.map((m, i) => [m.name, i]));
  const locator = new Locator(verdict);
  const place = (policy: string, finding: { urn: string; message: string }) => {
    const found = locator.locate(finding);
    const { file, line, column, endColumn } = found.location;
    const id = fingerprint(verdict.stack, policy, found, finding);
    const where = {
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifact(file, root),
            region: { startLine: line, startColumn: column, endLine: line, endColumn },
          },
          logicalLocations: logical(finding.urn),
        },
      ],
      partialFingerprints: { primaryLocationLineHash: id, [FINGERPRINT_KEY]: id },
    };
    return { where, rootCause: { kind: found.rootCause.kind, key: rootCauseKey(found.rootCause) } };
  };
  const all: sarif.Result[] = [
    ...verdict.violations.map((v): sarif.Result => {
      const { where, rootCause } = place(v.policy, v);
      return {
        ruleId: v.policy,
        ...(index.has(v.policy) ? { ruleIndex: index.get(v.policy)! } : {}),
        level: level(v.enforcement),
        message: {
          text: v.remediation ? `${v.message}\nRemediation: ${v.remediation}` : v.message,
        },
        ...where,
        properties: {
          stack: verdict.stack,
          enforcement: v.enforcement,
          severity: v.severity,
          rootCause,
        },
      };
    }),
    ...verdict.suppressions.map((x): sarif.Result => {
      const { where, rootCause } = place(x.policy, { urn: x.urn, message: x.original });
      return {
        ruleId: x.policy,
        ...(index.has(x.policy) ? { ruleIndex: index.get(x.policy)! } : {}),
        level: level(x.waivedLevel),
        message: { text: x.original },
        ...where,
        suppressions: [
          {
            kind: "external",
            status: "accepted",
            justification: x.reason,
            properties: { owner: x.owner, expires: x.expires },
          },
        ],
        properties: {
          stack: verdict.stack,
          enforcement: "advisory",
          severity: x.severity,
          rootCause,
        },
      };
    }),
  ];
  // Over code scanning's limit, the most severe are kept (errors, then warnings, then notes).
  const rank = { error: 0, warning: 1, note: 2, none: 3 } as const;
  const results =
    all.length > MAX_RESULTS_PER_RUN
      ? [...all]
          .sort((a, b) => rank[a.level ?? "warning"] - rank[b.level ?? "warning"])
          .slice(0, MAX_RESULTS_PER_RUN)
      : all;
  const omitted = all.length - results.length;
  return {
    tool: {
      driver: {
        name: verdict.pack.name || "envstack-policies",
        version: verdict.pack.version,
        informationUri: TOOL_URI,
        rules: metas.map((m) => rule(m, verdict.stack)),
      },
    },
    // One category per stack: code scanning keeps each stack's alerts apart, and the upload
    // action's `category` input applies only to runs without an id of their own.
    // https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#runautomationdetails-object
    automationDetails: { id: `envstack-preview/${verdict.stack}/` },
    originalUriBaseIds: { PROJECTROOT: { uri: pathToFileURL(`${root}${path.sep}`).href } },
    artifacts: [{ location: artifact(verdict.file, root), roles: ["analysisTarget"] }],
    results,
    properties: {
      stack: verdict.stack,
      resources: verdict.resources.length,
      ...(omitted > 0 ? { omittedResults: omitted } : {}),
    },
  };
}

/** SARIF 2.1.0: one run per stack, one rule per policy from the catalog, URNs as logical locations. */
export function sarifReport(result: GateResult, projectRoot: string): sarif.Log {
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: result.stacks.map((s) => run(s, result.catalog, projectRoot)),
  };
}

export function renderSarif(result: GateResult, projectRoot: string): string {
  return `${JSON.stringify(sarifReport(result, projectRoot), null, 2)}\n`;
}
