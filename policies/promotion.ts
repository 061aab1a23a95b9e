import type { PolicyResource } from "@pulumi/policy";
import { imageDigest, isDigestPinned, type StackName } from "../src/model";
import { baselineOf, stackFileSettings } from "./baselines";
import {
  isRecord,
  parseJson,
  read,
  type Report,
  type ResourcePolicyDefinition,
  type StackPolicyDefinition,
} from "./support";

export const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";

export interface Container {
  readonly name: string;
  readonly image: string;
}

/** The containers of a task definition's `containerDefinitions` (a JSON string), or why not. */
export function containersOf(
  props: unknown,
): { ok: true; containers: Container[] } | { ok: false; known: boolean; reason: string } {
  const raw = read(props, "containerDefinitions");
  if (!raw.known) return { ok: false, known: false, reason: raw.reason };
  const parsed = parseJson(raw.value);
  if (!Array.isArray(parsed)) {
    return {
      ok: false,
      known: true,
      reason: "containerDefinitions is not a JSON list of container definitions",
    };
  }
  const containers: Container[] = [];
  parsed.forEach((c: unknown, i) => {
    const name = isRecord(c) && typeof c["name"] === "string" ? c["name"] : `#${i}`;
    const image = isRecord(c) && typeof c["image"] === "string" ? c["image"] : "";
    containers.push({ name, image });
  });
  return { ok: true, containers };
}

/** `<registry>/<repository>` of an image reference, without tag or digest. */
export function repositoryOf(image: string): string {
  const at = image.indexOf("@");
  const bare = at >= 0 ? image.slice(0, at) : image;
  const slash = bare.lastIndexOf("/");
  const colon = bare.lastIndexOf(":");
  return colon > slash ? bare.slice(0, colon) : bare;
}

export const imagesPinnedByDigest: ResourcePolicyDefinition = {
  name: "images-pinned-by-digest",
  description:
    "Checks whether every container of a task definition runs an image pinned by digest (<registry>/<repository>@sha256:<digest>).",
  severity: "high",
  remediationSteps:
    "Reference the image by the digest CI built (`envstack promote` writes it into the stack file); never by a tag, which can move.",
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
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

interface Images {
  readonly taskDefinition: PolicyResource;
  readonly container: Container;
}

function declaredImages(resources: readonly PolicyResource[], report: Report): Images[] {
  const out: Images[] = [];
  for (const r of resources) {
    if (r.type !== TASK_DEFINITION) continue;
    const result = containersOf(r.props);
    if (!result.ok) {
      if (!result.known)
        report(`Cannot check the images of ${r.name} during preview: ${result.reason}.`, {
          level: "advisory",
          urn: r.urn,
        });
      continue;
    }
    for (const container of result.containers) out.push({ taskDefinition: r, container });
  }
  return out;
}

/**
 * A stack runs the digest committed for the stack it is promoted from: its newest image (the
 * rollout's nextImage when one is in progress, else image) carries the source's digest, and its
 * task definitions run no other build of the application than the images its stack file names.
 */
function promotedFrom(
  source: StackName,
  target: StackName,
): StackPolicyDefinition["validateStack"] {
  return (args, report, { settings }) => {
    const from = baselineOf(settings, source);
    const own = baselineOf(settings, target);
    for (const b of [from, own]) if (!b.ok) report(b.message);
    if (!from.ok || !own.ok) return;
    const sourceImage = from.spec.service.image;
    const deployment = own.spec.service.deployment;
    const newest = deployment.nextImage ?? own.spec.service.image;
    const field = deployment.nextImage ? "service.deployment.nextImage" : "service.image";
    if (imageDigest(newest) === undefined || imageDigest(newest) !== imageDigest(sourceImage)) {
      report(
        `Set ${field} to ${sourceImage}: ${target} runs exactly the digest committed for ${source} (${target} declares ${newest}).`,
      );
    }
    const named = new Set([own.spec.service.image, deployment.nextImage].filter((i) => i));
    const repository = repositoryOf(sourceImage);
    for (const { taskDefinition, container } of declaredImages(args.resources, report)) {
      if (repositoryOf(container.image) !== repository || named.has(container.image)) continue;
      report(
        `Run ${[...named].join(" or ")} in container ${container.name} of ${taskDefinition.name}: ${target} runs only the images its stack file names (found ${container.image}).`,
        { urn: taskDefinition.urn },
      );
    }
  };
}

export const prodRunsStageDigest: StackPolicyDefinition = {
  name: "prod-runs-stage-digest",
  description:
    "Checks whether prod's newest image is exactly the digest committed for stage, and whether prod's task definitions run only the images Pulumi.prod.yaml names.",
  severity: "critical",
  remediationSteps:
    "Promote with `envstack promote --to prod`, which copies stage's committed digest into Pulumi.prod.yaml; do not edit image references in code. This policy cannot be suppressed.",
  levels: { dev: "disabled", stage: "disabled", prod: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateStack: promotedFrom("stage", "prod"),
};

export const stageRunsDevDigest: StackPolicyDefinition = {
  name: "stage-runs-dev-digest",
  description:
    "Checks whether stage's newest image is the digest dev runs, and whether stage's task definitions run only the images Pulumi.stage.yaml names.",
  severity: "medium",
  remediationSteps:
    "Promote with `envstack promote --to stage`, which copies dev's digest into Pulumi.stage.yaml. Advisory: dev moves on continuously.",
  levels: { dev: "disabled", stage: "advisory", prod: "disabled" },
  suppressible: true,
  settings: stackFileSettings,
  validateStack: promotedFrom("dev", "stage"),
};

export const promotionPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  imagesPinnedByDigest,
  prodRunsStageDigest,
  stageRunsDevDigest,
];
