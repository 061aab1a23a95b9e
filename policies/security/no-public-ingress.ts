import { reachesInternet } from "../../src/model";
import { RDS_INSTANCE } from "../data-safety";
import {
  expectProp,
  fsbp,
  isTrue,
  isUnknown,
  show,
  toNumber,
  whenKnown,
  type ResourcePolicyDefinition,
} from "../support";
import { ECS_SERVICE, ingressRules } from "./shared";

export const noPublicIngress: ResourcePolicyDefinition = {
  name: "no-public-ingress",
  description:
    "Checks whether nothing is reachable from the internet except on the allowed public ports (the load balancer's 443, and 80 to redirect): no other ingress from any block holding internet addresses (anything outside private, shared, loopback and link-local space, so 0.0.0.0/1 as much as 0.0.0.0/0), no publicly accessible database, no public IPs on tasks.",
  severity: "critical",
  framework: fsbp(
    "EC2.18",
    "Security groups should only allow unrestricted incoming traffic for authorized ports",
  ),
  remediationSteps:
    "Restrict the ingress to the VPC or to the load balancer's security group; set publiclyAccessible false on databases and assignPublicIp false on services.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    publicPorts: {
      type: "array",
      items: { type: "integer" },
      description: "TCP ports that may be open to the internet.",
      default: [443, 80],
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type === RDS_INSTANCE) {
      expectProp(
        report,
        args.props,
        "publiclyAccessible",
        (v) => !isTrue(v),
        `Set publiclyAccessible to false on ${args.name}: only the load balancer is public in ${stack}.`,
      );
      return;
    }
    if (args.type === ECS_SERVICE) {
      expectProp(
        report,
        args.props,
        "networkConfiguration.assignPublicIp",
        (v) => !isTrue(v),
        `Set assignPublicIp to false on ${args.name}: only the load balancer is public in ${stack}.`,
      );
      return;
    }
    const rules = whenKnown(() => ingressRules(args.type, args.props));
    if (isUnknown(rules)) {
      report(`Cannot check ingress during preview: ${rules.reason}.`, { level: "advisory" });
      return;
    }
    const allowed = settings.numbers("publicPorts");
    for (const rule of rules) {
      const open = rule.cidrs.filter(
        (c): c is string => typeof c === "string" && reachesInternet(c),
      );
      if (open.length === 0) continue;
      const from = toNumber(rule.fromPort);
      const to = toNumber(rule.toPort);
      const tcp = rule.protocol === "tcp" || rule.protocol === "6";
      if (tcp && from === to && allowed.includes(from)) continue;
      const ports =
        rule.protocol === "-1" || rule.protocol === "all"
          ? "all ports"
          : `ports ${show(rule.fromPort)}-${show(rule.toPort)}/${show(rule.protocol)}`;
      report(
        `Remove the ingress from ${open.join(", ")} on ${ports} from ${args.name}: only the load balancer is public in ${stack}, on ports ${allowed.join(", ")}.`,
      );
    }
  },
};
