import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  baselineOf,
  loadBaseline,
  projectDirOf,
  stackConfigKey,
  stackFileKey,
  stackFileSettings,
} from "../../policies/baselines";
import type { Settings } from "../../policies/support";
import {
  environments,
  ConfigErrors,
  loadSpecFromFile,
  readStackConfigFile,
  type StackName,
} from "../../src/model";
import { ROOT } from "../cli/helpers";

/** A copy of a committed stack file in a directory of its own, so it can be edited. */
function copyOf(stack: StackName): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-baselines-"));
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), file);
  return file;
}

const committed = (stack: StackName) => path.join(ROOT, `Pulumi.${stack}.yaml`);

/** Rewrites a file with a later modification time, as an editor saving it would. */
function rewrite(file: string, text: string, secondsLater: number): void {
  fs.writeFileSync(file, text);
  const later = new Date(fs.statSync(file).mtimeMs + secondsLater * 1000);
  fs.utimesSync(file, later, later);
}

/** Settings naming these stacks' files; the others' keys keep their defaults. */
const settingsNaming = (files: Partial<Record<StackName, string>>): Settings => ({
  text: (key) =>
    Object.entries(files).find(([stack]) => stackFileKey(stack as StackName) === key)?.[1] ??
    String(stackFileSettings()[key]?.default ?? ""),
  number: () => Number.NaN,
  list: () => [],
  numbers: () => [],
  record: () => ({}),
});

describe("the stack files a policy reads", () => {
  it("takes two settings per stack: its config map (none by default) and its file", () => {
    expect(environments().names.map(stackFileKey)).toEqual(
      environments().names.map((s) => `${s}StackFile`),
    );
    expect(environments().names.map(stackConfigKey)).toEqual(
      environments().names.map((s) => `${s}Stack`),
    );
    expect(stackFileSettings()).toEqual(
      Object.fromEntries(
        environments().names.flatMap((stack) => [
          [
            `${stack}Stack`,
            {
              type: "object",
              description: `The config: map of Pulumi.${stack}.yaml: the ${stack} baseline, validated as the program validates the file. Given, ${stack}StackFile is not read (see "Baselines" above).`,
              default: {},
            },
          ],
          [
            `${stack}StackFile`,
            {
              type: "string",
              description: `The stack file ${stack} uses, relative to the pack directory. Left at the default, Pulumi.${stack}.yaml in the project the pack sits in, or the file ENVSTACK_STACK_FILES names for ${stack} (see "Baselines" above).`,
              default: `../Pulumi.${stack}.yaml`,
            },
          ],
        ]),
      ),
    );
  });

  it("loads the file a stack's setting names, through the model", () => {
    for (const stack of environments().names) {
      const file = copyOf(stack);
      const baseline = baselineOf(settingsNaming({ [stack]: file }), stack);
      expect(baseline).toEqual({ ok: true, spec: loadSpecFromFile(file, stack) });
    }
  });

  it("loads a file as the stack asked for, whatever its name", () => {
    const file = copyOf("prod");
    const asStage = loadBaseline(file, "stage");
    expect(asStage.ok && asStage.spec.stack).toBe("stage");
    const asProd = loadBaseline(file, "prod");
    expect(asProd.ok && asProd.spec.stack).toBe("prod");
  });

  it("reports a missing file as a message naming the stack and the file, never throwing", () => {
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-")), "gone.yaml");
    const baseline = loadBaseline(missing, "prod");
    expect(baseline.ok).toBe(false);
    const message = (baseline as { message: string }).message;
    expect(message.startsWith("Fix the prod baseline before this check can run: ")).toBe(true);
    expect(message).toContain(missing);
  });

  it("puts every error of a broken file on one line", () => {
    const file = copyOf("prod");
    rewrite(
      file,
      fs
        .readFileSync(file, "utf8")
        .replace(/cidr: \S+/, "cidr: not-a-cidr")
        .replace(/storageGb: \d+/, "storageGb: -1"),
      1,
    );
    let expected = "";
    try {
      loadSpecFromFile(file, "prod");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigErrors);
      expected = (err as Error).message;
    }
    expect(expected.split("\n").length).toBeGreaterThan(1);
    expect(loadBaseline(file, "prod")).toEqual({
      ok: false,
      message: `Fix the prod baseline before this check can run: ${expected.split("\n").join("; ")}`,
    });
  });

  it("reads a file again once it changed, and only then", () => {
    const file = copyOf("prod");
    const first = loadBaseline(file, "prod");
    expect(loadBaseline(file, "prod")).toBe(first);
    const text = fs.readFileSync(file, "utf8");
    rewrite(file, text.replace(/storageGb: \d+/, "storageGb: 321"), 5);
    const second = loadBaseline(file, "prod");
    expect(second).not.toBe(first);
    expect(second.ok && second.spec.database.storageGb).toBe(321);
    // The same file read for another stack is another baseline.
    expect(loadBaseline(file, "stage")).not.toBe(second);
  });

  it("does not remember a missing file: once it exists, it is read", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-baselines-"));
    const file = path.join(dir, "Pulumi.prod.yaml");
    expect(loadBaseline(file, "prod").ok).toBe(false);
    fs.copyFileSync(path.join(ROOT, "Pulumi.prod.yaml"), file);
    expect(loadBaseline(file, "prod").ok).toBe(true);
  });
});

describe("the stack files the program reads reach the policies left at their defaults", () => {
  const defaults: Settings = {
    text: (key) =>
      String((stackFileSettings()[key] as { default?: unknown } | undefined)?.default ?? ""),
    number: () => Number.NaN,
    list: () => [],
    numbers: () => [],
    record: () => ({}),
  };

  function withVariable<T>(value: string | undefined, run: () => T): T {
    const before = process.env["ENVSTACK_STACK_FILES"];
    if (value === undefined) delete process.env["ENVSTACK_STACK_FILES"];
    else process.env["ENVSTACK_STACK_FILES"] = value;
    try {
      return run();
    } finally {
      if (before === undefined) delete process.env["ENVSTACK_STACK_FILES"];
      else process.env["ENVSTACK_STACK_FILES"] = before;
    }
  }

  it("reads the file ENVSTACK_STACK_FILES names, as pulumi preview's program does", () => {
    const file = copyOf("stage");
    const text = fs.readFileSync(file, "utf8");
    rewrite(file, text.replace(/backupRetentionDays: \d+/, "backupRetentionDays: 29"), 5);
    const variable = JSON.stringify({ stage: file });
    const found = withVariable(variable, () => baselineOf(defaults, "stage"));
    expect(found.ok && found.spec.database.backupRetentionDays).toBe(29);
    // A stack the variable does not name keeps the committed file.
    const prod = withVariable(variable, () => baselineOf(defaults, "prod"));
    expect(prod.ok && prod.spec.file).toBe(path.join(ROOT, "Pulumi.prod.yaml"));
    // A setting the policy config gives wins over the variable.
    const committed = path.join(ROOT, "Pulumi.stage.yaml");
    const given = withVariable(variable, () =>
      baselineOf(settingsNaming({ stage: committed }), "stage"),
    );
    expect(given.ok && given.spec.file).toBe(committed);
  });

  it("reports a broken ENVSTACK_STACK_FILES as the baseline's problem, never throws", () => {
    const found = withVariable("{not json", () => baselineOf(defaults, "stage"));
    expect(found.ok).toBe(false);
    expect(!found.ok && found.message).toMatch(
      /^Fix the stage baseline before this check can run: environment variable ENVSTACK_STACK_FILES/,
    );
  });

  it("reads the committed file when the variable is unset", () => {
    const found = withVariable(undefined, () => baselineOf(defaults, "stage"));
    expect(found.ok && found.spec.file).toBe(path.join(ROOT, "Pulumi.stage.yaml"));
  });
});

describe("baselines given in the policy config", () => {
  /** Settings giving `<stack>Stack` maps, and optionally `<stack>StackFile` paths. */
  const settingsGiving = (
    maps: Partial<Record<StackName, Record<string, unknown>>>,
    files: Partial<Record<StackName, string>> = {},
  ): Settings => ({
    ...settingsNaming(files),
    record: (key) =>
      Object.entries(maps).find(([stack]) => stackConfigKey(stack as StackName) === key)?.[1] ?? {},
  });

  it("validates a stack's map as the program validates its file, and prefers it to the file", () => {
    const map = readStackConfigFile(committed("prod"));
    const database = map["envstack:database"] as Record<string, unknown>;
    map["envstack:database"] = { ...database, storageGb: 777 };
    const missing = path.join(os.tmpdir(), "envstack-no-such-dir", "Pulumi.prod.yaml");
    const found = baselineOf(settingsGiving({ prod: map }, { prod: missing }), "prod");
    expect(found.ok && found.spec.database.storageGb).toBe(777);
    expect(found.ok && found.spec.stack).toBe("prod");
    const asFile = loadBaseline(committed("prod"), "prod");
    expect(found.ok && asFile.ok && { ...found.spec, file: "" }).toEqual({
      ...(asFile.ok ? asFile.spec : {}),
      database: { ...(asFile.ok ? asFile.spec.database : {}), storageGb: 777 },
      file: "",
    });
  });

  it("reports a broken map naming the setting and the key, never throwing", () => {
    const map = readStackConfigFile(committed("stage"));
    map["envstack:network"] = { ...(map["envstack:network"] as object), cidr: "not-a-cidr" };
    const found = baselineOf(settingsGiving({ stage: map }), "stage");
    expect(found.ok).toBe(false);
    expect(!found.ok && found.message).toMatch(
      /^Fix the stage baseline before this check can run: policy config stageStack: envstack:network\.cidr: expected /,
    );
  });

  it("reads the map again when it changes", () => {
    const map = readStackConfigFile(committed("dev"));
    const first = baselineOf(settingsGiving({ dev: map }), "dev");
    expect(baselineOf(settingsGiving({ dev: structuredClone(map) }), "dev")).toBe(first);
    map["envstack:app"] = "other-app";
    const second = baselineOf(settingsGiving({ dev: map }), "dev");
    expect(second.ok && second.spec.app).toBe("other-app");
  });

  it("with neither a map nor a project around the pack, says what to give", () => {
    const pack = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-published-"));
    const found = baselineOf(settingsNaming({}), "prod", pack);
    expect(found).toEqual({
      ok: false,
      message: `Give the policy the prod baseline before this check can run: the pack runs outside a project (no Pulumi.yaml above ${pack}), so it has no Pulumi.prod.yaml to read. Set prodStack in the policy config to the config: map of Pulumi.prod.yaml (\`envstack policies --config\` prints a policy config holding every baseline), or prodStackFile to the stack file's path.`,
    });
  });
});

describe("the project a pack sits in", () => {
  it("is the nearest directory above the pack holding a Pulumi.yaml", () => {
    expect(projectDirOf(path.join(ROOT, "policies"))).toBe(ROOT);
    expect(projectDirOf(path.join(ROOT, "dist", "pack"))).toBe(ROOT);
  });

  it("is never an installed package, and none outside any project", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-adopter-"));
    const installed = path.join(project, "node_modules", "envstack");
    fs.mkdirSync(path.join(installed, "policies"), { recursive: true });
    fs.writeFileSync(path.join(installed, "Pulumi.yaml"), "name: envstack\n");
    expect(projectDirOf(path.join(installed, "policies"))).toBeUndefined();
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: adopter\n");
    expect(projectDirOf(path.join(installed, "policies"))).toBe(project);
  });

  it("gives the defaults the project's stack files", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-project-"));
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: adopter\n");
    const file = path.join(project, "Pulumi.stage.yaml");
    fs.copyFileSync(committed("stage"), file);
    const pack = path.join(project, "deep", "pack");
    fs.mkdirSync(pack, { recursive: true });
    const before = process.env["ENVSTACK_STACK_FILES"];
    delete process.env["ENVSTACK_STACK_FILES"];
    try {
      const found = baselineOf(settingsNaming({}), "stage", pack);
      expect(found.ok && found.spec.file).toBe(file);
    } finally {
      if (before !== undefined) process.env["ENVSTACK_STACK_FILES"] = before;
    }
  });
});
