import * as path from "node:path";
import {
  environments,
  stackFromFileName,
  unwritableReason,
  useEnvironments,
  type StackName,
} from "../model";
import {
  chainOf,
  GateError,
  exitCode,
  readPolicyConfig,
  runGate,
  type GateResult,
} from "../engine/gate";
import { DEFAULT_JUDGE, JUDGE_MODES, isJudgeMode, type JudgeMode } from "../engine/judge";
import { EXIT, emit, processIo, reportError, parseOptions, type Io } from "./io";
import { GATE_OPTIONS, gateDirectories } from "../engine/paths";
import { renderJson } from "./reports/json";
import { renderMarkdown } from "./reports/markdown";
import { renderSarif } from "./reports/sarif";
import { renderText } from "./reports/text";

export const FORMATS = ["text", "json", "sarif", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

export const PREVIEW_USAGE = `Usage: envstack preview [--stack <name> ... | --all] [options]

Runs the program for each stack under the SDK's mocks (no Pulumi CLI, no cloud credentials),
has the policy pack judge every resource, and reports.

Options:
  -s, --stack <name>          A stack to preview (dev, stage, prod); repeat for several.
  -a, --all                   Every stack (the default when no --stack is given).
  -c, --config-file <path>    A stack file replacing the committed Pulumi.<stack>.yaml. Its
                              stack is the one its name denotes (Pulumi.<stack>.yaml), or
                              --stack when exactly one is given and the name denotes none.
                              Every policy reads it. Repeatable.
  -f, --format <format>       text (default), json, sarif or markdown.
  -o, --output <file>         Write the report to a file instead of stdout.
      --policy-config <file>  Policy config (JSON, as \`pulumi preview --policy-config\` takes it).
      --policy-pack <dir>     The policy pack directory (default: the project's policies/).
      --project-dir <dir>     The project: its Pulumi.yaml names the program, its
                              Pulumi.<stack>.yaml are the stack files (default: the
                              nearest directory holding a Pulumi.yaml from the current
                              one up, else this package). Holding only stack files,
                              this package's program runs with them.
      --judge <how>           in-process (default): the pack's policies judged in this process
                              by the @pulumi/policy server's own handlers; pack-process: the
                              pack started as the Pulumi CLI starts it, one process per stack,
                              over the Analyzer gRPC protocol. Both give the same verdicts.
  -v, --verbose               Stack traces for config and program errors.
  -h, --help                  This help.

Exit codes: 0 no mandatory violation; 1 at least one mandatory violation; 2 the config or the
program is wrong (the message names the file and key), or bad usage.`;

export interface PreviewArgs {
  readonly stacks: StackName[];
  readonly configFiles: Partial<Record<StackName, string>>;
  readonly format: Format;
  readonly output?: string;
  readonly policyConfig?: string;
  readonly packDir: string;
  readonly projectDir: string;
  readonly judge: JudgeMode;
  readonly verbose: boolean;
}

/** Parses preview's arguments; throws GateError (exit 2) on bad usage. */
export function parsePreviewArgs(argv: readonly string[]): PreviewArgs | "help" {
  const values = parseOptions(
    argv,
    {
      stack: { type: "string", short: "s", multiple: true },
      all: { type: "boolean", short: "a" },
      "config-file": { type: "string", short: "c", multiple: true },
      format: { type: "string", short: "f" },
      output: { type: "string", short: "o" },
      judge: { type: "string" },
      ...GATE_OPTIONS,
    },
    PREVIEW_USAGE,
  );
  if (values.help) return "help";
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new GateError(`--format: expected one of ${FORMATS.join(", ")}, found "${format}"`);
  }
  const judge = values.judge ?? DEFAULT_JUDGE;
  if (!isJudgeMode(judge)) {
    throw new GateError(`--judge: expected one of ${JUDGE_MODES.join(", ")}, found "${judge}"`);
  }
  const directories = gateDirectories(values);
  // The stacks the project knows: its chain of environments (envstack.yaml).
  useEnvironments(chainOf(directories.projectDir));
  const given = values.stack ?? [];
  const unknown = given.filter((s) => !environments().has(s));
  if (unknown.length > 0) {
    throw new GateError(
      `unknown stack ${unknown.map((s) => `"${s}"`).join(", ")}: expected one of ${environments().names.join(", ")}`,
    );
  }
  if (values.all && given.length > 0) {
    throw new GateError("--all and --stack exclude each other");
  }
  const files = values["config-file"] ?? [];
  const configFiles: Partial<Record<StackName, string>> = {};
  for (const file of files) {
    // A file named for a stack is that stack's, whatever is previewed (prod compared with an
    // edited Pulumi.stage.yaml); any other name needs exactly one --stack to say whose it is.
    const named = stackFromFileName(file);
    const stack =
      environments().has(named) || !(files.length === 1 && given.length === 1) ? named : given[0];
    if (!environments().has(stack)) {
      throw new GateError(
        `--config-file ${file}: expected a file named Pulumi.<stack>.yaml for one of ${environments().names.join(", ")}, or exactly one --stack`,
      );
    }
    configFiles[stack] = path.resolve(file);
  }
  let stacks: StackName[];
  if (given.length > 0) stacks = [...new Set(given as StackName[])];
  else if (values.all || files.length === 0) stacks = [...environments().names];
  else stacks = environments().names.filter((s) => configFiles[s] !== undefined);
  return {
    stacks,
    configFiles,
    format: format as Format,
    ...(values.output !== undefined ? { output: values.output } : {}),
    ...(values["policy-config"] !== undefined ? { policyConfig: values["policy-config"] } : {}),
    ...directories,
    judge,
    verbose: values.verbose === true,
  };
}

export function render(result: GateResult, args: PreviewArgs, io: Io): string {
  switch (args.format) {
    case "json":
      return renderJson(result);
    case "sarif":
      return renderSarif(result, args.projectDir);
    case "markdown":
      return renderMarkdown(result);
    case "text":
      return renderText(result, { color: io.isTty && args.output === undefined });
  }
}

/** `envstack preview`: returns the exit code. */
export async function runPreview(argv: readonly string[], io: Io = processIo): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    const args = parsePreviewArgs(argv);
    if (args === "help") {
      io.stdout(`${PREVIEW_USAGE}\n`);
      return EXIT.ok;
    }
    // An output that cannot be written fails now, not after every stack ran.
    const unwritable =
      args.output === undefined || args.output === "-" ? undefined : unwritableReason(args.output);
    if (unwritable !== undefined) {
      throw new GateError(`--output ${args.output}: expected a writable file, found ${unwritable}`);
    }
    const result = await runGate({
      stacks: args.stacks,
      projectDir: args.projectDir,
      configFiles: args.configFiles,
      packDir: args.packDir,
      ...(args.policyConfig ? { policyConfig: readPolicyConfig(args.policyConfig) } : {}),
      judge: args.judge,
      programStackTraces: args.verbose,
    });
    emit(io, render(result, args, io), args.output);
    return exitCode(result);
  } catch (err) {
    return reportError(io, "preview", err, verbose);
  }
}
