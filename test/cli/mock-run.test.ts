import { execFile } from "node:child_process";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { runUnderMocks, type MockRunOptions } from "../../src/engine/mock-run";
import { ROOT } from "./helpers";

const base: Omit<MockRunOptions, "program"> = {
  project: "envstack",
  stack: "dev",
  config: { "aws:region": "eu-west-1" },
  region: "eu-west-1",
};

/** A role: its `name` is computed by the provider, so the mocks leave it unknown in a preview. */
function role() {
  return new aws.iam.Role("app", { assumeRolePolicy: "{}" });
}

describe("runUnderMocks: exports", () => {
  it("settles an export the mocks never resolve as unknown, as the engine records it", async () => {
    const started = Date.now();
    const { outputs, resources } = await runUnderMocks({
      ...base,
      timeoutMs: 10_000,
      program: () => {
        const r = role();
        return {
          name: r.name,
          upper: r.name.apply((n) => n.toUpperCase()),
          both: pulumi.all([r.arn, r.name]).apply(([arn, n]) => `${arn}/${n}`),
          arn: r.arn,
          list: [r.name, "plain"],
          nested: { id: r.id, later: Promise.resolve(3) },
          secret: pulumi.secret("s3cret"),
        };
      },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(resources.map((r) => r.type)).toEqual(["aws:iam/role:Role"]);
    expect(outputs).toEqual({
      name: unknownValue,
      upper: unknownValue,
      both: unknownValue,
      arn: "arn:aws:iam::123456789012:role/app",
      list: [unknownValue, "plain"],
      nested: { id: "app-id", later: 3 },
      secret: "s3cret",
    });
  });

  it("fails, naming the export, when an export never settles", async () => {
    await expect(
      runUnderMocks({
        ...base,
        timeoutMs: 300,
        program: () => ({ ready: Promise.resolve(1), stuck: new Promise(() => undefined) }),
      }),
    ).rejects.toThrow("the program did not finish within 0.3 s: waiting for export stuck");
  });

  it("does not let a library caller's process exit 0 with no output on an unknown export", async () => {
    const script = `
      const aws = require("@pulumi/aws");
      const { runUnderMocks } = require(${JSON.stringify(path.join(ROOT, "dist/src/engine/mock-run.js"))});
      runUnderMocks({
        project: "envstack", stack: "dev", config: { "aws:region": "eu-west-1" }, region: "eu-west-1",
        program: () => ({ name: new aws.iam.Role("app", { assumeRolePolicy: "{}" }).name }),
      }).then((r) => console.log(JSON.stringify(r.outputs)));
    `;
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ["-e", script], { cwd: ROOT }, (err, stdout) =>
        resolve({ code: err ? Number(err.code) : 0, stdout }),
      );
    });
    expect(run).toEqual({ code: 0, stdout: `${JSON.stringify({ name: unknownValue })}\n` });
  });
});
