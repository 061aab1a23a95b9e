import { ACM_CERTIFICATE_ARN, AWS_DOCS } from "../../src/model";
import { read, show, type ResourcePolicyDefinition } from "../support";
import { LISTENERS, EVERYWHERE, known } from "./shared";

export const listenerCertificateInRegion: ResourcePolicyDefinition = {
  name: "listener-certificate-in-stack-region",
  description:
    "Checks whether every load balancer listener's certificate is an ACM certificate of the listener's own region and partition.",
  severity: "high",
  documentation: AWS_DOCS.acmRegions,
  remediationSteps:
    "Set envstack:loadBalancer.certificateArn to a certificate requested or imported in the stack's aws:region (ACM certificates cannot be copied between regions).",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (!LISTENERS.includes(args.type)) return;
    const arn = known(report, args.props, "certificateArn");
    if (arn === undefined || arn.value === undefined || arn.value === null) return;
    const region = args.provider ? read(args.provider.props, "region") : undefined;
    if (region === undefined || !region.known || typeof region.value !== "string") {
      report(
        `Cannot check the region of ${args.name}'s certificate: its provider's region is not known to the pack.`,
        { level: "advisory" },
      );
      return;
    }
    const parts = typeof arn.value === "string" ? ACM_CERTIFICATE_ARN.exec(arn.value) : null;
    if (!parts) {
      report(
        `Set certificateArn on ${args.name} to an ACM certificate ARN (arn:aws:acm:${region.value}:<account>:certificate/<id>): found ${show(arn.value)}.`,
      );
      return;
    }
    if (parts[1] !== "aws" || parts[2] !== region.value) {
      report(
        `Set certificateArn on ${args.name} to a certificate in ${region.value} (arn:aws:acm:${region.value}:...): the load balancer uses ACM certificates of its own region only, found ${show(arn.value)}.`,
      );
    }
  },
};
