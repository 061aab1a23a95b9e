import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { baselineOf, stackConfigKey } from "../../policies/baselines";
import { policiesFor } from "../../policies/catalog";
import type { Settings } from "../../policies/support";
import { runPolicies } from "../../src/cli/policies";
import type { Io } from "../../src/cli/io";
import {
  environments,
  loadSpecFromFile,
  readStackConfigFile,
  type StackName,
} from "../../src/model";
import { editFile, scratchProject } from "../cli/helpers";

function captured(): Io & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTty: false,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** A policy's settings as the pack resolves them from a policy config entry. */
const settingsOf = (entry: Record<string, unknown>): Settings => ({
  text: () => "",
  number: () => Number.NaN,
  list: () => [],
  numbers: () => [],
  record: (key) => (entry[key] as Record<string, unknown> | undefined) ?? {},
});

describe("envstack policies --config", () => {
  it("gives every policy reading stack files each stack's config map, from the project's files", () => {
    const project = scratchProject();
    editFile(path.join(project, "Pulumi.prod.yaml"), /storageGb: \d+/, "storageGb: 555");
    const io = captured();
    expect(runPolicies(["--config", "--project-dir", project], io)).toBe(0);
    expect(io.err).toBe("");
    const config = JSON.parse(io.out) as Record<string, Record<string, unknown>>;
    const readers = policiesFor("prod")
      .filter((p) =>
        environments().names.some((s) => stackConfigKey(s) in (p.configSchema?.properties ?? {})),
      )
      .map((p) => p.name);
    expect(readers.length).toBeGreaterThan(0);
    expect(Object.keys(config)).toEqual(readers);
    for (const name of readers) {
      expect(Object.keys(config[name]!)).toEqual(environments().names.map(stackConfigKey));
      for (const stack of environments().names) {
        const file = path.join(project, `Pulumi.${stack}.yaml`);
        expect(config[name]![stackConfigKey(stack)]).toEqual(readStackConfigFile(file));
        // The map is the same baseline as the file it came from.
        const baseline = baselineOf(settingsOf(config[name]!), stack as StackName);
        expect(baseline.ok && { ...baseline.spec, file: file }).toEqual(
          loadSpecFromFile(file, stack),
        );
      }
    }
    const prod = config[readers[0]!]![stackConfigKey("prod")] as Record<string, unknown>;
    expect((prod["envstack:database"] as { storageGb: number }).storageGb).toBe(555);
  });

  it("refuses a broken stack file, naming the file and the key, and prints no config", () => {
    const project = scratchProject();
    const file = path.join(project, "Pulumi.stage.yaml");
    editFile(file, /cidr: \S+/, "cidr: not-a-cidr");
    const io = captured();
    expect(runPolicies(["--config", "--project-dir", project], io)).toBe(2);
    expect(io.out).toBe("");
    expect(io.err).toMatch(
      new RegExp(
        `^envstack policies: invalid config:\\n${file}: envstack:network\\.cidr: expected `,
      ),
    );
  });

  it.each([
    [["--config", "--format", "json"], "--format: not with --config, which prints JSON"],
    [["--project-dir", "."], "--project-dir: only with --config"],
  ])("refuses %j", (args, message) => {
    const io = captured();
    expect(runPolicies(args, io)).toBe(2);
    expect(io.out).toBe("");
    expect(io.err.startsWith(`envstack policies: ${message}\n`)).toBe(true);
  });
});
