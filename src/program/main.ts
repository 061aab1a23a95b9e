import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigErrors,
  environments,
  loadEnvironments,
  loadGuardedSpecs,
  loadSpecFromEngineConfig,
  projectDirAbove,
  stackFilesFromEnvironment,
  useEnvironments,
  type EnvironmentSpec,
} from "../model";
import { declareEnvironment } from ".";

/*
 * The program Pulumi.yaml names (`main: dist/src/program/main.js`): requiring it reads the stack's config
 * and declares the environment. The library, which declares nothing when imported, is
 * `./index` (the package's main).
 */

/**
 * The project directory (Pulumi.yaml, envstack.yaml and the stack files). Not the working
 * directory: when `main` names a file, the engine starts the program in that file's directory
 * (dist/src here), not the project's:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/engine/project.go#L45-L73.
 * The engine hands the program the project's root directory (the language host's
 * `--root-directory`, which the SDK reads into `pulumi.runtime.getRootDirectory()`:
 * sdk/nodejs/cmd/run/index.ts, `PULUMI_NODEJS_ROOT_DIRECTORY`), so a project whose `main` points
 * elsewhere (an example beside this package) is still found. Without it (the SDK's mocks), the
 * nearest directory holding a Pulumi.yaml above this file and outside node_modules: an
 * application that installs envstack names this file, or `envstack/program`, from its own
 * project.
 */
function projectDir(): string {
  const root = pulumi.runtime.getRootDirectory();
  if (path.isAbsolute(root) && fs.existsSync(path.join(root, "Pulumi.yaml"))) return root;
  return projectDirAbove(__dirname) ?? process.cwd();
}

function readSpecs(): { spec: EnvironmentSpec; guarded: EnvironmentSpec[] } {
  try {
    // The chain of environments (envstack.yaml beside Pulumi.yaml, or the default) comes first:
    // the stack's name and its role are judged against it.
    useEnvironments(loadEnvironments(projectDir()));
    const spec = loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());
    // The committed stack files, or those ENVSTACK_STACK_FILES names (the gate's --config-file);
    // checked in every stack, so a wrong value fails where it is set, not only in prod.
    const files = stackFilesFromEnvironment(projectDir(), process.env);
    const guarded = environments().holdsGuards(spec.stack) ? loadGuardedSpecs(spec, files) : [];
    return { spec, guarded };
  } catch (err) {
    // A RunError ends the program with its message alone: the operator needs the file and key,
    // not a stack trace.
    if (err instanceof ConfigErrors) throw new pulumi.RunError(err.message);
    throw err;
  }
}

// Config is read and validated once, before any resource is declared.
const { spec, guarded } = readSpecs();

// Pulumi takes a program's exports from module.exports.
export = declareEnvironment(spec, guarded);
