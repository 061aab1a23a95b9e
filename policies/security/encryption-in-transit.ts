import { REPLICATION_GROUP } from "../data-safety";
import { expectProp, fsbp, isTrue, read, show, type ResourcePolicyDefinition } from "../support";
import { LISTENER, isHttpsRedirect } from "./shared";

export const encryptionInTransit: ResourcePolicyDefinition = {
  name: "encryption-in-transit",
  description:
    "Checks whether caches encrypt traffic in transit and load balancer listeners serve HTTPS, with plain HTTP only redirecting to HTTPS.",
  severity: "high",
  framework: fsbp(
    "ELB.1",
    "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS",
  ),
  remediationSteps:
    "Set transitEncryptionEnabled on ElastiCache replication groups; serve listeners over HTTPS with the environment's certificate, and make any HTTP listener a redirect to HTTPS.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type === REPLICATION_GROUP) {
      expectProp(
        report,
        args.props,
        "transitEncryptionEnabled",
        isTrue,
        `Set transitEncryptionEnabled to true on ${args.name}: ${stack} encrypts cache traffic in transit.`,
      );
    }
    if (args.type !== LISTENER) return;
    const protocol = read(args.props, "protocol");
    if (!protocol.known) {
      report(`Cannot check protocol during preview: ${protocol.reason}.`, { level: "advisory" });
      return;
    }
    if (protocol.value === "HTTPS" || protocol.value === "TLS") return;
    if (protocol.value === "HTTP" || protocol.value === undefined) {
      const actions = read(args.props, "defaultActions");
      if (!actions.known) {
        report(`Cannot check defaultActions during preview: ${actions.reason}.`, {
          level: "advisory",
        });
        return;
      }
      const list = Array.isArray(actions.value) ? actions.value : [];
      if (list.length > 0 && list.every(isHttpsRedirect)) return;
      report(
        `Make ${args.name} redirect to HTTPS: ${stack} serves plain HTTP only to redirect it.`,
      );
      return;
    }
    report(
      `Serve ${args.name} over HTTPS or TLS: ${stack} encrypts traffic in transit (found ${show(protocol.value)}).`,
    );
  },
};
