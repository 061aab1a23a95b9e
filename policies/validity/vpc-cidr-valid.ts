import { AWS_DOCS, networkOf, parseIpv4Block } from "../../src/model";
import { show, type ResourcePolicyDefinition } from "../support";
import { VPC, EVERYWHERE, known } from "./shared";

export const vpcCidrValid: ResourcePolicyDefinition = {
  name: "vpc-cidr-valid",
  description:
    "Checks whether every VPC's IPv4 block is a network address (no host bits set) from /16 to /28.",
  severity: "high",
  documentation: AWS_DOCS.createVpc,
  remediationSteps:
    "Set envstack:network.cidr to a network address from /16 to /20 (the program's subnet carving needs /20 or larger), such as 10.30.0.0/16.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== VPC) return;
    const cidr = known(report, args.props, "cidrBlock");
    // An IPAM pool allocates the block instead: nothing to check here.
    if (cidr === undefined || cidr.value === undefined || cidr.value === null) return;
    const block = typeof cidr.value === "string" ? parseIpv4Block(cidr.value) : undefined;
    if (block === undefined) {
      report(`Set cidrBlock on ${args.name} to an IPv4 CIDR block: found ${show(cidr.value)}.`);
      return;
    }
    if (block.prefix < 16 || block.prefix > 28) {
      report(
        `Set cidrBlock on ${args.name} to a block from /16 to /28: AWS creates no VPC of ${show(cidr.value)}.`,
      );
    }
    const network = networkOf(block);
    if (network !== cidr.value) {
      report(`Set cidrBlock on ${args.name} to ${network}: ${show(cidr.value)} has host bits set.`);
    }
  },
};
