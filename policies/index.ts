import * as path from "node:path";
import { PolicyPack } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { environments, loadEnvironments, useEnvironments } from "../src/model";
import { projectDirOf } from "./baselines";
import { PACK_NAME, policiesFor } from "./catalog";
import { packDir } from "./support";

// The chain of environments the stacks belong to: the environments file ENVSTACK_ENVIRONMENTS_FILE
// names (the gate sets it), else the envstack.yaml of the project above the pack, else the
// default chain. A broken file stops the pack with the file and key.
const pack = packDir();
useEnvironments(loadEnvironments(projectDirOf(pack) ?? path.resolve(pack, "..")));

const stack = pulumi.getStack();
if (!environments().has(stack)) {
  throw new Error(
    `${PACK_NAME}: stack: expected one of ${environments().names.join(", ")}, found "${stack}"`,
  );
}

new PolicyPack(PACK_NAME, { policies: policiesFor(stack) });
