import * as fs from "node:fs";
import * as path from "node:path";
import {
  environments,
  ConfigErrors,
  loadSpecFromFile,
  parseSpec,
  projectDirAbove,
  STACK_FILES_VARIABLE,
  stackFileName,
  stackFilesFromEnvironment,
  type EnvironmentSpec,
  type StackName,
  stackFileOf,
} from "../src/model";
import { packDir, packPath, type Setting, type Settings } from "./support";

/**
 * The setting naming the stack file a stack uses: `<stack>StackFile`. Every policy that reads
 * stack files takes the same keys, so one map (the gate hands `stackFiles(projectDir,
 * --config-file overrides)`) reaches every policy, and no policy builds a path itself.
 */
export function stackFileKey(stack: StackName): string {
  return `${stack}StackFile`;
}

/**
 * The setting holding a stack's baseline itself: `<stack>Stack`, the `config:` map of its stack
 * file. A published pack runs where no project directory exists (`pulumi policy publish` uploads
 * the pack directory alone: policies/baseline-config.ts PUBLISHED), so it takes its baselines from
 * here.
 */
export function stackConfigKey(stack: StackName): string {
  return `${stack}Stack`;
}

const defaultStackFile = (stack: StackName) => `../Pulumi.${stack}.yaml`;

/**
 * The baseline settings of a policy that reads stack files: per stack, its stack file's config
 * map and its stack file's path, so one policy config (the same keys) serves every stack's run.
 * The map, when given, wins. The path's default is the project the pack sits in
 * (`pulumi preview --policy-pack policies`): its Pulumi.<stack>.yaml, next to Pulumi.yaml.
 */
export function stackFileSettings(): Record<string, Setting> {
  return Object.fromEntries(
    environments().names.flatMap((stack) => [
      [
        stackConfigKey(stack),
        {
          type: "object",
          description: `The config: map of Pulumi.${stack}.yaml: the ${stack} baseline, validated as the program validates the file. Given, ${stackFileKey(stack)} is not read (see "Baselines" above).`,
          default: {},
        } satisfies Setting,
      ],
      [
        stackFileKey(stack),
        {
          type: "string",
          description: `The stack file ${stack} uses, relative to the pack directory. Left at the default, Pulumi.${stack}.yaml in the project the pack sits in, or the file ENVSTACK_STACK_FILES names for ${stack} (see "Baselines" above).`,
          default: defaultStackFile(stack),
        } satisfies Setting,
      ],
    ]),
  );
}

/**
 * The project a pack directory sits in: the nearest directory above it holding a Pulumi.yaml,
 * outside node_modules, as the program finds its own (src/model/stack-files.ts). None for a
 * published pack, which the CLI installs as
 * `~/.pulumi/policies/<org>/pulumi-analyzer-<name>-v<version>`
 * (https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/backend/httpstate/policypack.go#L83-L89,
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/workspace/plugins.go#L1996-L2016).
 */
export function projectDirOf(pack: string): string | undefined {
  return projectDirAbove(path.dirname(path.resolve(pack)));
}

/**
 * A stack's baseline, the one place that resolves it: the `<stack>Stack` map the policy config
 * gives; else the stack file `<stack>StackFile` names; else, left at its default, the file the
 * program reads: the project's Pulumi.<stack>.yaml, or the one ENVSTACK_STACK_FILES names.
 * `pulumi preview` starts the pack with the CLI's environment (`constructEnv` begins with
 * `os.Environ()`:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go),
 * so a run with ENVSTACK_STACK_FILES set judges against the files the program declared from.
 * With none of these (a published pack not given its baselines) the baseline is a message.
 */
export function baselineOf(
  settings: Settings,
  stack: StackName,
  /** The pack directory the defaults are found from. */
  pack: string = packDir(),
): Baseline {
  const given = settings.record(stackConfigKey(stack));
  if (Object.keys(given).length > 0) return configBaseline(given, stack);
  const configured = settings.text(stackFileKey(stack));
  if (configured !== defaultStackFile(stack))
    return loadBaseline(path.resolve(pack, configured), stack);
  const project = projectDirOf(pack);
  if (process.env[STACK_FILES_VARIABLE] === undefined) {
    return project === undefined
      ? noBaseline(stack, pack)
      : loadBaseline(path.join(project, stackFileName(stack)), stack);
  }
  let files: Readonly<Record<StackName, string>>;
  try {
    files = stackFilesFromEnvironment(project ?? path.resolve(pack, ".."), process.env);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    return fixFirst(stack, err);
  }
  return loadBaseline(stackFileOf(files, stack), stack);
}

export type Baseline =
  | { readonly ok: true; readonly spec: EnvironmentSpec }
  | { readonly ok: false; readonly message: string };

const fixFirst = (stack: StackName, err: ConfigErrors): Baseline => ({
  ok: false,
  message: `Fix the ${stack} baseline before this check can run: ${err.message.replace(/\n/g, "; ")}`,
});

function noBaseline(stack: StackName, pack: string): Baseline {
  return {
    ok: false,
    message: `Give the policy the ${stack} baseline before this check can run: the pack runs outside a project (no Pulumi.yaml above ${pack}), so it has no Pulumi.${stack}.yaml to read. Set ${stackConfigKey(stack)} in the policy config to the config: map of Pulumi.${stack}.yaml (\`envstack policies --config\` prints a policy config holding every baseline), or ${stackFileKey(stack)} to the stack file's path.`,
  };
}

const configs = new Map<string, Baseline>();
const CONFIGS_KEPT = 16;

/**
 * Validates a stack file's config map given in the policy config, as the program validates the
 * file. Every resource a policy judges asks again: the result is kept by the map's text.
 */
function configBaseline(values: Readonly<Record<string, unknown>>, stack: StackName): Baseline {
  const key = `${stack}\0${JSON.stringify(values)}`;
  const hit = configs.get(key);
  if (hit) return hit;
  let baseline: Baseline;
  try {
    baseline = {
      ok: true,
      spec: parseSpec(stack, values, `policy config ${stackConfigKey(stack)}`),
    };
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    baseline = fixFirst(stack, err);
  }
  if (configs.size >= CONFIGS_KEPT) configs.delete(configs.keys().next().value!);
  configs.set(key, baseline);
  return baseline;
}

const cache = new Map<string, { mtimeMs: number; baseline: Baseline }>();

/**
 * Loads a committed stack file through the model (same validation and defaults as the program).
 * A broken or missing file is a reportable message, never an exception.
 */
export function loadBaseline(file: string, stack: StackName): Baseline {
  const resolved = packPath(file);
  let mtimeMs = -1;
  try {
    mtimeMs = fs.statSync(resolved).mtimeMs;
  } catch {
    // loadSpecFromFile reports the unreadable file with its path.
  }
  const key = `${stack}:${resolved}`;
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === mtimeMs && mtimeMs >= 0) return hit.baseline;
  let baseline: Baseline;
  try {
    baseline = { ok: true, spec: loadSpecFromFile(resolved, stack) };
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    baseline = fixFirst(stack, err);
  }
  cache.set(key, { mtimeMs, baseline });
  return baseline;
}
