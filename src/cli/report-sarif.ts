import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type * as sarif from "sarif";
import type { PolicyMeta } from "../../policies/catalog";
import type { EnforcementLevel } from "./analyzer";
import type { GateResult, StackVerdict } from "./gate";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const TOOL_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/";

function level(enforcement: EnforcementLevel): sarif.ReportingConfiguration.level {
  switch (enforcement) {
    case "mandatory":
    case "remediate":
      return "error";
    case "advisory":
      return "warning";
    case "disabled":
      return "none";
  }
}

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
      level: level(meta.levels[stack]),
      enabled: meta.levels[stack] !== "disabled",
    },
    properties: {
      severity: meta.severity,
      "security-severity": SECURITY_SEVERITY[meta.severity] ?? "5.0",
      levels: { ...meta.levels },
      suppressible: meta.suppressible,
      ...(meta.framework ? { framework: meta.framework } : {}),
      tags: ["pulumi", "policy", ...(meta.framework ? [meta.framework] : [])],
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
        dev: p.enforcement,
        stage: p.enforcement,
        prod: p.enforcement,
      } as PolicyMeta["levels"],
      suppressible: false,
    }));
  const metas = [...catalog, ...extra];
  const index = new Map(metas.map((m, i) => [m.name, i]));
  const location = (urn: string): sarif.Location => ({
    physicalLocation: { artifactLocation: artifact(verdict.file, root) },
    logicalLocations: logical(urn),
  });
  const results: sarif.Result[] = [
    ...verdict.violations.map((v): sarif.Result => ({
      ruleId: v.policy,
      ...(index.has(v.policy) ? { ruleIndex: index.get(v.policy)! } : {}),
      level: level(v.enforcement),
      message: { text: v.remediation ? `${v.message}\nRemediation: ${v.remediation}` : v.message },
      locations: [location(v.urn)],
      properties: { stack: verdict.stack, enforcement: v.enforcement, severity: v.severity },
    })),
    ...verdict.suppressions.map((x): sarif.Result => ({
      ruleId: x.policy,
      ...(index.has(x.policy) ? { ruleIndex: index.get(x.policy)! } : {}),
      level: level(x.waivedLevel),
      message: { text: x.original },
      locations: [location(x.urn)],
      suppressions: [
        {
          kind: "external",
          status: "accepted",
          justification: x.reason,
          properties: { owner: x.owner, expires: x.expires },
        },
      ],
      properties: { stack: verdict.stack, enforcement: "advisory", severity: x.severity },
    })),
  ];
  return {
    tool: {
      driver: {
        name: verdict.pack.name || "envstack-policies",
        version: verdict.pack.version,
        informationUri: TOOL_URI,
        rules: metas.map((m) => rule(m, verdict.stack)),
      },
    },
    automationDetails: { id: `envstack-preview/${verdict.stack}/` },
    originalUriBaseIds: { PROJECTROOT: { uri: pathToFileURL(`${root}${path.sep}`).href } },
    artifacts: [{ location: artifact(verdict.file, root), roles: ["analysisTarget"] }],
    results,
    properties: { stack: verdict.stack, resources: verdict.resources.length },
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
