import * as pulumi from "@pulumi/pulumi";
import { ConfigErrors, loadSpecFromEngineConfig, type EnvironmentSpec } from "./model";
import { declareEnvironment } from "./program";

function readSpec(): EnvironmentSpec {
  try {
    return loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());
  } catch (err) {
    // A RunError ends the program with its message alone: the operator needs the file and key,
    // not a stack trace.
    if (err instanceof ConfigErrors) throw new pulumi.RunError(err.message);
    throw err;
  }
}

// Config is read and validated once, before any resource is declared.
const spec = readSpec();

// Pulumi takes a program's exports from module.exports.
export = declareEnvironment(spec);
