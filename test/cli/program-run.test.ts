import * as fs from "node:fs";
import * as path from "node:path";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import {
  STACK_FILES_VARIABLE,
  readStackConfigFile,
  stackFiles,
  toEngineConfig,
  type StackName,
  stackFileOf,
} from "../../src/model";
import { corpusStackFiles } from "./corpus/cases";
import { ROOT } from "./helpers";

// The compiled modules, as the gate loads them: the program's modules are Node's, not vitest's.
/* eslint-disable @typescript-eslint/no-require-imports */
const { runProgram } = require(
  path.join(ROOT, "dist", "src", "engine", "program-run.js"),
) as typeof import("../../src/engine/program-run");
const { readProjectFile, resolveProgram } = require(
  path.join(ROOT, "dist", "src", "engine", "project-file.js"),
) as typeof import("../../src/engine/project-file");
/* eslint-enable @typescript-eslint/no-require-imports */

const PROBE = path.join(__dirname, "fixtures", "program-probe");

function run(
  dir: string,
  stack: StackName,
  options: { config?: Record<string, string>; files?: Record<StackName, string> } = {},
) {
  const project = readProjectFile(path.join(dir, "Pulumi.yaml"));
  const files = options.files ?? stackFiles(ROOT);
  return runProgram(project, resolveProgram(project), {
    stack,
    config: options.config ?? toEngineConfig(readStackConfigFile(stackFileOf(files, stack))),
    region: "eu-west-1",
    stackFiles: files,
    timeoutMs: 30_000,
  });
}

describe("runProgram: the program as the language host runs it", () => {
  it("runs in the program's directory, with the project's name and the stack files, and puts both back", async () => {
    const cwd = process.cwd();
    process.env[STACK_FILES_VARIABLE] = "left as it was";
    const files = stackFiles("/scratch", { stage: "/review/Pulumi.stage.yaml" });
    try {
      const { outputs, resources } = await run(PROBE, "stage", { config: {}, files });
      expect(outputs).toMatchObject({
        cwd: path.join(PROBE, "src"),
        stackFiles: JSON.stringify(files),
        project: "probe",
        stack: "stage",
      });
      expect(resources.map((r) => r.urn)).toEqual([
        "urn:pulumi:stage::probe::probe:index:Thing::thing",
      ]);
      expect(process.cwd()).toBe(cwd);
      expect(process.env[STACK_FILES_VARIABLE]).toBe("left as it was");
    } finally {
      delete process.env[STACK_FILES_VARIABLE];
    }
  });

  it("loads the program's modules afresh for every run, and the SDK once", async () => {
    const first = await run(PROBE, "dev", { config: {} });
    const second = await run(PROBE, "stage", { config: {} });
    const loads = (r: { outputs: unknown }) => (r.outputs as { loads: number }).loads;
    expect(loads(second)).toBe(loads(first) + 1);
    expect(second.resources).toHaveLength(1);
    expect((second.outputs as { sdkCached: boolean }).sdkCached).toBe(true);
    const programModules = Object.keys(require.cache).filter((f) => f.startsWith(PROBE));
    expect(programModules).toEqual([]);
  });

  it.each<[string, string]>([
    ["run-error", "probe.yaml: probe:fail: expected nothing, found run-error"],
    ["rejection", "an unhandled exception: probe rejected"],
    ["apply", "an unhandled exception: probe apply threw"],
  ])("fails on %s, and leaves no handler behind", async (fail, message) => {
    const handlers = [
      process.listenerCount("unhandledRejection"),
      process.listenerCount("uncaughtException"),
    ];
    await expect(run(PROBE, "dev", { config: { "probe:fail": fail } })).rejects.toThrow(message);
    expect([
      process.listenerCount("unhandledRejection"),
      process.listenerCount("uncaughtException"),
    ]).toEqual(handlers);
    expect(Object.keys(require.cache).filter((f) => f.startsWith(PROBE))).toEqual([]);
  });

  it("hands prod the stack files of the run: an edited stage file reaches prod's guards", async () => {
    const files = corpusStackFiles();
    const document = parseDocument(fs.readFileSync(stackFileOf(files, "stage"), "utf8"));
    const key = ["config", "envstack:github", "waitTimerMinutes"];
    const minutes = Number(document.getIn(key) ?? 0) + 7;
    document.setIn(key, minutes);
    fs.writeFileSync(stackFileOf(files, "stage"), document.toString());
    const { resources } = await run(ROOT, "prod", { files });
    const environments = resources.filter(
      (r) => r.type === "github:index/repositoryEnvironment:RepositoryEnvironment",
    );
    expect(
      Object.fromEntries(
        environments.map((r) => [r.wireInputs["environment"], r.wireInputs["waitTimer"]]),
      ),
    ).toMatchObject({ stage: minutes });
  });
});

describe("the corpus programs' outputs, as the engine records them", () => {
  const corpus = (name: string) => path.join(__dirname, "corpus", name);

  it("settles exports the mocks cannot fill as unknown, without waiting for them", async () => {
    const { outputs } = await run(corpus("unknown-export"), "stage");
    expect(outputs).toMatchObject({
      unknownUrl: unknownValue,
      unknownHost: unknownValue,
      nested: { url: unknownValue, arn: "arn:aws:sqs:eu-west-1:123456789012:corpus-unknowns" },
    });
  });

  it("calls an exported function and awaits its outputs", async () => {
    const { outputs, resources } = await run(corpus("function-export"), "dev");
    expect(outputs).toMatchObject({
      zones: 6,
      asyncQueue: "arn:aws:sqs:eu-west-1:123456789012:corpus-async",
    });
    expect(resources.find((r) => r.name === "corpus-async")?.wireInputs["delaySeconds"]).toBe(6);
  });

  it("answers a stack reference with its name, its outputs unknown", async () => {
    const { outputs, resources } = await run(corpus("stack-reference"), "stage");
    expect(outputs).toMatchObject({
      sharedStack: "acme/network/shared",
      sharedVpcId: unknownValue,
    });
    // Not knowing which outputs are secret (secretOutputNames is unknown too), the SDK treats
    // the value as the whole outputs value is treated, here as secret:
    // https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/stackReference.ts#L212-L219
    expect(resources.find((r) => r.name === "corpus-shared-vpc")?.wireInputs["value"]).toEqual({
      [specialSigKey]: specialSecretSig,
      value: unknownValue,
    });
    // A reference is read, not registered.
    expect(resources.filter((r) => r.type === "pulumi:pulumi:StackReference")).toEqual([]);
  });

  it("keeps secrets secret on the wire", async () => {
    const { resources } = await run(corpus("secrets"), "stage");
    expect(resources.find((r) => r.name === "corpus-token")?.wireInputs["value"]).toEqual({
      [specialSigKey]: specialSecretSig,
      value: "corpus-token-value",
    });
  });
});
