import { isDigestPinned } from "../../src/model";
import type { ResourcePolicyDefinition } from "../support";
import { TASK_DEFINITION, containersOf } from "./shared";

export const imagesPinnedByDigest: ResourcePolicyDefinition = {
  name: "images-pinned-by-digest",
  description:
    "Checks whether every container of a task definition runs an image pinned by digest (<registry>/<repository>@sha256:<digest>).",
  severity: "high",
  remediationSteps:
    "Reference the image by the digest CI built (`envstack promote` writes it into the stack file); never by a tag, which can move.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type !== TASK_DEFINITION) return;
    const result = containersOf(args.props);
    if (!result.ok) {
      if (result.known) report(`Declare containerDefinitions as a JSON list: ${result.reason}.`);
      else report(`Cannot check images during preview: ${result.reason}.`, { level: "advisory" });
      return;
    }
    for (const c of result.containers) {
      if (isDigestPinned(c.image)) continue;
      report(
        `Pin container ${c.name} to an image digest: ${stack} runs only images pinned as <registry>/<repository>@sha256:<digest> (found ${c.image || "no image"}).`,
      );
    }
  },
};
