import * as path from "node:path";
import { Scalar, isScalar, parseDocument } from "yaml";
import {
  environments,
  ConfigError,
  ConfigErrors,
  NAMESPACE,
  isDigestPinned,
  loadSpecFromFile,
  parseSpec,
  readInputFile,
  readStackConfigText,
  stackFileName,
  UnreadableFile,
  unwritableReason,
  writeFileAtomic,
  type StackName,
  useEnvironments,
} from "../model";
import { chainOf, GateError, exitCode, readPolicyConfig, runGate } from "../engine/gate";
import { EXIT, emit, processIo, reportError, parseOptions, type Io } from "./io";
import { GATE_OPTIONS, displayPath, gateDirectories } from "../engine/paths";
import { renderText } from "./reports/text";

export const PROMOTE_USAGE = `Usage: envstack promote --to <stack> [--from <stack>] [--service <name>] [--dry-run] [--summary <file>]

Copies the source stack's images (services.<name>.image, pinned by digest) and migration
versions (services.<name>.migrations.version, where the target declares the service's
migrations) into the target's stack file, one service or all of them, and nothing else,
keeping the file's comments and layout. Promotion goes one step forward: dev to stage, stage to prod. A service the target
does not declare yet is not promoted: declare it there first (its size, port and routing).

Refuses (exit 1) when the source stack fails the gate, when an image to promote is not pinned
by digest, or when --service names a service either stack does not declare.

Options:
      --from <stack>          The stack to promote from (default: the one before --to).
      --to <stack>            The stack to promote to (stage or prod).
      --service <name>        Promote this service's image and migration version only
                              (default: every service).
  -n, --dry-run               Print the change without writing it.
      --summary <file>        Also write the change as Markdown, for the pull request a
                              reviewer approves (gh pr create --body-file <file>).
      --policy-config <file>  Policy config for the source's gate run (JSON).
      --policy-pack <dir>     The policy pack directory (default: the project's policies/).
      --project-dir <dir>     The project: its Pulumi.yaml names the program, its
                              Pulumi.<stack>.yaml are the stack files (default: the
                              nearest directory holding a Pulumi.yaml from the current
                              one up, else this package). Holding only stack files,
                              this package's program runs with them.
  -v, --verbose               Stack traces for config and program errors.
  -h, --help                  This help.

Exit codes: 0 promoted (or nothing to change); 1 refused; 2 bad usage or invalid config.`;

const servicePath = (service: string, ...key: string[]) => [
  "config",
  `${NAMESPACE}:services`,
  service,
  ...key,
];

export interface StackFileChange {
  readonly file: string;
  readonly service: string;
  readonly before: string | undefined;
  readonly after: string;
  /** The target file's new text. */
  readonly text: string;
}

/**
 * The value as YAML source in the scalar style the file already uses; a plain scalar YAML would
 * read as another type (a version such as 42 or 1.10) is double-quoted.
 */
function scalarSource(value: string, type: string | undefined): string {
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  return parseDocument(value).toJS() === value ? value : JSON.stringify(value);
}

/**
 * Sets `envstack:services.<service>.image` in a stack file's text. The yaml Document API finds
 * the scalar; its source range is then replaced in the original text, so every other byte
 * (comments, flow lists, quoting, blank lines, the other services) stays as written. A file
 * without the key gets it added through the Document API.
 */
export function setImage(
  text: string,
  file: string,
  service: string,
  image: string,
): StackFileChange {
  return setServiceScalar(text, file, service, ["image"], image);
}

/**
 * Sets `envstack:services.<service>.migrations.version` in a stack file's text, as setImage sets
 * the image: only the scalar's bytes change. The caller sets it only where the target declares
 * the service's migrations (their command is the target's own).
 */
export function setMigrationVersion(
  text: string,
  file: string,
  service: string,
  version: string,
): StackFileChange {
  return setServiceScalar(text, file, service, ["migrations", "version"], version);
}

function setServiceScalar(
  text: string,
  file: string,
  service: string,
  key: readonly string[],
  value: string,
): StackFileChange {
  const at = servicePath(service, ...key);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigErrors([
      new ConfigError(file, "(document)", "valid YAML", doc.errors[0]!.message.split("\n")[0]!),
    ]);
  }
  const node = doc.getIn(at, true);
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    const before = typeof node.value === "string" ? node.value : String(node.value);
    const next = `${text.slice(0, start)}${scalarSource(value, node.type)}${text.slice(end)}`;
    const check = parseDocument(next).getIn(at);
    if (check !== value) {
      throw new ConfigErrors([
        new ConfigError(
          file,
          `${NAMESPACE}:services.${service}.${key.join(".")}`,
          "a value the file can hold",
          value,
        ),
      ]);
    }
    return { file, service, before, after: value, text: next };
  }
  doc.setIn(at, value);
  return { file, service, before: undefined, after: value, text: doc.toString() };
}

interface PromoteArgs {
  readonly from: StackName;
  readonly to: StackName;
  readonly service?: string;
  readonly dryRun: boolean;
  readonly summary?: string;
  readonly policyConfig?: string;
  readonly packDir: string;
  readonly projectDir: string;
}

function parsePromoteArgs(argv: readonly string[]): PromoteArgs | "help" {
  const values = parseOptions(
    argv,
    {
      from: { type: "string" },
      to: { type: "string" },
      service: { type: "string" },
      "dry-run": { type: "boolean", short: "n" },
      summary: { type: "string" },
      ...GATE_OPTIONS,
    },
    PROMOTE_USAGE,
  );
  if (values.help) return "help";
  const directories = gateDirectories(values);
  useEnvironments(chainOf(directories.projectDir));
  const stackArg = (flag: "from" | "to", value: string | undefined): StackName | undefined => {
    if (value === undefined) return undefined;
    if (!environments().has(value)) {
      throw new GateError(
        `--${flag}: unknown stack "${value}": expected one of ${environments().names.join(", ")}`,
      );
    }
    return value;
  };
  const to = stackArg("to", values.to);
  if (to === undefined) throw new GateError(`--to is required\n\n${PROMOTE_USAGE}`);
  const from = stackArg("from", values.from) ?? environments().previous(to);
  if (from === undefined) {
    throw new GateError(`${to} is the first environment: nothing promotes into it`);
  }
  if (environments().next(from) !== to) {
    const order = environments().names.join(" → ");
    const source = environments().previous(to);
    throw new GateError(
      `refusing to promote from ${from} to ${to}: promotion goes one step forward (${order})${source ? `; ${to} receives only from ${source}` : ""}`,
    );
  }
  return {
    from,
    to,
    ...(values.service !== undefined ? { service: values.service } : {}),
    dryRun: values["dry-run"] === true,
    ...(values.summary !== undefined ? { summary: values.summary } : {}),
    ...(values["policy-config"] !== undefined ? { policyConfig: values["policy-config"] } : {}),
    ...directories,
  };
}

/** The target stack file's text; an unreadable one is a config error naming it. */
function readTargetFile(file: string): string {
  try {
    return readInputFile(file);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new ConfigErrors([new ConfigError(file, "(file)", "a readable stack file", err.found)]);
  }
}

interface SummaryRow {
  readonly service: string;
  /** The target's image before; undefined when the target does not declare the service. */
  readonly before: string | undefined;
  /** The image it runs after the promotion; undefined when it is not promoted. */
  readonly after: string | undefined;
  /** The migration version before and after, when either stack migrates the service. */
  readonly migration?: {
    readonly before: string | undefined;
    readonly after: string | undefined;
    /** Why the source's version is not copied, when it is not. */
    readonly held?: string;
  };
}

const code = (text: string) => `\`${text.replace(/`/g, "")}\``;

/**
 * What a reviewer approves, in Markdown: each service's image in the target before and after,
 * and what the promotion does not change.
 */
export function promotionSummary(
  args: Pick<PromoteArgs, "from" | "to">,
  targetFile: string,
  rows: readonly SummaryRow[],
): string {
  const migrated = (r: SummaryRow) =>
    r.migration?.after !== undefined && r.migration.before !== r.migration.after;
  const changed = rows.filter(
    (r) => (r.after !== undefined && r.before !== r.after) || migrated(r),
  );
  const migration = (r: SummaryRow) => {
    const m = r.migration;
    if (m === undefined) return "none";
    if (m.held !== undefined)
      return `${m.before === undefined ? "none" : code(m.before)} (${m.held})`;
    if (m.before === m.after) return `${code(m.after!)} unchanged`;
    return `${m.before === undefined ? "(unset)" : code(m.before)} → ${code(m.after!)}`;
  };
  const lines = [
    `## Promote ${args.from} → ${args.to}`,
    "",
    changed.length > 0
      ? `${changed.length} service(s) of ${args.to} take the image ${args.from} runs and the migration version it migrated to, which passed the gate in ${args.from} (no mandatory violation). Only these image digests and migration versions change in \`${targetFile}\`; every other setting stays ${args.to}'s.`
      : `${args.to} already runs ${args.from}'s images and migration versions: nothing changes.`,
    "",
    `| Service | ${args.to} runs now | after the merge | migration version |`,
    "| --- | --- | --- | --- |",
    ...rows.map((r) =>
      r.after === undefined
        ? `| ${r.service} | not declared | not promoted: declare it in ${args.to} first | — |`
        : r.before === r.after
          ? `| ${r.service} | ${code(r.after)} | unchanged | ${migration(r)} |`
          : `| ${r.service} | ${r.before === undefined ? "(unset)" : code(r.before)} | ${code(r.after)} | ${migration(r)} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

/** `envstack promote`: returns the exit code. */
export async function runPromote(argv: readonly string[], io: Io = processIo): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    const args = parsePromoteArgs(argv);
    if (args === "help") {
      io.stdout(`${PROMOTE_USAGE}\n`);
      return EXIT.ok;
    }
    if (args.summary !== undefined) {
      const reason = unwritableReason(args.summary);
      if (reason !== undefined) throw new GateError(`--summary ${args.summary}: ${reason}`);
    }
    const sourceFile = path.join(args.projectDir, stackFileName(args.from));
    const targetFile = path.join(args.projectDir, stackFileName(args.to));
    const source = loadSpecFromFile(sourceFile, args.from);
    const target = loadSpecFromFile(targetFile, args.to);
    if (args.service !== undefined) {
      for (const [stack, spec, file] of [
        [args.from, source, sourceFile],
        [args.to, target, targetFile],
      ] as const) {
        if (spec.services[args.service] !== undefined) continue;
        io.stderr(
          `envstack promote: refusing: ${displayPath(file)}: ${NAMESPACE}:services has no service "${args.service}" (${stack} declares ${Object.keys(spec.services).join(", ")}).${stack === args.to ? ` Declare it in ${stack} first (its size, port and routing); promotion moves images only.` : ""}\n`,
        );
        return EXIT.violations;
      }
    }
    const selected = args.service !== undefined ? [args.service] : Object.keys(source.services);
    for (const service of selected) {
      const image = source.services[service]!.image;
      if (isDigestPinned(image)) continue;
      io.stderr(
        `envstack promote: refusing: ${displayPath(sourceFile)}: ${NAMESPACE}:services.${service}.image is not pinned by digest (expected <registry>/<repository>@sha256:<64 hex>, found "${image}"). Promotion moves one immutable artifact; pin ${args.from}'s image first.\n`,
      );
      return EXIT.violations;
    }
    const gate = await runGate({
      stacks: [args.from],
      projectDir: args.projectDir,
      packDir: args.packDir,
      ...(args.policyConfig ? { policyConfig: readPolicyConfig(args.policyConfig) } : {}),
    });
    if (exitCode(gate) !== 0) {
      io.stderr(renderText(gate, { color: false }));
      io.stderr(
        `envstack promote: refusing: ${args.from} fails the gate (mandatory violations above); fix ${args.from} before promoting it to ${args.to}.\n`,
      );
      return EXIT.violations;
    }
    let text = readTargetFile(targetFile);
    const changes: StackFileChange[] = [];
    const lines: string[] = [];
    const rows: SummaryRow[] = [];
    for (const service of selected) {
      const key = `${NAMESPACE}:services.${service}.image`;
      if (target.services[service] === undefined) {
        rows.push({ service, before: undefined, after: undefined });
        lines.push(
          `${displayPath(targetFile)}: ${key}: not promoted: ${args.to} does not declare service ${service} (declare it there first: its size, port and routing)\n`,
        );
        continue;
      }
      const change = setImage(text, targetFile, service, source.services[service]!.image);
      if (change.before === change.after) {
        lines.push(
          `${displayPath(targetFile)}: ${key}: already ${args.from}'s (${change.after})\n`,
        );
      } else {
        text = change.text;
        changes.push(change);
        lines.push(
          `${displayPath(targetFile)}: ${key} (${args.from} → ${args.to})\n` +
            `  - ${change.before ?? "(unset)"}\n` +
            `  + ${change.after}\n`,
        );
      }
      // The migration version travels with the image: the target migrates to what the source did.
      const version = source.services[service]!.migrations?.version;
      const current = target.services[service]!.migrations?.version;
      const versionKey = `${NAMESPACE}:services.${service}.migrations.version`;
      let migration: SummaryRow["migration"];
      if (version === undefined) {
        migration =
          current === undefined
            ? undefined
            : { before: current, after: current, held: `${args.from} declares no migration` };
        if (current !== undefined)
          lines.push(
            `${displayPath(targetFile)}: ${versionKey}: not promoted: ${args.from} declares no migration for ${service} (remove ${args.to}'s, or declare it in ${args.from})\n`,
          );
      } else if (current === undefined) {
        migration = {
          before: undefined,
          after: undefined,
          held: `declare services.${service}.migrations in ${args.to} first`,
        };
        lines.push(
          `${displayPath(targetFile)}: ${versionKey}: not promoted: ${args.to} declares no migrations for service ${service} (declare them there first: their command)\n`,
        );
      } else {
        const step = setMigrationVersion(text, targetFile, service, version);
        migration = { before: step.before, after: step.after };
        if (step.before === step.after) {
          lines.push(
            `${displayPath(targetFile)}: ${versionKey}: already ${args.from}'s (${step.after})\n`,
          );
        } else {
          text = step.text;
          changes.push(step);
          lines.push(
            `${displayPath(targetFile)}: ${versionKey} (${args.from} → ${args.to})\n` +
              `  - ${step.before ?? "(unset)"}\n` +
              `  + ${step.after}\n`,
          );
        }
      }
      rows.push({
        service,
        before: change.before,
        after: change.after,
        ...(migration !== undefined ? { migration } : {}),
      });
    }
    io.stdout(lines.join(""));
    if (args.summary !== undefined) {
      emit(io, promotionSummary(args, displayPath(targetFile), rows), args.summary);
    }
    if (changes.length === 0) {
      io.stdout(
        `${args.to} already runs ${args.from}'s images and migration versions; nothing to promote.\n`,
      );
      return EXIT.ok;
    }
    // The target must stay valid with the new values; refuse rather than write a broken file.
    parseSpec(args.to, readStackConfigText(text, targetFile), targetFile);
    if (args.dryRun) {
      io.stdout("Dry run: nothing written.\n");
    } else {
      // Temp file and rename: an interrupted or failed write leaves the stack file as it was.
      writeFileAtomic(targetFile, text);
      io.stdout(`Wrote ${displayPath(targetFile)}.\n`);
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "promote", err, verbose);
  }
}
