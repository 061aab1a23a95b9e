import * as path from "node:path";
import { PolicyPack } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENTS_FILE, environments, loadEnvironments, useEnvironments } from "../src/model";
import { projectDirOf } from "./baselines";
import { PACK_NAME, policiesFor } from "./catalog";
import { packDir } from "./support";

// The chain of environments the stacks belong to: the environments file ENVSTACK_ENVIRONMENTS_FILE
// names (the gate sets it), else the envstack.yaml of the project above the pack, else, for a
// pack outside any project (published), the envstack.yaml beside its PulumiPolicy.yaml, else
// the default chain. A broken file stops the pack with the file and key.
const pack = packDir();
const project = projectDirOf(pack);
useEnvironments(loadEnvironments(project ?? pack));

const stack = pulumi.getStack();
if (!environments().has(stack)) {
  const where =
    project === undefined
      ? `: a published pack knows the chain of the envstack.yaml beside its PulumiPolicy.yaml (${path.join(pack, ENVIRONMENTS_FILE)}); copy the project's there before publishing`
      : "";
  throw new Error(
    `${PACK_NAME}: stack: expected one of ${environments().names.join(", ")}, found "${stack}"${where}`,
  );
}

new PolicyPack(PACK_NAME, { policies: policiesFor(stack) });
