import { isSet, read, show, type ResourcePolicyDefinition } from "../support";
import {
  GITHUB_SECRETS,
  GITHUB_VARIABLES,
  SECRET_NAME,
  SECRET_VALUE,
  reportSecretVariable,
} from "./shared";

export const noPlaintextGithubSecrets: ResourcePolicyDefinition = {
  name: "no-plaintext-github-secrets",
  description:
    "Checks whether GitHub Actions secrets are given encrypted (never plaintextValue) and no Actions variable holds what looks like a secret.",
  severity: "critical",
  remediationSteps:
    "Give secrets as encryptedValue (sealed with the repository's public key) or set them outside Pulumi; keep only non-secret values (ARNs, regions, URLs) in variables.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    if (GITHUB_SECRETS.includes(args.type)) {
      // An unknown plaintextValue is still a plaintext value, only computed later.
      const plain = read(args.props, "plaintextValue");
      if (!plain.known || isSet(plain.value))
        report(
          `Set encryptedValue instead of plaintextValue on ${args.name}: secrets never pass through the program in plain text.`,
        );
      return;
    }
    if (!GITHUB_VARIABLES.includes(args.type)) return;
    const name = read(args.props, "variableName");
    if (name.known && typeof name.value === "string" && SECRET_NAME.test(name.value)) {
      reportSecretVariable(report, name.value, "name", args.name);
      return;
    }
    const value = read(args.props, "value");
    if (!value.known) return; // A computed value (an ARN, a URL) is not a literal secret.
    if (typeof value.value === "string" && SECRET_VALUE.some((p) => p.test(value.value as string)))
      reportSecretVariable(report, name.known ? show(name.value) : args.name, "value", args.name);
  },
};
