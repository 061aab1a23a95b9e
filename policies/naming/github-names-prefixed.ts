import { environments } from "../../src/model";
import { read, type ResourcePolicyDefinition } from "../support";
import { GITHUB_NAMES } from "./shared";

export const githubNamesPrefixed: ResourcePolicyDefinition = {
  name: "github-names-prefixed",
  description:
    "Checks whether GitHub environment variables and secrets are named with their environment's prefix (DEV_, STAGE_, PROD_).",
  severity: "low",
  remediationSteps:
    "Name them with src/model variableName(stack, name), so a workflow can never read another environment's value by mistake.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    const property = GITHUB_NAMES[args.type];
    if (!property) return;
    const name = read(args.props, property);
    const environment = read(args.props, "environment");
    if (!name.known || !environment.known) {
      const [what, reason] = !name.known
        ? [property, name.reason]
        : ["environment", environment.known ? "" : environment.reason];
      report(`Cannot check ${what} during preview: ${reason}.`, { level: "advisory" });
      return;
    }
    // The guards stack declares every environment's variables: each takes its own prefix.
    const owner = environment.value;
    if (!environments().has(owner)) return;
    const prefix = environments().get(owner).variablePrefix;
    const value = typeof name.value === "string" ? name.value : "";
    if (value.startsWith(prefix)) return;
    const other = environments()
      .names.map((s) => environments().get(s).variablePrefix)
      .find((p) => value.startsWith(p));
    const bare = other ? value.slice(other.length) : value;
    report(
      `Rename ${value || args.name} to ${prefix}${bare}: ${owner}'s GitHub environment variables and secrets are prefixed ${prefix}.`,
    );
  },
};
