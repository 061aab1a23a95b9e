import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Locator,
  configKeyPositions,
  rootCauseOf,
  sourcePositionOf,
  typeOfUrn,
} from "../../src/engine/locations";
import { RDS, STACK_FILE, compiledProgram, stageFixture, urnOf } from "./report-fixtures";

function stackFile(text = STACK_FILE): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-locations-"));
  const file = path.join(dir, "Pulumi.stage.yaml");
  fs.writeFileSync(file, text);
  return file;
}

describe("configKeyPositions", () => {
  it("reads every key under config, nested maps by dotted path, 1-based", () => {
    const keys = configKeyPositions(stackFile());
    expect(keys.get("aws:region")).toEqual({ line: 2, column: 3 });
    expect(keys.get("envstack:database")).toEqual({ line: 4, column: 3 });
    expect(keys.get("envstack:database.multiAz")).toEqual({ line: 8, column: 5 });
    expect(keys.get("envstack:github.requiredApprovals")).toEqual({ line: 12, column: 5 });
  });

  it("has no keys for a missing or unparsable file", () => {
    expect(configKeyPositions("/nonexistent/Pulumi.stage.yaml").size).toBe(0);
    expect(configKeyPositions(stackFile("config: [unclosed\n")).size).toBe(0);
  });
});

describe("rootCauseOf", () => {
  const keys = configKeyPositions(stackFile());
  const primary = urnOf("stage", RDS, "database-primary", "envstack:aws:Database");
  const replica = urnOf("stage", RDS, "database-replica-1");
  const inputs: Record<string, Record<string, unknown>> = {
    [primary]: { multiAz: false },
    [replica]: { replicateSourceDb: "database-primary", multiAz: false },
  };
  const context = { keys, inputsOf: (urn: string) => inputs[urn] };

  it.each([
    ["a parity message", primary, "Set database.multiAz to true on database-primary: x."],
    [
      "a parity note",
      primary,
      "Cannot check database.multiAz on database-primary during preview: x.",
    ],
    [
      "a resource property the parity table maps",
      primary,
      "Set multiAz to true on database-primary: x.",
    ],
  ])("%s names its config key", (_what, urn, message) => {
    expect(rootCauseOf({ urn, message }, context)).toEqual({
      kind: "config",
      key: "envstack:database.multiAz",
    });
  });

  it("a key the message names counts only when the stack file sets it", () => {
    const named =
      "Set requiredApprovingReviewCount to at least 2 on main: stage needs 2, the model's floor or envstack:github.requiredApprovals if higher.";
    expect(rootCauseOf({ urn: "", message: named }, context)).toEqual({
      kind: "config",
      key: "envstack:github.requiredApprovals",
    });
    const unset =
      "Set waitTimer to 5 on the stage environment: envstack:github.waitTimerMinutes holds it.";
    expect(rootCauseOf({ urn: "", message: unset }, context)).toEqual({ kind: "stack" });
  });

  it("a property outside the parity table, or on a resource the filters exclude, is the resource's", () => {
    expect(
      rootCauseOf({ urn: primary, message: "Set storageEncrypted to true on x: y." }, context),
    ).toEqual({
      kind: "resource",
      urn: primary,
    });
    // Multi-AZ is the primary's: a replica's flag is not the database.multiAz key.
    expect(rootCauseOf({ urn: replica, message: "Set multiAz to true on x: y." }, context)).toEqual(
      {
        kind: "resource",
        urn: replica,
      },
    );
  });

  it("a per-service parity key is the service's key, from the message or the resource's service tag", () => {
    const task = urnOf("stage", "aws:ecs/taskDefinition:TaskDefinition", "service-api-task-blue");
    const tagged = { ...context, inputsOf: () => ({ tags: { service: "api" } }) };
    expect(
      rootCauseOf({ urn: task, message: "Set services.api.cpu to 1024 on x: y." }, context),
    ).toEqual({ kind: "config", key: "envstack:services.api.cpu" });
    expect(
      rootCauseOf(
        { urn: "", message: 'Set services to ["api"]: stage must mirror prod.' },
        context,
      ),
    ).toEqual({ kind: "config", key: "envstack:services" });
    expect(rootCauseOf({ urn: task, message: "Set cpu to 1024 on x: y." }, tagged)).toEqual({
      kind: "config",
      key: "envstack:services.api.cpu",
    });
    // Without the tag the service is unknown: the finding stays on the resource.
    expect(
      rootCauseOf(
        { urn: task, message: "Set cpu to 1024 on x: y." },
        { ...context, inputsOf: () => ({}) },
      ),
    ).toEqual({ kind: "resource", urn: task });
  });

  it("a URN no resource has still maps through its type", () => {
    const gone = urnOf("stage", RDS, "gone");
    expect(typeOfUrn(gone)).toBe(RDS);
    expect(rootCauseOf({ urn: gone, message: "Set multiAz to true on gone: y." }, context)).toEqual(
      {
        kind: "config",
        key: "envstack:database.multiAz",
      },
    );
    expect(rootCauseOf({ urn: gone, message: "Remove it." }, context)).toEqual({
      kind: "resource",
      urn: gone,
    });
  });
});

describe("sourcePositionOf", () => {
  it("maps a compiled file's position back to the TypeScript source through its map", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-sourcemap-"));
    const program = compiledProgram(dir);
    expect(program.line).not.toBe(4);
    const mapped = sourcePositionOf({
      uri: pathToFileURL(program.js).href,
      line: program.line,
      column: program.column,
    });
    expect(mapped).toEqual({ file: program.ts, line: 4, column: 3 });
  });

  it("keeps a position it cannot map (TypeScript run directly, no map)", () => {
    expect(sourcePositionOf({ uri: "file:///nowhere/src/index.ts", line: 7, column: 2 })).toEqual({
      file: "/nowhere/src/index.ts",
      line: 7,
      column: 2,
    });
    expect(sourcePositionOf({ uri: "file:///nowhere/dist/index.js", line: 7, column: 2 })).toEqual({
      file: "/nowhere/dist/index.js",
      line: 7,
      column: 2,
    });
  });
});

describe("Locator", () => {
  const f = stageFixture();
  const locator = new Locator(f.verdict);
  const locate = (i: number) => locator.locate(f.verdict.violations[i]!);

  it("puts a config root cause on its key's line, to the end of the line", () => {
    expect(locate(0)).toEqual({
      rootCause: { kind: "config", key: "envstack:database.multiAz" },
      location: { file: f.file, line: 8, column: 5, endColumn: "    multiAz: false".length + 1 },
      at: "config-key",
    });
    expect(locate(1)).toEqual(locate(0));
  });

  it("puts a key the stack file does not set on its nearest ancestor's line", () => {
    const found = locator.locate({ urn: f.primary, message: "Set database.readReplicas to 1: x." });
    expect(found.rootCause).toEqual({ kind: "config", key: "envstack:database.readReplicas" });
    expect(found.location).toMatchObject({ file: f.file, line: 4, column: 3 });
  });

  it("puts a resource root cause where the program declared it, in the TypeScript source", () => {
    expect(locate(2)).toEqual({
      rootCause: { kind: "resource", urn: f.bucket },
      location: {
        file: f.program.ts,
        line: 4,
        column: 3,
        endColumn: "  return make(name);".length + 1,
      },
      at: "declaration",
    });
  });

  it("puts a stack-wide finding and an unknown URN on the stack file's first line", () => {
    expect(locate(3)).toEqual({
      rootCause: { kind: "stack" },
      location: { file: f.file, line: 1, column: 1, endColumn: "config:".length + 1 },
      at: "stack-file",
    });
    expect(locate(4)).toEqual({
      rootCause: { kind: "resource", urn: f.unknown },
      location: { file: f.file, line: 1, column: 1, endColumn: "config:".length + 1 },
      at: "stack-file",
    });
  });
});
