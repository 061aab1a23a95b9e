import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { z } from "zod";
import {
  environments,
  configErrorsFromIssues,
  loadSpecFromFile,
  parseSpec,
  readInputFile,
  readStackConfigText,
  stackFileName,
  stackFileOf,
  stackFiles,
  type StackName,
  useEnvironments,
} from "../model";
import { fnmatch } from "../model/fnmatch";
import { chainOf, GateError } from "../engine/gate";
import { EXIT, emit, processIo, reportError, parseOptions, type Io } from "./io";
import { defaultProjectDir } from "../engine/paths";

export const RELEASE_NOTES_USAGE = `Usage: envstack release-notes --stack <name> --tag <tag> --commit <sha> [options]

Prints the record of a release, in Markdown, for the GitHub release the deploy job creates: the
image digest and migration version of every service the stack runs, the deployment of the stack before it that ran those
digests, and who approved the deployment. GitHub appends the changes since the previous release
(\`gh release create --generate-notes\`).

Options:
  -s, --stack <name>               The stack released (one whose environment guards release tags).
      --tag <tag>                  The release tag.
      --commit <sha>               The commit deployed.
      --approvals <file>           The run's review history: GitHub's JSON from
                                   GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals.
      --source-deployments <file>  Deployments of the stack before it, each GitHub's deployment
                                   object with its \`statuses\` list (GET .../deployments/{id}/statuses).
      --project-dir <dir>          The project (Pulumi.yaml and the stack files); its git history
                                   gives the source stack's file at each deployment's commit.
                                   Defaults to the nearest directory holding a Pulumi.yaml
                                   from the current one up, else this package.
  -o, --output <file>              Write the notes to a file instead of stdout.
  -h, --help                       This help.`;

/**
 * An entry of a workflow run's review history, as GitHub returns it:
 * https://docs.github.com/en/rest/actions/workflow-runs#get-the-review-history-for-a-workflow-run
 */
const approvalSchema = z.looseObject({
  state: z.string({ error: "a string (approved, rejected or pending)" }),
  user: z.looseObject({ login: z.string({ error: "the reviewer's login" }) }),
  environments: z.array(z.looseObject({ name: z.string({ error: "an environment name" }) }), {
    error: "the list of environments the review covered",
  }),
  comment: z.string().nullish(),
});

/**
 * A deployment with its statuses, as GitHub returns them:
 * https://docs.github.com/en/rest/deployments/deployments#list-deployments and
 * https://docs.github.com/en/rest/deployments/statuses#list-deployment-statuses
 */
const deploymentSchema = z.looseObject({
  sha: z.string({ error: "the deployed commit's SHA" }),
  environment: z.string({ error: "the deployment's environment" }),
  created_at: z.string({ error: "the deployment's creation time" }),
  statuses: z.array(
    z.looseObject({
      state: z.string({ error: "a deployment status state" }),
      created_at: z.string().nullish(),
      log_url: z.string().nullish(),
      environment_url: z.string().nullish(),
    }),
    { error: "the deployment's statuses (GET .../deployments/{id}/statuses)" },
  ),
});

export type Approval = z.infer<typeof approvalSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;

/** A deployment's newest status: by creation time where given, else GitHub's order (newest first). */
export function latestStatus(d: Deployment): Deployment["statuses"][number] | undefined {
  return d.statuses.reduce<Deployment["statuses"][number] | undefined>(
    (newest, s) =>
      newest === undefined || (s.created_at ?? "") > (newest.created_at ?? "") ? s : newest,
    undefined,
  );
}

function readJsonList<T>(file: string, schema: z.ZodType<T>, what: string): T[] {
  let parsed: unknown;
  const text = readInputFile(file);
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GateError(`${file}: expected ${what} as JSON: ${(err as Error).message}`);
  }
  const result = z.array(schema, { error: `a JSON list of ${what}` }).safeParse(parsed);
  if (!result.success) throw configErrorsFromIssues(file, parsed, result.error.issues);
  return result.data;
}

/** What a release record says. */
export interface ReleaseRecord {
  readonly stack: StackName;
  readonly tag: string;
  readonly commit: string;
  /** Every service's image, as the released stack file names it. */
  readonly images: Readonly<Record<string, string>>;
  /** The migration version of each service that migrates, as the released stack file names it. */
  readonly migrations?: Readonly<Record<string, string>>;
  /** The stack promoted from, when there is one. */
  readonly source?: StackName;
  /** The source stack's deployment that ran these images, when one was found. */
  readonly validatedBy?: { readonly sha: string; readonly url: string | undefined };
  /** Why no validating deployment is named, when none is. */
  readonly unvalidated?: string;
  /** Who approved the stack's deployment in this run. */
  readonly approvers: readonly { readonly login: string; readonly comment: string }[];
}

/** Reviewers who approved this stack's environment in the run (rejections and pendings are not approvals). */
export function approversOf(
  approvals: readonly Approval[],
  stack: StackName,
): ReleaseRecord["approvers"] {
  return approvals
    .filter((a) => a.state === "approved" && a.environments.some((e) => e.name === stack))
    .map((a) => ({ login: a.user.login, comment: a.comment ?? "" }));
}

/**
 * The source stack's deployment that validated the release: a successful deployment (its newest
 * status `success`) of the released commit or of one of its parents (main merges the commit stage
 * deployed: the required-deployments rule asks for that commit's deployment), whose stack file at
 * that commit names the very images released. Newest first.
 */
export function validatingDeployment(
  deployments: readonly Deployment[],
  options: {
    readonly source: StackName;
    readonly commits: readonly string[];
    readonly images: Readonly<Record<string, string>>;
    /** The source stack's images at a commit, or undefined when its file cannot be read there. */
    readonly imagesAt: (sha: string) => Readonly<Record<string, string>> | undefined;
  },
): { readonly found?: Deployment; readonly why?: string } {
  const candidates = deployments
    .filter((d) => d.environment === options.source && options.commits.includes(d.sha))
    .filter((d) => latestStatus(d)?.state === "success")
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  if (candidates.length === 0) {
    return {
      why: `no successful ${options.source} deployment of ${options.commits.map((c) => c.slice(0, 12)).join(" or ")}`,
    };
  }
  const same = (images: Readonly<Record<string, string>> | undefined) =>
    images !== undefined &&
    Object.keys(images).length === Object.keys(options.images).length &&
    Object.entries(options.images).every(([name, image]) => images[name] === image);
  const found = candidates.find((d) => same(options.imagesAt(d.sha)));
  return found
    ? { found }
    : {
        why: `the ${options.source} deployments of ${candidates.map((d) => d.sha.slice(0, 12)).join(", ")} ran other images than these, or their stack file could not be read at that commit`,
      };
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** The release notes GitHub shows above its generated list of changes. */
export function releaseNotesMarkdown(record: ReleaseRecord): string {
  const lines = [
    `## ${record.stack} ${record.tag}`,
    "",
    `Deployed from commit \`${record.commit}\`.`,
    "",
    "| Service | Image | Migration version |",
    "| --- | --- | --- |",
    ...Object.entries(record.images)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, image]) => {
        const version = record.migrations?.[name];
        return `| ${cell(name)} | \`${cell(image)}\` | ${version === undefined ? "none" : `\`${cell(version)}\``} |`;
      }),
    "",
  ];
  if (record.source !== undefined) {
    lines.push(
      record.validatedBy !== undefined
        ? `Validated in ${record.source} by the deployment of \`${record.validatedBy.sha}\`${record.validatedBy.url ? ` (${record.validatedBy.url})` : ""}, which ran these images.`
        : `**Not validated in ${record.source}:** ${record.unvalidated ?? "no deployment found"}.`,
      "",
    );
  }
  lines.push(
    record.approvers.length > 0
      ? `Approved for ${record.stack} by ${record.approvers
          .map((a) => `@${a.login}${a.comment ? ` ("${cell(a.comment)}")` : ""}`)
          .join(", ")}.`
      : `**No approval of the ${record.stack} deployment is recorded in this run.**`,
    "",
  );
  return lines.join("\n");
}

/** Runs git in `dir` with a time limit; undefined when it fails. */
function git(dir: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", [...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30_000,
      maxBuffer: 16 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
}

const imagesOf = (services: Readonly<Record<string, { readonly image: string }>>) =>
  Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.image]));

/** `envstack release-notes`: returns the exit code. */
export function runReleaseNotes(argv: readonly string[], io: Io = processIo): number {
  try {
    const values = parseOptions(
      argv,
      {
        stack: { type: "string", short: "s" },
        tag: { type: "string" },
        commit: { type: "string" },
        approvals: { type: "string" },
        "source-deployments": { type: "string" },
        "project-dir": { type: "string" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
      RELEASE_NOTES_USAGE,
    );
    if (values.help) {
      io.stdout(`${RELEASE_NOTES_USAGE}\n`);
      return EXIT.ok;
    }
    const projectDir = path.resolve(values["project-dir"] ?? defaultProjectDir());
    useEnvironments(chainOf(projectDir));
    const stack = values.stack;
    if (!environments().has(stack) || environments().get(stack).tags.length === 0) {
      const releasing = environments().names.filter((s) => environments().get(s).tags.length > 0);
      throw new GateError(
        `--stack: expected a stack whose environment guards release tags (${releasing.join(", ")}), found ${JSON.stringify(stack ?? null)}`,
      );
    }
    const tag = values.tag ?? "";
    if (
      !environments()
        .get(stack)
        .tags.some((pattern) => fnmatch(pattern, tag))
    ) {
      throw new GateError(
        `--tag: expected a tag matching ${environments().get(stack).tags.join(" or ")} (the ${stack} tag ruleset guards those), found ${JSON.stringify(tag)}`,
      );
    }
    const commit = values.commit ?? "";
    if (!/^[0-9a-f]{40}$/.test(commit)) {
      throw new GateError(
        `--commit: expected a full 40-hex commit SHA, found ${JSON.stringify(commit)}`,
      );
    }
    const released = loadSpecFromFile(stackFileOf(stackFiles(projectDir), stack), stack);
    const images = imagesOf(released.services);
    const migrations = Object.fromEntries(
      Object.entries(released.services).flatMap(([name, s]) =>
        s.migrations === undefined ? [] : [[name, s.migrations.version] as const],
      ),
    );
    const approvals =
      values.approvals !== undefined
        ? readJsonList(values.approvals, approvalSchema, "workflow run reviews")
        : [];
    const source = environments().previous(stack);
    let validation: Pick<ReleaseRecord, "validatedBy" | "unvalidated"> = {};
    if (source !== undefined) {
      const deployments =
        values["source-deployments"] !== undefined
          ? readJsonList(values["source-deployments"], deploymentSchema, "deployments")
          : [];
      // The commit and its parents: `git rev-list --parents -n 1 <sha>` prints both.
      const commits = git(projectDir, ["rev-list", "--parents", "-n", "1", commit])
        ?.trim()
        .split(/\s+/) ?? [commit];
      const sourceFile = stackFileName(source);
      const { found, why } = validatingDeployment(deployments, {
        source,
        commits,
        images,
        imagesAt: (sha) => {
          const text = git(projectDir, ["show", `${sha}:./${sourceFile}`]);
          if (text === undefined) return undefined;
          try {
            const file = `${sha.slice(0, 12)}:${sourceFile}`;
            return imagesOf(parseSpec(source, readStackConfigText(text, file), file).services);
          } catch {
            return undefined;
          }
        },
      });
      validation = found
        ? {
            validatedBy: {
              sha: found.sha,
              url:
                latestStatus(found)?.log_url ?? latestStatus(found)?.environment_url ?? undefined,
            },
          }
        : { unvalidated: why ?? "no deployment found" };
    }
    const record: ReleaseRecord = {
      stack,
      tag,
      commit,
      images,
      migrations,
      ...(source !== undefined ? { source } : {}),
      ...validation,
      approvers: approversOf(approvals, stack),
    };
    emit(io, releaseNotesMarkdown(record), values.output);
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "release-notes", err, false);
  }
}
