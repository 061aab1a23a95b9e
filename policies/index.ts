import { PolicyPack } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { isStackName, STACKS } from "../src/model";
import { PACK_NAME, policiesFor } from "./catalog";

const stack = pulumi.getStack();
if (!isStackName(stack)) {
  throw new Error(`${PACK_NAME}: stack: expected one of ${STACKS.join(", ")}, found "${stack}"`);
}

new PolicyPack(PACK_NAME, { policies: policiesFor(stack) });
