import { describe, expect, it } from "vitest";
import type { PackInfo, PolicyInfo } from "../../src/engine/analyzer";
import { refusedNote, withFloors } from "../../src/engine/gate";

const policyInfo = (name: string, enforcement: PolicyInfo["enforcement"]): PolicyInfo => ({
  name,
  description: "",
  enforcement,
  severity: "high",
  remediationSteps: "",
  kind: "resource",
  configSchema: {
    properties: { suppressionsFile: { type: "string", default: "s.yaml" } },
    required: [],
  },
});

// Two of the pack's policies as stage's pack serves them: one suppressible, one never.
const pack: PackInfo = {
  name: "envstack-policies",
  version: "0.1.0",
  initialConfig: {},
  policies: [
    policyInfo("encryption-at-rest", "mandatory"),
    policyInfo("vpc-cidr-valid", "mandatory"),
  ],
};

describe("policy config levels against the floors", () => {
  it("passes every level a suppressible policy is given", () => {
    const config = { all: "advisory", "encryption-at-rest": { enforcementLevel: "disabled" } };
    expect(withFloors("stage", pack, { "encryption-at-rest": "disabled" }, "p.json")).toEqual({
      config: { "encryption-at-rest": "disabled" },
      refused: [],
    });
    expect(withFloors("stage", pack, config, "p.json").config["encryption-at-rest"]).toEqual({
      enforcementLevel: "disabled",
    });
  });

  it("refuses all: disabled for a policy that can never be suppressed", () => {
    expect(withFloors("stage", pack, { all: "disabled" }, "p.json")).toEqual({
      config: { all: "disabled", "vpc-cidr-valid": { enforcementLevel: "mandatory" } },
      refused: [{ policy: "vpc-cidr-valid", refused: "disabled", from: "all", floor: "mandatory" }],
    });
  });

  it("refuses a lower level in the policy's own entry, keeping its settings", () => {
    const given = {
      "vpc-cidr-valid": { enforcementLevel: "advisory", suppressionsFile: "x.yaml" },
    };
    expect(withFloors("stage", pack, given, "p.json")).toEqual({
      config: { "vpc-cidr-valid": { enforcementLevel: "mandatory", suppressionsFile: "x.yaml" } },
      refused: [
        { policy: "vpc-cidr-valid", refused: "advisory", from: "policy", floor: "mandatory" },
      ],
    });
    expect(withFloors("stage", pack, { "vpc-cidr-valid": "remediate" }, "p.json").refused).toEqual(
      [],
    );
  });

  it("says so in the report, naming the policy and the refused level", () => {
    const note = (from: "all" | "policy") =>
      refusedNote(
        "prod",
        { policy: "vpc-cidr-valid", refused: "disabled", from, floor: "mandatory" },
        "p.json",
      );
    expect([note("all").enforcement, note("all").urn, note("all").message]).toEqual([
      "advisory",
      "",
      'Ignored all "disabled" from p.json for vpc-cidr-valid: it can never be suppressed, so it stays mandatory in prod.',
    ]);
    expect(note("policy").message).toBe(
      'Ignored vpc-cidr-valid.enforcementLevel "disabled" from p.json for vpc-cidr-valid: it can never be suppressed, so it stays mandatory in prod.',
    );
  });
});
