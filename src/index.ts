import * as pulumi from "@pulumi/pulumi";
import { loadSpecFromEngineConfig } from "./model";
import { declareEnvironment } from "./program";

// Config is read and validated once, before any resource is declared.
const spec = loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());

// Pulumi takes a program's exports from module.exports.
export = declareEnvironment(spec);
