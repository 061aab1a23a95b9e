import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type {
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import {
  POLICY_CATALOG,
  POLICY_DEFINITIONS,
  SUPPRESSIONS_SETTING,
  policiesFor,
  policyMeta,
  toSdkPolicy,
} from "../../policies/catalog";
import { DEFAULT_SUPPRESSIONS_FILE, latestExpiry, today } from "../../policies/suppressions";
import type {
  PolicyDefinition,
  ResourcePolicyDefinition,
  Settings,
  StackPolicyDefinition,
} from "../../policies/support";
import { UNKNOWN } from "../../policies/unknowns";
import { environments, forRole, type StackName } from "../../src/model";
import { resourceArgs, stackArgs, urnOf, type Fixture } from "./harness";

/*
 * How the catalog turns a definition into the SDK's policy object: levels per stack, settings
 * over their defaults, and what every report goes out as (suppressed, lowered, at the floor).
 * The definitions here are written for the test, so each mechanism is seen on its own.
 */

type Sent = { message: string; urn?: string; enforcementLevel?: string };

function collect(): { sent: Sent[]; report: ReportViolation } {
  const sent: Sent[] = [];
  return { sent, report: ((info: Sent) => sent.push(info)) as unknown as ReportViolation };
}

const base = {
  description: "Checks whether the test's resource is as the test wants it.",
  severity: "high" as const,
  remediationSteps: "Change it.",
  levels: {
    development: "advisory",
    "production-like": "mandatory",
    production: "mandatory",
  } as const,
};

const bucket: Fixture = { type: "aws:s3/bucket:Bucket", name: "assets", props: { acl: "private" } };

function runResource(
  definition: ResourcePolicyDefinition,
  stack: StackName,
  config: Record<string, unknown> = {},
  fixture: Fixture = bucket,
): Sent[] {
  const p = toSdkPolicy(definition, stack) as ResourceValidationPolicy;
  const { sent, report } = collect();
  const v = p.validateResource;
  (Array.isArray(v) ? v : [v]).forEach(
    (f) => void f!(resourceArgs(stack, fixture, config), report),
  );
  return sent;
}

function runStack(
  definition: StackPolicyDefinition,
  stack: StackName,
  config: Record<string, unknown> = {},
  fixtures: readonly Fixture[] = [bucket],
): Sent[] {
  const p = toSdkPolicy(definition, stack) as StackValidationPolicy;
  const { sent, report } = collect();
  void p.validateStack(stackArgs(stack, fixtures, config), report);
  return sent;
}

function suppressionsFile(entries: readonly Record<string, unknown>[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-catalog-"));
  const file = path.join(dir, "suppressions.yaml");
  fs.writeFileSync(file, JSON.stringify({ suppressions: entries }));
  return file;
}

const entry = (extra: Record<string, unknown>) => ({
  reason: "Reviewed: the bucket is replaced in the next change window.",
  owner: "@platform",
  expires: latestExpiry(today()),
  ...extra,
});

describe("the catalog", () => {
  it("lists every definition once, in order, with what reports and docs need", () => {
    expect(POLICY_CATALOG.map((p) => p.name)).toEqual(POLICY_DEFINITIONS.map((d) => d.name));
    expect(new Set(POLICY_CATALOG.map((p) => p.name)).size).toBe(POLICY_CATALOG.length);
    for (const [i, d] of POLICY_DEFINITIONS.entries()) {
      const meta = POLICY_CATALOG[i]!;
      expect(meta).toEqual({
        name: d.name,
        description: d.description,
        severity: d.severity,
        ...(d.framework ? { framework: `${d.framework.name} ${d.framework.reference}` } : {}),
        ...(d.documentation ? { documentation: d.documentation } : {}),
        remediationSteps: d.remediationSteps,
        levels: d.levels,
        suppressible: d.suppressible,
      });
      expect(policyMeta(d.name)).toBe(meta);
    }
    expect(policyMeta("no-such-policy")).toBeUndefined();
  });

  it("names frameworks by name and reference, and leaves out what a policy does not have", () => {
    const framed = POLICY_CATALOG.filter((p) => p.framework !== undefined);
    expect(framed.length).toBeGreaterThan(0);
    expect(framed.map((p) => p.framework)).toContain("OpenSSF Scorecard Branch-Protection");
    const plain = POLICY_DEFINITIONS.find((d) => d.framework === undefined)!;
    expect(Object.keys(policyMeta(plain.name)!)).not.toContain("framework");
    const undocumented = POLICY_DEFINITIONS.find((d) => d.documentation === undefined)!;
    expect(Object.keys(policyMeta(undocumented.name)!)).not.toContain("documentation");
  });

  it("gives each stack's pack every policy at that stack's level", () => {
    for (const stack of environments().names) {
      const policies = policiesFor(stack);
      expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual(
        POLICY_DEFINITIONS.map((d) => [d.name, forRole(d.levels, stack)]),
      );
    }
  });

  it("publishes each policy's settings with their defaults, and the suppressions file", () => {
    expect(SUPPRESSIONS_SETTING).toEqual({
      type: "string",
      description: "Suppressions file (YAML), relative to the pack directory.",
      default: DEFAULT_SUPPRESSIONS_FILE,
    });
    for (const stack of environments().names) {
      for (const [i, p] of policiesFor(stack).entries()) {
        const d = POLICY_DEFINITIONS[i]!;
        const expected = { ...(d.settings?.(stack) ?? {}), suppressionsFile: SUPPRESSIONS_SETTING };
        expect(p.configSchema?.properties).toEqual(expected);
        for (const [key, setting] of Object.entries(expected)) {
          // A list default is handed out as a copy: the SDK may not change the definition's.
          if (Array.isArray(setting.default))
            expect(p.configSchema!.properties![key]!.default).not.toBe(setting.default);
        }
      }
    }
  });

  it("carries the description, severity, remediation and framework to the SDK", () => {
    const d = POLICY_DEFINITIONS.find((x) => x.framework !== undefined)!;
    const p = toSdkPolicy(d, "prod");
    expect(p).toMatchObject({
      name: d.name,
      description: d.description,
      severity: d.severity,
      remediationSteps: d.remediationSteps,
      framework: d.framework,
    });
    const plain = POLICY_DEFINITIONS.find((x) => x.framework === undefined)!;
    expect("framework" in toSdkPolicy(plain, "prod")).toBe(false);
  });
});

describe("settings", () => {
  let seen: Settings | undefined;
  const withSettings: ResourcePolicyDefinition = {
    ...base,
    name: "test-settings",
    suppressible: true,
    settings: (stack) => ({
      threshold: { type: "number", default: stack === "prod" ? 7 : 1 },
      label: { type: "string", default: "fallback" },
      names: { type: "array", items: { type: "string" }, default: ["a", "b"] },
      sizes: { type: "array", items: { type: "number" }, default: [1, 2] },
      none: { type: "array", items: { type: "string" }, default: [] },
      flag: { type: "boolean", default: true },
    }),
    validateResource: (_args, _report, { settings }) => {
      seen = settings;
    },
  };
  const read = (stack: StackName, config: Record<string, unknown>) => {
    seen = undefined;
    runResource(withSettings, stack, config);
    return {
      threshold: seen!.number("threshold"),
      label: seen!.text("label"),
      names: seen!.list("names"),
      sizes: seen!.numbers("sizes"),
      none: seen!.list("none"),
    };
  };

  it("takes each stack's defaults when the config says nothing", () => {
    expect(read("prod", {})).toEqual({
      threshold: 7,
      label: "fallback",
      names: ["a", "b"],
      sizes: [1, 2],
      none: [],
    });
    expect(read("dev", {}).threshold).toBe(1);
  });

  it("takes values of the right type from the config", () => {
    expect(
      read("prod", { threshold: 30, label: "given", names: ["x"], sizes: [5, 6, 7], none: ["y"] }),
    ).toEqual({ threshold: 30, label: "given", names: ["x"], sizes: [5, 6, 7], none: ["y"] });
    expect(read("prod", { names: [], sizes: [] })).toMatchObject({ names: [], sizes: [] });
  });

  it("ignores a value of the wrong type, keeping the default", () => {
    expect(
      read("prod", { threshold: "30", label: 3, names: "x", sizes: ["5"], none: [1] }),
    ).toEqual({ threshold: 7, label: "fallback", names: ["a", "b"], sizes: [1, 2], none: [] });
    expect(read("prod", { names: ["x", 2] }).names).toEqual(["a", "b"]);
    expect(read("prod", { sizes: [5, "6"] }).sizes).toEqual([1, 2]);
  });

  it("reads a key no setting declares as nothing of each kind", () => {
    seen = undefined;
    runResource(withSettings, "prod", { undeclared: 5 });
    expect(seen!.number("undeclared")).toBeNaN();
    expect(seen!.text("undeclared")).toBe("");
    expect(seen!.list("undeclared")).toEqual([]);
    expect(seen!.numbers("undeclared")).toEqual([]);
    expect(seen!.number("label")).toBeNaN();
    expect(seen!.text("threshold")).toBe("");
    expect(seen!.list("threshold")).toEqual([]);
    expect(seen!.numbers("label")).toEqual([]);
  });
});

describe("what a report goes out as", () => {
  const reporting = (
    suppressible: boolean,
    options?: { urn?: string; level?: "advisory"; attribute?: string },
  ): ResourcePolicyDefinition => ({
    ...base,
    name: "test-reporting",
    suppressible,
    validateResource: (_args, report) => report("Fix the bucket.", options),
  });
  const own = urnOf("prod", bucket.type, bucket.name);

  it("names the resource a resource policy judges, in the object form", () => {
    expect(runResource(reporting(true), "prod")).toEqual([
      { message: "Fix the bucket.", urn: own },
    ]);
  });

  it("names the URN a report gives instead", () => {
    const other = urnOf("prod", "aws:s3/bucket:Bucket", "logs");
    expect(runResource(reporting(true, { urn: other }), "prod")).toEqual([
      { message: "Fix the bucket.", urn: other },
    ]);
  });

  it("leaves the level to the SDK for a suppressible policy", () => {
    expect(runResource(reporting(true), "prod")[0]!.enforcementLevel).toBeUndefined();
    expect(runResource(reporting(true), "dev")[0]!.enforcementLevel).toBeUndefined();
  });

  it("says mandatory explicitly where an unsuppressible policy is mandatory, not below", () => {
    expect(runResource(reporting(false), "prod")[0]!.enforcementLevel).toBe("mandatory");
    expect(runResource(reporting(false), "stage")[0]!.enforcementLevel).toBe("mandatory");
    expect(runResource(reporting(false), "dev")[0]!.enforcementLevel).toBeUndefined();
  });

  it("sends a note lowered by the policy as advisory, unsuppressible or not", () => {
    for (const suppressible of [true, false])
      expect(runResource(reporting(suppressible, { level: "advisory" }), "prod")).toEqual([
        { message: "Fix the bucket.", urn: own, enforcementLevel: "advisory" },
      ]);
  });

  it("lowers a suppressed violation to advisory with who owns the suppression", () => {
    const file = suppressionsFile([
      entry({ policy: "test-reporting", stack: "prod", resource: `${bucket.type}::assets` }),
    ]);
    expect(runResource(reporting(true), "prod", { suppressionsFile: file })).toEqual([
      {
        message: `Suppressed (owner @platform, expires ${latestExpiry(today())}): Reviewed: the bucket is replaced in the next change window. Original: Fix the bucket.`,
        urn: own,
        enforcementLevel: "advisory",
      },
    ]);
  });

  it("suppresses nothing for an unsuppressible policy, another policy, stack or attribute", () => {
    const named = { stack: "prod", resource: `${bucket.type}::assets` };
    const cases: [ResourcePolicyDefinition, Record<string, unknown>][] = [
      [reporting(false), entry({ policy: "test-reporting", ...named })],
      [reporting(true), entry({ policy: "other-policy", ...named })],
      [reporting(true), entry({ policy: "test-reporting", ...named, stack: "stage" })],
      [reporting(true), entry({ policy: "test-reporting", ...named, attribute: "acl" })],
      [
        reporting(true, { attribute: "acl" }),
        entry({ policy: "test-reporting", ...named, attribute: "versioning" }),
      ],
    ];
    for (const [definition, suppression] of cases) {
      const sent = runResource(definition, "prod", {
        suppressionsFile: suppressionsFile([suppression]),
      });
      expect(sent.map((s) => s.message)).toEqual(["Fix the bucket."]);
      expect(sent[0]!.enforcementLevel).toBe(definition.suppressible ? undefined : "mandatory");
    }
  });

  it("suppresses one attribute of a policy that reports several", () => {
    const file = suppressionsFile([
      entry({
        policy: "test-reporting",
        stack: "prod",
        resource: `${bucket.type}::assets`,
        attribute: "acl",
      }),
    ]);
    const sent = runResource(reporting(true, { attribute: "acl" }), "prod", {
      suppressionsFile: file,
    });
    expect(sent[0]!.enforcementLevel).toBe("advisory");
  });

  it("enforces a violation again once its suppression expired", () => {
    const file = suppressionsFile([
      entry({
        policy: "test-reporting",
        stack: "prod",
        resource: `${bucket.type}::assets`,
        expires: "2001-01-31",
      }),
    ]);
    expect(runResource(reporting(true), "prod", { suppressionsFile: file })).toEqual([
      { message: "Fix the bucket.", urn: own },
    ]);
  });

  it("matches a stack policy's report by the resource it names, in or out of the stack", () => {
    const outside = urnOf("prod", "aws:s3/bucket:Bucket", "gone");
    const stackPolicy = (urn: string): StackPolicyDefinition => ({
      ...base,
      name: "test-stack",
      suppressible: true,
      validateStack: (_args, report) => report("Fix it.", { urn }),
    });
    const file = suppressionsFile([
      entry({ policy: "test-stack", stack: "prod", resource: `${bucket.type}::assets` }),
      entry({ policy: "test-stack", stack: "prod", resource: `${bucket.type}::gone` }),
    ]);
    for (const urn of [own, outside]) {
      const sent = runStack(stackPolicy(urn), "prod", { suppressionsFile: file });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ urn, enforcementLevel: "advisory" });
    }
    const unnamed: StackPolicyDefinition = {
      ...stackPolicy(own),
      validateStack: (_args, report) => report("Fix the stack."),
    };
    expect(runStack(unnamed, "prod", { suppressionsFile: file })).toEqual([
      { message: "Fix the stack." },
    ]);
  });
});

describe("a policy that reads a value the engine does not know yet", () => {
  // The bucket's acl is unknown, as in a preview: reading it throws the SDK's error.
  const pending: Fixture = { ...bucket, props: { acl: UNKNOWN.string } };
  const readAcl = (props: Record<string, unknown>) => String(props["acl"]);
  const throwing = (fail?: Error): PolicyDefinition[] => [
    {
      ...base,
      name: "test-throws",
      suppressible: false,
      validateResource: (args) => {
        if (fail) throw fail;
        readAcl(args.props);
      },
    },
    {
      ...base,
      name: "test-throws",
      suppressible: false,
      validateStack: (args) => {
        if (fail) throw fail;
        readAcl(args.resources[0]!.props);
      },
    },
  ];
  const run = (d: PolicyDefinition) =>
    "validateStack" in d
      ? runStack(d, "prod", {}, [pending])
      : runResource(d as ResourcePolicyDefinition, "prod", {}, pending);

  it("notes, as advisory, that it is checked again on update", () => {
    let reason = "";
    try {
      readAcl(resourceArgs("prod", pending).props);
    } catch (err) {
      reason = (err as Error).message;
    }
    expect(reason).not.toBe("");
    for (const d of throwing()) {
      expect(run(d)).toEqual([
        {
          message: `Cannot check this during preview: ${reason}. It is checked again on update.`,
          ...("validateStack" in d ? {} : { urn: urnOf("prod", bucket.type, bucket.name) }),
          enforcementLevel: "advisory",
        },
      ]);
    }
  });

  it("lets any other failure through: a bug is not a note", () => {
    for (const d of throwing(new TypeError("boom"))) expect(() => run(d)).toThrow("boom");
  });
});
