import * as path from "node:path";
import * as aws from "@pulumi/aws";
import {
  specialArchiveSig,
  specialOutputValueSig,
  specialResourceSig,
  specialSecretSig,
  specialSigKey as SIG,
  unknownValue as UNKNOWN,
} from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { analyzeWithNewPack } from "../../src/engine/analyzer";
import { analyzerProperties } from "../../src/engine/engine-marshal";
import { runUnderMocks } from "../../src/engine/mock-run";
import { readStackConfigFile, toEngineConfig } from "../../src/model";
import { ROOT } from "./helpers";

const ROLE_URN = "urn:pulumi:stage::envstack::aws:iam/role:Role::app";
const COMPONENT_URN = "urn:pulumi:stage::envstack::envstack:aws:Network::net";
const secret = (value: unknown) => ({ [SIG]: specialSecretSig, value });

describe("analyzerProperties: inputs as the engine's Analyze marshals them", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      "a custom resource reference becomes its ID",
      { role: { [SIG]: specialResourceSig, urn: ROLE_URN, id: "app-id" } },
      { role: "app-id" },
    ],
    [
      "a reference whose ID is not known yet becomes unknown",
      { role: { [SIG]: specialResourceSig, urn: ROLE_URN, id: UNKNOWN } },
      { role: UNKNOWN },
    ],
    [
      "an empty ID is an unknown one",
      { role: { [SIG]: specialResourceSig, urn: ROLE_URN, id: "" } },
      { role: UNKNOWN },
    ],
    [
      "a component reference (no ID) becomes its URN",
      { parentRef: { [SIG]: specialResourceSig, urn: COMPONENT_URN } },
      { parentRef: COMPONENT_URN },
    ],
    [
      "references inside lists, maps and secrets are replaced too",
      {
        roles: [{ [SIG]: specialResourceSig, urn: ROLE_URN, id: "app-id" }],
        nested: { role: { [SIG]: specialResourceSig, urn: ROLE_URN, id: "app-id" } },
        hidden: secret({ [SIG]: specialResourceSig, urn: ROLE_URN, id: "app-id" }),
      },
      { roles: ["app-id"], nested: { role: "app-id" }, hidden: secret("app-id") },
    ],
    [
      "an output value becomes its value, unknown when it has none, a secret when secret",
      {
        known: { [SIG]: specialOutputValueSig, value: "x", dependencies: [ROLE_URN] },
        unknown: { [SIG]: specialOutputValueSig },
        secretKnown: { [SIG]: specialOutputValueSig, value: 3, secret: true },
        secretUnknown: { [SIG]: specialOutputValueSig, secret: true },
      },
      { known: "x", unknown: UNKNOWN, secretKnown: secret(3), secretUnknown: secret(UNKNOWN) },
    ],
    [
      "secrets, unknowns, nulls and archives are kept as they are",
      {
        password: secret("hunter2"),
        arn: UNKNOWN,
        description: null,
        code: { [SIG]: specialArchiveSig, path: "./app.zip" },
      },
      {
        password: secret("hunter2"),
        arn: UNKNOWN,
        description: null,
        code: { [SIG]: specialArchiveSig, path: "./app.zip" },
      },
    ],
    [
      "top-level internal keys are dropped, nested ones kept",
      { __defaults: ["name"], tags: { __note: "kept" } },
      { tags: { __note: "kept" } },
    ],
  ])("%s", (_what, wire, expected) => {
    expect(analyzerProperties(wire)).toEqual(expected);
  });
});

describe("a resource object passed as an input", () => {
  const engineConfig = toEngineConfig(readStackConfigFile(path.join(ROOT, "Pulumi.stage.yaml")));

  /** A role and an inline policy handed the role object itself, as the AWS provider docs write it. */
  function program() {
    const role = new aws.iam.Role("app", {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
          },
        ],
      }),
    });
    const policy = new aws.iam.RolePolicy("app-admin", {
      role,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
      }),
    });
    return { policy: policy.id };
  }

  it("reaches the pack over the Analyzer protocol as the role's ID, and is judged", async () => {
    const { resources } = await runUnderMocks({
      project: "envstack",
      stack: "stage",
      config: engineConfig,
      region: "eu-west-1",
      program,
    });
    const rolePolicy = resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!;
    // The program sent a reference; the engine hands the pack the role's ID.
    expect(rolePolicy.wireInputs["role"]).toEqual({
      [SIG]: specialResourceSig,
      urn: ROLE_URN,
      id: "app-id",
    });
    expect(analyzerProperties(rolePolicy.wireInputs)["role"]).toBe("app-id");

    const { diagnostics } = await analyzeWithNewPack(
      { packDir: path.join(ROOT, "policies"), stack: "stage", project: "envstack", engineConfig },
      resources,
    );
    // Before, the pack failed on the reference's signature and no policy judged anything.
    expect(diagnostics.filter((d) => d.policy === "no-iam-wildcard-admin")).toEqual([
      expect.objectContaining({
        enforcement: "mandatory",
        severity: "critical",
        message:
          'Remove the statement allowing "*" on "*" from the policy of app-admin: grant only the actions needed, on the resources needed.',
      }),
    ]);
  });
});
