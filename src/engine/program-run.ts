import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { STACK_FILES_VARIABLE, stackFilesValue, type StackName } from "../model";
import { runUnderMocks, type MockRunResult } from "./mock-run";
import type { ProgramEntry, PulumiProject } from "./project-file";

const load = createRequire(__filename);

export interface ProgramRunOptions {
  readonly stack: string;
  /** The stack's config in the engine's form: every value a string, maps and lists as JSON. */
  readonly config: Readonly<Record<string, string>>;
  /** Region for the mocks' computed outputs. */
  readonly region: string;
  /**
   * Every stack's file as this run uses them (committed, or overridden): handed to the program
   * through ENVSTACK_STACK_FILES, as a CLI user would set it for `pulumi preview`.
   */
  readonly stackFiles: Readonly<Record<StackName, string>>;
  /** How long the program may take (defaults to the mock run's limit). */
  readonly timeoutMs?: number;
}

/** An error the program raised outside its own promise chain (as run.ts reports it, the run fails). */
export class UnhandledProgramError extends Error {
  constructor(readonly error: unknown) {
    super(`an unhandled exception: ${error instanceof Error ? error.message : String(error)}`);
    this.name = "UnhandledProgramError";
  }
}

/** Whether an error is a `pulumi.RunError`, whose message is all the engine shows (no stack). */
export function isRunError(err: unknown): err is Error {
  return pulumi.RunError.isInstance(err);
}

interface TsNodeService {
  enabled?(enabled?: boolean): boolean;
}

interface TsUtils {
  loadTypeScriptCompilerOptions(tsConfigPath: string): Record<string, unknown>;
  typeScriptRequireStrings(): { typescriptRequire: string; tsnodeRequire: string };
}

const tsNodeServices = new Map<string, TsNodeService>();

/**
 * ts-node registered as run.ts registers it when TypeScript is on: the SDK picks typescript and
 * ts-node (the program's, else its vendored ones); type checking unless
 * PULUMI_NODEJS_TRANSPILE_ONLY or the tsconfig's `noCheck` says otherwise; its tsconfig, or none
 * when the default tsconfig.json is missing; nodenext modules from TypeScript 4.7:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/run/run.ts#L312-L401
 * Registered once per tsconfig and process; enabled only while a program runs.
 */
function tsNode(tsconfig: string): TsNodeService {
  const transpileEnv = process.env["PULUMI_NODEJS_TRANSPILE_ONLY"];
  const key = `${tsconfig}\u0000${transpileEnv ?? ""}`;
  const known = tsNodeServices.get(key);
  if (known) return known;
  // Internal to the SDK (declarations stripped) but exported at run time.
  const tsutils = load("@pulumi/pulumi/tsutils") as TsUtils;
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsconfig);
  const transpileOnly = transpileEnv ? transpileEnv === "true" : compilerOptions["noCheck"];
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  const [major = 0, minor = 0] = (load(typescriptRequire) as { version: string }).version
    .split(".")
    .map(Number);
  const nodeNext = major > 4 || (major === 4 && minor >= 7);
  const tsn = load(tsnodeRequire) as { register(options: object): TsNodeService };
  const service = tsn.register({
    compiler: typescriptRequire,
    transpileOnly,
    project: tsconfig,
    skipProject: !fs.existsSync(tsconfig),
    compilerOptions: {
      target: "ES2020",
      module: nodeNext ? "nodenext" : "commonjs",
      moduleResolution: nodeNext ? "nodenext" : "node",
      sourceMap: "true",
      ...compilerOptions,
    },
  });
  tsNodeServices.set(key, service);
  return service;
}

function inNodeModules(file: string): boolean {
  return file.split(path.sep).includes("node_modules");
}

/**
 * Runs a project's program for one stack under the SDK's mocks, as the Node.js language host runs
 * it for `pulumi preview` (sdk/nodejs/cmd/run/run.ts): in the program's directory, ts-node
 * registered when TypeScript is on, the module required and its `module.exports` taken as the
 * stack's outputs; an exported function is called and what it returns awaited (a CommonJS module's
 * `default` is an ordinary export there):
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/run/run.ts#L535-L579
 * An exception or rejection nobody handles fails the run, as run.ts's handlers do (#L403-L455).
 *
 * Each stack needs its own instance of the program's modules (their top level declares the
 * resources), while the SDK in node_modules must stay the one the mocks are set on: the modules
 * the run loaded outside node_modules are dropped from the require cache afterwards.
 */
export async function runProgram(
  project: PulumiProject,
  entry: ProgramEntry,
  options: ProgramRunOptions,
): Promise<MockRunResult> {
  const cached = new Set(Object.keys(load.cache));
  const cwd = process.cwd();
  const variable = process.env[STACK_FILES_VARIABLE];
  const unhandled = new AbortController();
  const fail = (err: unknown) => unhandled.abort(new UnhandledProgramError(err));
  let typescript: TsNodeService | undefined;
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  try {
    process.chdir(entry.pwd);
    process.env[STACK_FILES_VARIABLE] = stackFilesValue(options.stackFiles);
    if (entry.typescript) {
      typescript = tsNode(entry.typescript.tsconfig);
      typescript.enabled?.(true);
    }
    const result = await runUnderMocks({
      project: project.name,
      stack: options.stack,
      config: options.config,
      region: options.region,
      signal: unhandled.signal,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      program: () => {
        const exported = load(entry.program) as unknown;
        return exported instanceof Function ? (exported as () => unknown)() : exported;
      },
    });
    // A rejection nobody handles is reported once the microtasks after it have run.
    await new Promise((resolve) => setImmediate(resolve));
    if (unhandled.signal.aborted) throw unhandled.signal.reason;
    return result;
  } finally {
    process.off("uncaughtException", fail);
    process.off("unhandledRejection", fail);
    typescript?.enabled?.(false);
    if (variable === undefined) delete process.env[STACK_FILES_VARIABLE];
    else process.env[STACK_FILES_VARIABLE] = variable;
    process.chdir(cwd);
    for (const file of Object.keys(load.cache)) {
      if (!cached.has(file) && !inNodeModules(file)) delete load.cache[file];
    }
  }
}
