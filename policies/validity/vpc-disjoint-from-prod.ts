import { AWS_DOCS, overlaps, parseIpv4Block, environments } from "../../src/model";
import { baselineOf, stackFileSettings } from "../baselines";
import { ofType, read, show, type StackPolicyDefinition } from "../support";
import { VPC } from "./shared";

export const vpcDisjointFromProd: StackPolicyDefinition = {
  name: "vpc-disjoint-from-prod",
  description:
    "Checks whether the stack's VPCs stay clear of the committed prod stack's network range, so the environments can be peered or routed to each other.",
  severity: "medium",
  documentation: AWS_DOCS.vpcPeeringOverlap,
  remediationSteps:
    "Give envstack:network.cidr a range that does not overlap prod's (network ranges may differ between stacks; they must not collide).",
  // Prod is the baseline itself. An overlap is refused when the VPCs are peered, not when they
  // are created, which is why dev only hears about it.
  levels: { development: "advisory", "production-like": "mandatory", production: "disabled" },
  suppressible: true,
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    const production = environments().production;
    if (stack === production) return;
    const baseline = baselineOf(settings, production);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const prodCidr = baseline.spec.network.cidr;
    const prod = parseIpv4Block(prodCidr);
    if (prod === undefined) return;
    for (const vpc of ofType(args.resources, VPC)) {
      const cidr = read(vpc.props, "cidrBlock");
      if (!cidr.known) {
        report(`Cannot check cidrBlock of ${vpc.name} during preview: ${cidr.reason}.`, {
          level: "advisory",
          urn: vpc.urn,
        });
        continue;
      }
      const block = typeof cidr.value === "string" ? parseIpv4Block(cidr.value) : undefined;
      if (block === undefined || !overlaps(block, prod)) continue;
      report(
        `Move ${vpc.name}'s cidrBlock ${show(cidr.value)} off prod's ${prodCidr}: ${stack} and prod networks must not overlap (peering between overlapping VPCs fails).`,
        { urn: vpc.urn },
      );
    }
  },
};
