import * as path from "node:path";
import { environments, type StackName } from "./environments";
import { ConfigError, ConfigErrors, describeFound } from "./errors";
import { physicalPrefix } from "./naming";
import { loadSpecFromFile, stackFileName, type EnvironmentSpec } from "./spec";

/**
 * Which stack file each stack uses: one map, built once and handed to the program (the guards
 * stack reads every environment's committed settings) and to the gate. `overrides` replace
 * single files (the gate's `--config-file`).
 */
export function stackFiles(
  projectDir: string,
  overrides: Readonly<Partial<Record<StackName, string>>> = {},
): Readonly<Record<StackName, string>> {
  return Object.fromEntries(
    environments().names.map((stack) => [
      stack,
      path.resolve(overrides[stack] ?? path.join(projectDir, stackFileName(stack))),
    ]),
  ) as Record<StackName, string>;
}

/** The file `stack` uses in a map `stackFiles` made; every stack of the chain has one. */
export function stackFileOf(files: Readonly<Record<StackName, string>>, stack: StackName): string {
  const file = files[stack];
  if (file === undefined) {
    throw new Error(`no stack file for ${stack}: the map names ${Object.keys(files).join(", ")}`);
  }
  return file;
}

/**
 * The GitHub App id of GitHub Actions. A required status check bound to it is satisfied only by
 * a check run GitHub Actions reports, never by a commit status any token with `statuses: write`
 * can post. The id is the `app.id` of every Actions check run
 * (https://docs.github.com/en/rest/checks/runs, field `app`; rulesets' `integration_id`:
 * https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset).
 */
export const GITHUB_ACTIONS_APP_ID = 15368;

/**
 * IAM path of the CI deploy roles and the permissions boundaries. The environment's own roles
 * live at the root path named `<app>-<stack>-*`; nothing at `/ci/` ever matches that, so a deploy
 * role can neither edit nor pass itself, nor change its environment's boundary.
 */
export const CI_IAM_PATH = "/ci/";

/** The name of an environment's CI deploy role: `<app>-<stack>-deploy`. */
export function deployRoleName(stack: StackName, app: string): string {
  return `${physicalPrefix(stack, app)}-deploy`;
}

/**
 * The ARN of an environment's CI deploy role. The role is declared by the environment's own
 * stack; the guards stack publishes it in the environment's GitHub variables by this name, so it
 * never reads another stack's state.
 */
export function deployRoleArn(
  partition: string,
  accountId: string,
  stack: StackName,
  app: string,
): string {
  return `arn:${partition}:iam::${accountId}:role${CI_IAM_PATH}${deployRoleName(stack, app)}`;
}

/** What the guards stack needs from every environment's settings. */
export interface GuardedSettings {
  readonly stack: StackName;
  readonly file: string;
  readonly app: string;
  readonly github: { readonly owner: string; readonly repository: string };
  readonly accountId?: string;
}

/**
 * Every environment's guards live in one repository: the one the guards stack names. An
 * environment naming another repository (or app) is refused before anything is declared.
 */
export function guardIssues(
  guards: GuardedSettings,
  environments: readonly GuardedSettings[],
): ConfigError[] {
  const errors: ConfigError[] = [];
  const home = `${guards.github.owner}/${guards.github.repository}`;
  // Either every environment names its account (separate accounts) or none does (one shared
  // account): a mix would publish a deploy role in an account the environment never runs in.
  const layout = (env: GuardedSettings) => (env.accountId !== undefined ? "set" : "unset");
  for (const env of environments) {
    if (env.stack === guards.stack) continue;
    const repo = `${env.github.owner}/${env.github.repository}`;
    if (repo.toLowerCase() !== home.toLowerCase()) {
      errors.push(
        new ConfigError(
          env.file,
          "envstack:github",
          `owner/repository ${home}, as in ${path.basename(guards.file)}: one repository holds every environment's guards`,
          describeFound(repo),
        ),
      );
    }
    if (layout(env) !== layout(guards)) {
      errors.push(
        new ConfigError(
          env.file,
          "envstack:accountId",
          guards.accountId !== undefined
            ? `an account id, as ${path.basename(guards.file)} sets one: with separate accounts every environment names its own`
            : `no account id, as ${path.basename(guards.file)} sets none: in the shared-account layout no environment names one`,
          describeFound(env.accountId),
        ),
      );
    }
    if (env.app !== guards.app) {
      errors.push(
        new ConfigError(
          env.file,
          "envstack:app",
          `${guards.app}, as in ${path.basename(guards.file)}: every environment belongs to one app`,
          describeFound(env.app),
        ),
      );
    }
  }
  return errors;
}

/**
 * Every environment's spec, for the guards stack: its own, and the others' from their stack
 * files. All problems are reported at once; nothing is declared while any remains.
 */
export function loadGuardedSpecs(
  guards: EnvironmentSpec,
  files: Readonly<Record<StackName, string>>,
): EnvironmentSpec[] {
  const errors: ConfigError[] = [];
  const specs: EnvironmentSpec[] = [];
  for (const stack of environments().names) {
    if (stack === guards.stack) {
      specs.push(guards);
      continue;
    }
    try {
      specs.push(loadSpecFromFile(stackFileOf(files, stack), stack));
    } catch (err) {
      if (err instanceof ConfigErrors) errors.push(...err.errors);
      else throw err;
    }
  }
  errors.push(...guardIssues(guards, specs));
  if (errors.length > 0) throw new ConfigErrors(errors);
  return specs;
}

/** Where GitHub looks for code owners first: https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-file-location */
export const CODEOWNERS_PATH = ".github/CODEOWNERS";

/**
 * The CODEOWNERS file: every path owned by the configured owners. GitHub reads it from the pull
 * request's base branch, so a change to it needs the current owners' review; teams are written
 * `@<org>/<team>` and must have write access, users `@<login>` (same page, "CODEOWNERS syntax").
 */
export function codeownersText(
  owner: string,
  codeOwners: readonly string[],
  source: string,
): string {
  const owners = codeOwners.map((o) => (o.startsWith("@") ? o : `@${owner}/${o}`));
  return [
    `# Generated by \`envstack codeowners\` from ${source} (envstack:github.codeOwners): edit that`,
    "# key and regenerate. Pull requests into main need one of these owners' approval.",
    `* ${owners.join(" ")}`,
    "",
  ].join("\n");
}
