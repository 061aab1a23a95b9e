import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { environments, type StackName } from "./environments";
import { ConfigError, ConfigErrors, configErrorsFromIssues, describeFound } from "./errors";
import { stackFileOf, stackFiles } from "./guards";

/**
 * The environment variable naming the stack files the program reads besides its own stack's
 * config: the guards stack (prod) declares every environment's guards from dev's and stage's
 * files. The engine hands the program only its own stack's config, so a file other than the
 * committed `<project>/Pulumi.<stack>.yaml` (an edited copy, a directory of stack files) reaches
 * the program through here. Its value is a JSON map of stack names to files, such as
 * `{"stage": "review/Pulumi.stage.yaml"}`; relative paths are relative to the project directory
 * (the one holding Pulumi.yaml), and a stack it does not name uses the committed file. The gate
 * sets it from `--project-dir` and `--config-file`, so `pulumi preview` run with the same value
 * reads the same files. The Node.js language host starts the program with the CLI's environment:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/pulumi-language-nodejs/main.go#L912
 */
export const STACK_FILES_VARIABLE = "ENVSTACK_STACK_FILES";

const SOURCE = `environment variable ${STACK_FILES_VARIABLE}`;

/** The variable's shape for the chain in use: its stacks, each optional. */
const stackFilesSchema = () =>
  z.strictObject(
    Object.fromEntries(
      environments().names.map((stack) => [
        stack,
        z
          .string({ error: "the path of a stack file (a string)" })
          .min(1, { error: "the path of a stack file (a non-empty string)" })
          .optional(),
      ]),
    ) as Record<StackName, z.ZodOptional<z.ZodString>>,
    { error: 'a JSON map of stack names to stack files, such as {"stage": "Pulumi.stage.yaml"}' },
  );

/**
 * Which stack file each stack uses, as the program sees it: the committed files in `projectDir`,
 * replaced by those `ENVSTACK_STACK_FILES` names. Throws ConfigErrors naming the variable, the
 * key, what was expected and what was found.
 */
export function stackFilesFromEnvironment(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<Record<StackName, string>> {
  const raw = env[STACK_FILES_VARIABLE];
  if (raw === undefined || raw.trim() === "") return stackFiles(projectDir);
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    throw new ConfigErrors([
      new ConfigError(
        SOURCE,
        "(value)",
        'a JSON map of stack names to stack files, such as {"stage": "Pulumi.stage.yaml"}',
        `${describeFound(raw)}, which is not JSON`,
      ),
    ]);
  }
  const parsed = stackFilesSchema().safeParse(value);
  if (!parsed.success) {
    throw configErrorsFromIssues(SOURCE, value, parsed.error.issues, {
      knownKeys: () => environments().names,
      root: "(value)",
    });
  }
  const overrides: Partial<Record<StackName, string>> = {};
  for (const stack of environments().names) {
    const file = parsed.data[stack];
    if (file !== undefined) overrides[stack] = path.resolve(projectDir, file);
  }
  return stackFiles(projectDir, overrides);
}

/** The variable's value that makes the program read exactly these stack files. */
export function stackFilesValue(files: Readonly<Record<StackName, string>>): string {
  return JSON.stringify(
    Object.fromEntries(environments().names.map((s) => [s, path.resolve(stackFileOf(files, s))])),
  );
}

/**
 * The project a file or directory sits in: the nearest directory at or above `from` holding a
 * Pulumi.yaml, where the committed stack files are. A directory inside node_modules is an
 * installed package, never the project: the envstack package ships a Pulumi.yaml (the gate runs
 * its program for a directory of stack files), and an application that installs it keeps its
 * stack files next to its own Pulumi.yaml. None outside any project.
 */
export function projectDirAbove(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const installed = dir.split(path.sep).includes("node_modules");
    if (!installed && fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
