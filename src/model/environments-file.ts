import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import {
  DEFAULT_ENVIRONMENTS,
  Environments,
  isTrunk,
  PRESET_NAMES,
  PRESETS,
  ROLES,
  WORK_BRANCH_PATTERNS,
  type DeclaredEnvironment,
} from "./environments";
import { ConfigError, ConfigErrors, configErrorsFromIssues, describeFound } from "./errors";
import { readInputFile, UnreadableFile } from "./files";
import { matchedByAny } from "./fnmatch";

/**
 * The file, beside Pulumi.yaml, where the operator declares the application's environments in
 * promotion order. Without it the chain is the default: dev, stage, prod (src/model/environments.ts
 * DEFAULT_DECLARATION). Adding an environment is one entry here plus its `Pulumi.<name>.yaml`.
 */
export const ENVIRONMENTS_FILE = "envstack.yaml";

/**
 * An environment's name is its stack's name and part of every physical name
 * (`<app>-<stack>-...`, src/aws/naming.ts): lowercase letters and digits, at most 8, so the
 * tightest AWS name (a target group's 32 characters) keeps room for the app and the service.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{0,7}$/;

/**
 * A branch or tag pattern as GitHub rulesets and environment branch policies take it (fnmatch,
 * `*` within a segment, `**` across): no spaces, no leading `refs/`, no leading or trailing `/`
 * (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#using-fnmatch-syntax).
 */
const refPattern = z
  .string({ error: "a branch or tag pattern (a string)" })
  .regex(/^(?!refs\/)(?!\/)[^\s~^:?\\[]+(?<!\/)$/, {
    error: "a branch or tag pattern such as main or release/* (no refs/ prefix, no spaces)",
  });

const environmentSchema = z.strictObject({
  name: z.string({ error: "an environment name (a string)" }).regex(ENVIRONMENT_NAME, {
    error: "an environment name: a lowercase letter, then at most 7 lowercase letters or digits",
  }),
  role: z.enum(ROLES, { error: `one of ${ROLES.join(", ")}` }),
  branches: z
    .array(refPattern, { error: "a list of branch patterns" })
    .min(1, { error: "at least one branch the environment deploys from" }),
  tags: z.array(refPattern, { error: "a list of tag patterns" }).optional(),
});

const fileSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES, { error: `one of ${PRESET_NAMES.join(", ")}` }).optional(),
  environments: z
    .array(environmentSchema, { error: "a list of environments in promotion order" })
    .min(2, { error: "at least two environments: production and the one that validates it" })
    .optional(),
});

const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  root: ["preset", "environments"],
  environment: ["name", "role", "branches", "tags"],
};

/**
 * What a chain must satisfy beyond its shape, as errors naming the key: unique names; each
 * branch pattern owned by one environment (a push deploys exactly one); development first, then
 * production-like, then the one production environment, last, right after a production-like one
 * (production deploys only what a production-like environment ran); tags on production only
 * (they are its releases); no environment deploying from a work branch.
 */
export function chainIssues(declared: readonly DeclaredEnvironment[], file: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const at = (index: number, key: string) => `environments[${index}].${key}`;
  const seen = new Map<string, number>();
  declared.forEach((env, i) => {
    const before = seen.get(env.name);
    if (before !== undefined) {
      errors.push(
        new ConfigError(
          file,
          at(i, "name"),
          `a name no other environment has (environments[${before}] is ${env.name})`,
          describeFound(env.name),
        ),
      );
    }
    seen.set(env.name, i);
  });
  const owners: { pattern: string; index: number }[] = [];
  // A trunk (every environment on the very same branches) is the one way to share a branch.
  const trunk = isTrunk(declared);
  declared.forEach((env, i) => {
    env.branches.forEach((pattern, b) => {
      // Two patterns clash when some branch name matches both.
      const clash = trunk
        ? undefined
        : owners.find((o) => o.index !== i && matchedByAny(pattern, [o.pattern]) !== undefined);
      if (clash) {
        errors.push(
          new ConfigError(
            file,
            `${at(i, "branches")}[${b}]`,
            `a branch no other environment deploys from (${declared[clash.index]!.name} deploys from ${clash.pattern}), unless every environment deploys from the same branches (a trunk)`,
            describeFound(pattern),
          ),
        );
      }
      const work = matchedByAny(pattern, WORK_BRANCH_PATTERNS);
      if (work) {
        errors.push(
          new ConfigError(
            file,
            `${at(i, "branches")}[${b}]`,
            `a branch that is not a work branch (${WORK_BRANCH_PATTERNS.join(", ")} merge into ${declared[0]!.name})`,
            describeFound(pattern),
          ),
        );
      }
      owners.push({ pattern, index: i });
    });
  });
  const rank = { development: 0, "production-like": 1, production: 2 } as const;
  const productions = declared.flatMap((e, i) => (e.role === "production" ? [i] : []));
  const last = declared.length - 1;
  if (productions.length !== 1 || productions[0] !== last) {
    errors.push(
      new ConfigError(
        file,
        productions.length === 0
          ? "environments"
          : at(productions.find((i) => i !== last) ?? last, "role"),
        "exactly one environment with role production, the last in the chain",
        productions.length === 0
          ? "none"
          : `production at ${productions.map((i) => `environments[${i}]`).join(", ")}`,
      ),
    );
  }
  declared.forEach((env, i) => {
    const next = declared[i + 1];
    if (next && rank[next.role] < rank[env.role]) {
      errors.push(
        new ConfigError(
          file,
          at(i + 1, "role"),
          `a role no earlier than ${env.role} (the chain goes development, production-like, production)`,
          describeFound(next.role),
        ),
      );
    }
    if (env.role === "production" && i > 0 && declared[i - 1]!.role !== "production-like") {
      errors.push(
        new ConfigError(
          file,
          at(i - 1, "role"),
          "production-like: production deploys only what the environment before it ran, which must mirror it",
          describeFound(declared[i - 1]!.role),
        ),
      );
    }
    if ((env.tags ?? []).length > 0 && env.role !== "production") {
      errors.push(
        new ConfigError(
          file,
          at(i, "tags"),
          "no tags: release tags belong to the production environment",
          describeFound(env.tags),
        ),
      );
    }
  });
  return errors;
}

/**
 * Parses an environments file's text into a chain. Throws ConfigErrors naming the file, the
 * key, what was expected and what was found.
 */
export function parseEnvironmentsFile(text: string, file: string): Environments {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigErrors([
      new ConfigError(
        file,
        "(document)",
        "valid YAML",
        `${first.code}: ${first.message.split("\n")[0]}`,
      ),
    ]);
  }
  const root: unknown = doc.toJS();
  const parsed = fileSchema.safeParse(root);
  if (!parsed.success) {
    throw configErrorsFromIssues(file, root, parsed.error.issues, {
      knownKeys: (at) => (at.length === 0 ? KNOWN_KEYS.root! : KNOWN_KEYS.environment!),
    });
  }
  const { preset, environments } = parsed.data;
  if (preset !== undefined && environments !== undefined) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        "preset",
        "either preset or environments, not both (a preset is a list of environments)",
        `preset: ${preset} and ${environments.length} environments`,
      ),
    ]);
  }
  if (preset === undefined && environments === undefined) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        "environments",
        `a list of environments in promotion order, or preset: one of ${PRESET_NAMES.join(", ")}`,
        "neither",
      ),
    ]);
  }
  const declared = environments ?? PRESETS[preset!];
  const errors = chainIssues(declared, file);
  if (errors.length > 0) throw new ConfigErrors(errors);
  return new Environments(declared);
}

/**
 * The environment variable naming the environments file, for a program or pack that runs away
 * from the project holding it: the gate sets it to `<--project-dir>/envstack.yaml` for the
 * program it runs and the pack processes it starts (both inherit its environment, as under the
 * Pulumi CLI: the language host and the analyzer plugin are started with the CLI's environment,
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/pulumi-language-nodejs/main.go#L912).
 * A relative path is relative to the project directory.
 */
export const ENVIRONMENTS_FILE_VARIABLE = "ENVSTACK_ENVIRONMENTS_FILE";

/** The environments file a project uses: the one the variable names, else its envstack.yaml. */
export function environmentsFile(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const given = env[ENVIRONMENTS_FILE_VARIABLE]?.trim();
  return path.resolve(projectDir, given ? given : ENVIRONMENTS_FILE);
}

/**
 * The chain a project declares: its environments file (`environmentsFile`), or the default
 * chain when there is no file there. Throws ConfigErrors for a file that cannot be read or is
 * wrong.
 */
export function loadEnvironments(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Environments {
  const file = environmentsFile(projectDir, env);
  if (!fs.existsSync(file)) return DEFAULT_ENVIRONMENTS;
  let text: string;
  try {
    text = readInputFile(file);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new ConfigErrors([
      new ConfigError(file, "(file)", "a readable environments file", err.found),
    ]);
  }
  return parseEnvironmentsFile(text, file);
}
