import {
  type EnforcementLevel,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { forRole, type Role, type StackName } from "../src/model";
import {
  isRecord,
  isStackPolicy,
  packPath,
  parseUrn,
  type Level,
  type PolicyContext,
  type PolicyDefinition,
  type Report,
  type Setting,
  type Settings,
} from "./support";
import {
  DEFAULT_SUPPRESSIONS_FILE,
  isExpired,
  loadSuppressions,
  namesViolation,
  recordMatch,
  suppressedMessage,
  today,
} from "./suppressions";
import { CONCERN_POLICIES } from "./concerns";
import { suppressionPolicies } from "./suppressions-policy";

import { isUnknownValueError } from "./unknowns";

export { parseSuppressedMessage } from "./suppressions";

export const PACK_NAME = "envstack-policies";

/** What a report or a doc needs to know about a policy, without running it. */
export interface PolicyMeta {
  name: string;
  description: string;
  severity: "low" | "medium" | "high" | "critical";
  /** e.g. "AWS Foundational Security Best Practices RDS.5". */
  framework?: string;
  /** The documentation of the outside behaviour the policy rests on. */
  documentation?: string;
  remediationSteps: string;
  /** The level in each role of environment. */
  levels: Record<Role, "advisory" | "mandatory" | "disabled">;
  suppressible: boolean;
}

/** Every policy of the pack, in the order reports and docs list them. */
export const POLICY_DEFINITIONS: readonly PolicyDefinition[] = [
  ...CONCERN_POLICIES,
  ...suppressionPolicies,
];

export const POLICY_CATALOG: readonly PolicyMeta[] = POLICY_DEFINITIONS.map((p) => ({
  name: p.name,
  description: p.description,
  severity: p.severity,
  ...(p.framework ? { framework: `${p.framework.name} ${p.framework.reference}` } : {}),
  ...(p.documentation ? { documentation: p.documentation } : {}),
  remediationSteps: p.remediationSteps,
  levels: { ...p.levels },
  suppressible: p.suppressible,
}));

/** The config property every policy carries: where the reviewed suppressions live. */
export const SUPPRESSIONS_SETTING: Setting = {
  type: "string",
  description: "Suppressions file (YAML), relative to the pack directory.",
  default: DEFAULT_SUPPRESSIONS_FILE,
};

function settingsFor(
  definition: PolicyDefinition,
  stack: StackName,
): Readonly<Record<string, Setting>> {
  return { ...(definition.settings?.(stack) ?? {}), suppressionsFile: SUPPRESSIONS_SETTING };
}

/** Reads a policy's settings: the pack config over the per-stack defaults, wrong types ignored. */
function resolveSettings(
  defaults: Readonly<Record<string, Setting>>,
  given: Readonly<Record<string, unknown>>,
): Settings {
  const pick = (key: string): unknown => {
    const fallback = defaults[key]?.default;
    const value = given[key];
    if (value === undefined) return fallback;
    if (Array.isArray(fallback)) {
      const kind = typeof (fallback[0] ?? "");
      return Array.isArray(value) && value.every((v) => typeof v === kind) ? value : fallback;
    }
    return typeof value === typeof fallback ? value : fallback;
  };
  return {
    number: (key) => {
      const v = pick(key);
      return typeof v === "number" ? v : Number.NaN;
    },
    text: (key) => {
      const v = pick(key);
      return typeof v === "string" ? v : "";
    },
    list: (key) => {
      const v = pick(key);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    },
    numbers: (key) => {
      const v = pick(key);
      return Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : [];
    },
    record: (key) => {
      const v = pick(key);
      return isRecord(v) ? v : {};
    },
  };
}

/**
 * The SDK's undocumented object form of a report; an enforcement level given here replaces the
 * policy's configured one.
 */
interface ViolationInfo {
  message: string;
  urn?: string;
  enforcementLevel?: EnforcementLevel;
}

type Target = { urn?: string; type?: string; name?: string };

/**
 * The level a violation that no suppression waives goes out at. The SDK reports the level the
 * policy config gives the policy (server.js: `policyPackConfig[p.name].enforcementLevel ||
 * p.enforcementLevel || policyPackEnforcementLevel`, then `policyInfo.enforcementLevel ||
 * enforcementLevel` in makeReportViolationFun), so a suppressible policy leaves it to the SDK.
 * An unsuppressible policy's level in the stack is its floor: a mandatory one says so
 * explicitly, whatever level the config asked for. (A disabled policy is never called: the gate
 * refuses `disabled` for these policies before the pack is configured.)
 */
function unwaivedLevel(definition: PolicyDefinition, floor: Level): EnforcementLevel | undefined {
  return !definition.suppressible && floor === "mandatory" ? "mandatory" : undefined;
}

/**
 * Wraps the SDK's reportViolation: every report goes out in the object form, so the message is
 * exactly ours, after consulting the reviewed suppressions: a suppressed violation (and a note
 * lowered with `level: "advisory"`) is advisory whatever the policy's level; any other keeps the
 * configured level, or the floor of an unsuppressible policy.
 */
function reporter(
  definition: PolicyDefinition,
  stack: StackName,
  floor: Level,
  settings: Settings,
  reportViolation: ReportViolation,
  resolve: (urn: string | undefined) => Target,
  /** The URN a report without one is about: a resource policy's resource. */
  own?: string,
): Report {
  const emit = reportViolation as unknown as (info: ViolationInfo) => void;
  const send = (message: string, urn: string | undefined, level: EnforcementLevel | undefined) =>
    emit({
      message,
      ...(urn === undefined ? {} : { urn }),
      ...(level === undefined ? {} : { enforcementLevel: level }),
    });
  return (message, options) => {
    // The SDK's object form carries only the URN given in it (server.js makeReportViolationFun:
    // `urn: policyInfo.urn`), so a resource policy's report names its resource explicitly.
    const urn = options?.urn ?? own;
    if (options?.level === "advisory") {
      send(message, urn, "advisory");
      return;
    }
    const target = { stack, ...resolve(urn), attribute: options?.attribute };
    const suppressions = definition.suppressible
      ? loadSuppressions(packPath(settings.text("suppressionsFile"))).entries.filter(
          (s) => s.policy === definition.name && namesViolation(s, target),
        )
      : [];
    suppressions.forEach((s) => recordMatch(stack, s));
    const on = today();
    const active = suppressions.find((s) => !isExpired(s, on));
    if (active) {
      send(suppressedMessage(active, message), urn, "advisory");
      return;
    }
    // An expired suppression no longer applies; suppressions-are-valid reports its expiry.
    send(message, urn, unwaivedLevel(definition, floor));
  };
}

function cannotCheck(report: Report, err: unknown): void {
  if (!isUnknownValueError(err)) throw err;
  report(`Cannot check this during preview: ${err.message}. It is checked again on update.`, {
    level: "advisory",
  });
}

function targetIn(resources: readonly PolicyResource[], urn: string | undefined): Target {
  if (urn === undefined) return {};
  const r = resources.find((x) => x.urn === urn);
  if (r) return { urn, type: r.type, name: r.name };
  return { urn, ...parseUrn(urn) };
}

/** One definition as the SDK's policy object for a stack: its level there, settings, reports. */
export function toSdkPolicy(
  definition: PolicyDefinition,
  stack: StackName,
): ResourceValidationPolicy | StackValidationPolicy {
  const defaults = settingsFor(definition, stack);
  const enforcementLevel: Level = forRole(definition.levels, stack);
  const common = {
    name: definition.name,
    description: definition.description,
    enforcementLevel,
    severity: definition.severity,
    remediationSteps: definition.remediationSteps,
    ...(definition.framework ? { framework: definition.framework } : {}),
    configSchema: {
      properties: Object.fromEntries(
        Object.entries(defaults).map(([k, s]) => [
          k,
          { ...s, default: Array.isArray(s.default) ? [...s.default] : s.default },
        ]),
      ),
    },
  };
  if (isStackPolicy(definition)) {
    return {
      ...common,
      validateStack: (args, reportViolation) => {
        const settings = resolveSettings(defaults, args.getConfig<Record<string, unknown>>());
        const context: PolicyContext = { stack, settings };
        const report = reporter(
          definition,
          stack,
          enforcementLevel,
          settings,
          reportViolation,
          (urn) => targetIn(args.resources, urn),
        );
        try {
          definition.validateStack(args, report, context);
        } catch (err) {
          cannotCheck(report, err);
        }
      },
    };
  }
  return {
    ...common,
    validateResource: (args, reportViolation) => {
      const settings = resolveSettings(defaults, args.getConfig<Record<string, unknown>>());
      const context: PolicyContext = { stack, settings };
      const report = reporter(
        definition,
        stack,
        enforcementLevel,
        settings,
        reportViolation,
        () => ({
          urn: args.urn,
          type: args.type,
          name: args.name,
        }),
        args.urn,
      );
      try {
        definition.validateResource(args, report, context);
      } catch (err) {
        cannotCheck(report, err);
      }
    },
  };
}

/** The pack's policies for a stack, each with that stack's enforcement level and settings. */
export function policiesFor(
  stack: StackName,
): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return POLICY_DEFINITIONS.map((d) => toSdkPolicy(d, stack));
}

/** Metadata of one policy by name. */
export function policyMeta(name: string): PolicyMeta | undefined {
  return POLICY_CATALOG.find((p) => p.name === name);
}
