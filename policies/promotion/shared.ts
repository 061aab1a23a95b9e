import type { PolicyResource } from "@pulumi/policy";
import {
  environments,
  hookDetailsAt,
  MIGRATE_STAGE,
  type EnvironmentSpec,
  type StackName,
} from "../../src/model";
import { baselineOf } from "../baselines";
import {
  isRecord,
  isUnknown,
  ofType,
  parseJson,
  read,
  show,
  whenKnown,
  type Report,
  type StackPolicyDefinition,
} from "../support";

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

export interface Images {
  readonly taskDefinition: PolicyResource;
  readonly container: Container;
}

export function declaredImages(resources: readonly PolicyResource[], report: Report): Images[] {
  const out: Images[] = [];
  for (const r of ofType(resources, TASK_DEFINITION)) {
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
 * The images a stack file names, each with the keys naming it: each service's image and the X-Ray
 * daemon sidecar's. These are the only image fields
 * of the config contract (src/model/schema.ts).
 */
export function namedImages(spec: EnvironmentSpec): ReadonlyMap<string, readonly string[]> {
  const named = new Map<string, string[]>();
  const add = (key: string, image: string | undefined) => {
    if (image === undefined) return;
    named.set(image, [...(named.get(image) ?? []), key]);
  };
  for (const [name, service] of Object.entries(spec.services)) {
    add(`services.${name}.image`, service.image);
  }
  add("observability.xrayDaemonImage", spec.observability.xrayDaemonImage);
  return named;
}

/** An ECS service's migration hook: the version it migrates to (undefined: not a string). */
export interface DeclaredMigration {
  readonly ecsService: PolicyResource;
  readonly version: string | undefined;
}

/**
 * The migration each ECS service runs: the `version` of its lifecycle hook at PRE_SCALE_UP
 * (src/model/rollout.ts migrateHookDetails), read off the declared resource so that a hand-edit in
 * code is seen too. A service without such a hook runs no migration; one unknown during preview is
 * an advisory note on it.
 */
export function declaredMigrations(
  resources: readonly PolicyResource[],
  report: Report,
): DeclaredMigration[] {
  const out: DeclaredMigration[] = [];
  for (const r of ofType(resources, ECS_SERVICE)) {
    const details = whenKnown(() =>
      hookDetailsAt(r.props["deploymentConfiguration"], MIGRATE_STAGE),
    );
    if (isUnknown(details)) {
      report(`Cannot check the migration version of ${r.name} during preview: ${details.reason}.`, {
        level: "advisory",
        urn: r.urn,
      });
      continue;
    }
    if (details === undefined || details === null) continue;
    const parsed = typeof details === "string" ? parseJson(details) : details;
    const version = isRecord(parsed) ? parsed["version"] : undefined;
    out.push({ ecsService: r, version: typeof version === "string" ? version : undefined });
  }
  return out;
}

/** The service a task definition runs, by its `service` tag, when known. */
export function serviceOf(taskDefinition: PolicyResource): string | undefined {
  const tags = whenKnown(() => taskDefinition.props["tags"] as unknown);
  const name = isRecord(tags) ? tags["service"] : undefined;
  return typeof name === "string" ? name : undefined;
}

/**
 * A stack runs what the stack it is promoted from validated, service by service, by exact
 * reference (registry, repository and digest):
 * - every service it declares is declared in the source too;
 * - each service's image is the source's committed image of that service;
 * - every container of every task definition, from any registry or repository, runs an image its
 *   own stack file names, and a service's own container (named after the service its task
 *   definition is tagged with) an image named for that service;
 * - and an image the source's stack file names for the same service (or as the sidecar), so
 *   every image it serves traffic with has run in the source. Exempt: a sidecar the source runs
 *   none of (dev without tracing). A rollback goes through the source too (docs/RUNBOOK.md): ECS
 *   rolls a failing deployment back by itself, and the revision it returns to is the one the
 *   stack file named before.
 */
export const promotedFromPrevious: StackPolicyDefinition["validateStack"] = (
  args,
  report,
  context,
) => {
  const source = environments().previous(context.stack);
  if (source !== undefined) promotedFrom(source, context.stack)(args, report, context);
};

export function promotedFrom(
  source: StackName,
  target: StackName,
): StackPolicyDefinition["validateStack"] {
  return (args, report, { settings }) => {
    const from = baselineOf(settings, source);
    const own = baselineOf(settings, target);
    for (const b of [from, own]) if (!b.ok) report(b.message);
    if (!from.ok || !own.ok) return;
    /** Images each service may run: validated in the source, its newest, its previous. */
    const allowed = new Map<string, Set<string>>();
    for (const [name, service] of Object.entries(own.spec.services)) {
      const validated = from.spec.services[name];
      if (validated === undefined) {
        report(
          `Declare service ${name} in ${source}'s stack file first, or remove it from ${target}'s: every service ${target} runs has run in ${source} (${target} declares services.${name}, ${source} does not).`,
        );
        allowed.set(name, new Set());
        continue;
      }
      if (service.image !== validated.image) {
        report(
          `Set services.${name}.image to ${validated.image}: ${target} runs exactly the digest committed for ${source} (${target} declares ${service.image}).`,
        );
      }
      allowed.set(name, new Set([validated.image, service.image]));
      const version = service.migrations?.version;
      const validatedVersion = validated.migrations?.version;
      if (version !== undefined && version !== validatedVersion) {
        report(
          validatedVersion === undefined
            ? `Declare services.${name}.migrations in ${source}'s stack file first, or remove it from ${target}'s: ${target} migrates only to versions ${source} ran (${target} declares version ${version}, ${source} no migration).`
            : `Set services.${name}.migrations.version to ${validatedVersion}: ${target} migrates to exactly the version committed for ${source} (${target} declares ${version}).`,
        );
      }
    }
    // The migration each ECS service runs is the one its stack file names for the service, which
    // the check above holds to the source's: like a container's image, read off the resource.
    for (const { ecsService, version } of declaredMigrations(args.resources, report)) {
      const service = serviceOf(ecsService);
      const named = service === undefined ? undefined : own.spec.services[service]?.migrations;
      if (named !== undefined && version === named.version) continue;
      report(
        named === undefined
          ? `Remove the ${MIGRATE_STAGE} migration hook from ${ecsService.name}, or declare services.${service ?? "<name>"}.migrations in ${target}'s stack file: ${target} runs only the migrations its stack file names (found version ${show(version)}).`
          : `Run migration version ${named.version} in the ${MIGRATE_STAGE} hook of ${ecsService.name}: service ${service} migrates only to the version its stack file names, which ${source} ran (found ${show(version)}).`,
        { urn: ecsService.urn },
      );
    }
    const named = namedImages(own.spec);
    const sourceSidecar = from.spec.observability.xrayDaemonImage;
    const sidecarValidated = (image: string) =>
      sourceSidecar === undefined || sourceSidecar === image;
    const validatedNames = [...namedImages(from.spec).keys()];
    for (const { taskDefinition, container } of declaredImages(args.resources, report)) {
      const on = { urn: taskDefinition.urn };
      const keys = named.get(container.image);
      if (keys === undefined) {
        report(
          `Run ${[...named.keys()].join(" or ")} in container ${container.name} of ${taskDefinition.name}: ${target} runs only the images its stack file names (found ${container.image || "no image"}).`,
          on,
        );
        continue;
      }
      const service = serviceOf(taskDefinition);
      const entry = service !== undefined ? own.spec.services[service] : undefined;
      if (
        entry !== undefined &&
        container.name === service &&
        !keys.some((k) => k.startsWith(`services.${service}.`))
      ) {
        report(
          `Run ${entry.image} in container ${container.name} of ${taskDefinition.name}: service ${service} runs only the images its stack file names for it (found ${container.image}, named as ${keys.join(", ")}).`,
          on,
        );
        continue;
      }
      const ok = keys.some((key) => {
        if (key === "observability.xrayDaemonImage") return sidecarValidated(container.image);
        const name = key.split(".")[1]!;
        return allowed.get(name)?.has(container.image) ?? false;
      });
      if (ok) continue;
      report(
        `Run an image ${source}'s stack file names in container ${container.name} of ${taskDefinition.name} (${validatedNames.join(" or ")}), or promote ${container.image} through ${source} first: every image ${target} runs has run in ${source} (${target} names it as ${keys.join(", ")}).`,
        on,
      );
    }
  };
}

export const ECS_SERVICE = "aws:ecs/service:Service";
export const ECS_TASK_SET = "aws:ecs/taskSet:TaskSet";

/**
 * The family (and revision) a `taskDefinition` reference names. ECS takes `family`,
 * `family:revision` or the full ARN `arn:<partition>:ecs:<region>:<account>:task-definition/
 * <family>:<revision>`, and a bare family runs the family's latest ACTIVE revision
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
 */
export function taskDefinitionRef(
  value: string,
): { family: string; revision?: string } | undefined {
  let rest = value;
  if (value.startsWith("arn:")) {
    const parts = value.split(":");
    if (parts.length !== 7 || parts[2] !== "ecs" || !parts[5]!.startsWith("task-definition/"))
      return undefined;
    rest = `${parts[5]!.slice("task-definition/".length)}:${parts[6]}`;
  }
  const match = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(rest);
  if (!match) return undefined;
  return match[2] === undefined ? { family: match[1]! } : { family: match[1]!, revision: match[2] };
}
