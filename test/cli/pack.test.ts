import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyzeWithNewPack,
  reconcilePolicyConfig,
  type PackInfo,
} from "../../src/engine/analyzer";
import type { RegisteredResource } from "../../src/engine/mock-run";
import { environments, readStackConfigFile, toEngineConfig, type StackName } from "../../src/model";
import { runStack } from "../program/harness";
import { ROOT } from "./helpers";

const PACK_DIR = path.join(ROOT, "policies");

interface Recorded {
  readonly engineConfig: Record<string, string>;
  readonly resources: readonly RegisteredResource[];
}

const recorded = new Map<StackName, Recorded>();

beforeAll(async () => {
  for (const stack of environments().names) {
    const engineConfig = toEngineConfig(
      readStackConfigFile(path.join(ROOT, `Pulumi.${stack}.yaml`)),
    );
    // The program as src/program/main.ts runs it (the guards stack reads every stack file).
    const { resources } = await runStack(stack);
    recorded.set(stack, { engineConfig, resources });
  }
}, 120_000);

afterAll(() => recorded.clear());

function analyze(stack: StackName, resources: readonly RegisteredResource[]) {
  return analyzeWithNewPack(
    {
      packDir: PACK_DIR,
      stack,
      project: "envstack",
      engineConfig: recorded.get(stack)!.engineConfig,
    },
    resources,
  );
}

describe("the policy pack over the Analyzer protocol (run-policy-pack, as the CLI starts it)", () => {
  it.each(environments().names)(
    "finds no mandatory violation in the committed %s stack",
    async (stack) => {
      const { resources } = recorded.get(stack)!;
      expect(resources.length).toBeGreaterThan(50);
      const { pack, diagnostics } = await analyze(stack, resources);
      expect(pack.name).toBe("envstack-policies");
      expect(diagnostics.filter((d) => d.enforcement === "mandatory")).toEqual([]);
    },
  );

  it("reports the parity violation when stage's primary database is hand-edited to single-AZ", async () => {
    const { resources } = recorded.get("stage")!;
    const primary = resources.find(
      (r) => r.type === "aws:rds/instance:Instance" && r.inputs["replicateSourceDb"] === undefined,
    )!;
    expect(primary.wireInputs["multiAz"]).toBe(true);
    // The hand edit: the code, not the config, declares a single-AZ database.
    const edited = resources.map((r) =>
      r === primary ? { ...r, wireInputs: { ...r.wireInputs, multiAz: false } } : r,
    );
    const { diagnostics } = await analyze("stage", edited);
    const parity = diagnostics.filter((d) => d.policy === "stage-mirrors-prod");
    expect(parity).toEqual([
      expect.objectContaining({
        policy: "stage-mirrors-prod",
        enforcement: "mandatory",
        severity: "high",
        urn: primary.urn,
        message:
          "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
      }),
    ]);
    // The unedited stack is clean, so the finding comes from the edit alone.
    const clean = await analyze("stage", resources);
    expect(clean.diagnostics.filter((d) => d.policy === "stage-mirrors-prod")).toEqual([]);
  });
});

describe("reconcilePolicyConfig", () => {
  const info: PackInfo = {
    name: "pack",
    version: "1.0.0",
    initialConfig: { b: { properties: { limit: 5 } } },
    policies: [
      {
        name: "a",
        description: "",
        enforcement: "mandatory",
        severity: "high",
        remediationSteps: "",
        kind: "stack",
        configSchema: { properties: { file: { type: "string", default: "x.yaml" } }, required: [] },
      },
      {
        name: "b",
        description: "",
        enforcement: "advisory",
        severity: "low",
        remediationSteps: "",
        kind: "resource",
        configSchema: {
          properties: { limit: { type: "number", default: 1 } },
          required: ["limit"],
        },
      },
    ],
  };

  it("applies schema defaults, then the pack's initial config, then the user's file", () => {
    expect(reconcilePolicyConfig(info, {}, "f.json")).toEqual({
      a: { enforcementLevel: "mandatory", properties: { file: "x.yaml" } },
      b: { enforcementLevel: "advisory", properties: { limit: 5 } },
    });
    expect(
      reconcilePolicyConfig(
        info,
        { all: "advisory", b: { enforcementLevel: "disabled", limit: 9 } },
        "f.json",
      ),
    ).toEqual({
      a: { enforcementLevel: "advisory", properties: { file: "x.yaml" } },
      b: { enforcementLevel: "disabled", properties: { limit: 9 } },
    });
    expect(reconcilePolicyConfig(info, { a: "disabled" }, "f.json").a!.enforcementLevel).toBe(
      "disabled",
    );
  });

  it.each([
    [
      { c: "advisory" },
      "f.json: c: expected the name of a policy in pack (a, b), found an unknown name",
    ],
    [
      { a: { enforcementLevel: "loud" } },
      'f.json: a.enforcementLevel: expected advisory, mandatory, remediate or disabled, found "loud"',
    ],
    [{ a: 3 }, "f.json: a: expected an enforcement level or a map of settings, found 3"],
  ])("refuses %j", (config, message) => {
    expect(() => reconcilePolicyConfig(info, config, "f.json")).toThrow(message);
  });
});
