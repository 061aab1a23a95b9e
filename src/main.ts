import * as pulumi from "@pulumi/pulumi";
import {
  ConfigErrors,
  holdsGuards,
  loadGuardedSpecs,
  loadSpecFromEngineConfig,
  projectDirAbove,
  stackFilesFromEnvironment,
  type EnvironmentSpec,
} from "./model";
import { declareEnvironment } from "./program";

/*
 * The program Pulumi.yaml names (`main: dist/src/main.js`): requiring it reads the stack's config
 * and declares the environment. The library, which declares nothing when imported, is
 * `./index` (the package's main).
 */

/**
 * The project directory (Pulumi.yaml and the stack files): the nearest one above this file, not
 * inside node_modules (an application that installs envstack names this file, or
 * `envstack/program`, from its own project). Not the working directory: when `main` names a
 * file, the engine starts the program in that file's directory (dist/src here), not the
 * project's:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/engine/project.go#L45-L73
 */
function projectDir(): string {
  return projectDirAbove(__dirname) ?? process.cwd();
}

function readSpecs(): { spec: EnvironmentSpec; environments: EnvironmentSpec[] } {
  try {
    const spec = loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());
    // The committed stack files, or those ENVSTACK_STACK_FILES names (the gate's --config-file);
    // checked in every stack, so a wrong value fails where it is set, not only in prod.
    const files = stackFilesFromEnvironment(projectDir(), process.env);
    const environments = holdsGuards(spec.stack) ? loadGuardedSpecs(spec, files) : [];
    return { spec, environments };
  } catch (err) {
    // A RunError ends the program with its message alone: the operator needs the file and key,
    // not a stack trace.
    if (err instanceof ConfigErrors) throw new pulumi.RunError(err.message);
    throw err;
  }
}

// Config is read and validated once, before any resource is declared.
const { spec, environments } = readSpecs();

// Pulumi takes a program's exports from module.exports.
export = declareEnvironment(spec, environments);
