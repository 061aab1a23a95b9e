import { SAMPLE } from "../../test/harness/sample";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  environments,
  ConfigErrors,
  loadGuardedSpecs,
  loadSpecFromFile,
  stackFiles,
  stackFileOf,
} from ".";

const ROOT = path.resolve(__dirname, "../..");

/** A project directory holding the committed stack files, `edit` applied to one of them. */
function project(stack: string, edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-guards-"));
  for (const s of environments().names) {
    const text = fs.readFileSync(path.join(ROOT, `Pulumi.${s}.yaml`), "utf8");
    fs.writeFileSync(path.join(dir, `Pulumi.${s}.yaml`), s === stack ? edit(text) : text);
  }
  return dir;
}

function errorsOf(dir: string): string[] {
  const files = stackFiles(dir);
  const guards = loadSpecFromFile(
    stackFileOf(files, environments().production),
    environments().production,
  );
  try {
    loadGuardedSpecs(guards, files);
    return [];
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
}

describe("the guards stack reads every environment's stack file", () => {
  it("loads the committed stacks, in promotion order", () => {
    const files = stackFiles(ROOT);
    const specs = loadGuardedSpecs(
      loadSpecFromFile(stackFileOf(files, environments().production), environments().production),
      files,
    );
    expect(specs.map((s) => s.stack)).toEqual([...environments().names]);
  });

  it("takes an overridden file for one stack, the project's for the others", () => {
    const files = stackFiles(ROOT, { dev: "/elsewhere/Pulumi.dev.yaml" });
    expect(files.dev).toBe("/elsewhere/Pulumi.dev.yaml");
    expect(files.stage).toBe(path.join(ROOT, "Pulumi.stage.yaml"));
  });

  it("refuses an environment in another repository", () => {
    const dir = project("dev", (t) =>
      t.replace(`repository: ${SAMPLE.repository}`, "repository: forked"),
    );
    expect(errorsOf(dir)).toEqual([
      `${path.join(dir, "Pulumi.dev.yaml")}: envstack:github: expected owner/repository ${SAMPLE.owner}/${SAMPLE.repository}, as in Pulumi.prod.yaml: one repository holds every environment's guards, found string "${SAMPLE.owner}/forked"`,
    ]);
  });

  it("refuses an environment of another app", () => {
    const dir = project("stage", (t) =>
      t.replace(`envstack:app: ${SAMPLE.app}`, "envstack:app: payments"),
    );
    expect(errorsOf(dir)).toEqual([
      `${path.join(dir, "Pulumi.stage.yaml")}: envstack:app: expected ${SAMPLE.app}, as in Pulumi.prod.yaml: every environment belongs to one app, found string "payments"`,
    ]);
  });

  it("refuses a mix of named and unnamed accounts", () => {
    const dir = project("stage", (t) =>
      t.replace(
        `envstack:app: ${SAMPLE.app}`,
        `envstack:app: ${SAMPLE.app}\n  envstack:accountId: "210987654321"`,
      ),
    );
    expect(errorsOf(dir)).toEqual([
      `${path.join(dir, "Pulumi.stage.yaml")}: envstack:accountId: expected no account id, as Pulumi.prod.yaml sets none: in the shared-account layout no environment names one, found string "210987654321"`,
    ]);
  });

  it("reports a broken environment file by its own file and key", () => {
    const dir = project("dev", (t) => t.replace("storageGb: 20", "storageGb: lots"));
    expect(errorsOf(dir)).toHaveLength(1);
    expect(errorsOf(dir)[0]).toMatch(
      new RegExp(
        `^${path.join(dir, "Pulumi.dev.yaml").replace(/[.]/g, "\\.")}: envstack:database\\.storageGb: `,
      ),
    );
  });

  it("refuses a missing environment file", () => {
    const dir = project("dev", (t) => t);
    fs.rmSync(path.join(dir, "Pulumi.stage.yaml"));
    expect(errorsOf(dir)).toEqual([
      `${path.join(dir, "Pulumi.stage.yaml")}: (file): expected a readable stack file, found ENOENT`,
    ]);
  });
});
