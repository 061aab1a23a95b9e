import * as pulumi from "@pulumi/pulumi";
import {
  ConfigErrors,
  holdsGuards,
  loadGuardedSpecs,
  loadSpecFromEngineConfig,
  stackFiles,
  type EnvironmentSpec,
} from "./model";
import { declareEnvironment } from "./program";

function readSpecs(): { spec: EnvironmentSpec; environments: EnvironmentSpec[] } {
  try {
    const spec = loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());
    // The engine starts the program in the project directory (where Pulumi.yaml and the stack
    // files are): https://www.pulumi.com/docs/iac/concepts/projects/project-file/ (`main`).
    const environments = holdsGuards(spec.stack)
      ? loadGuardedSpecs(spec, stackFiles(process.cwd()))
      : [];
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
