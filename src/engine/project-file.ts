import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import {
  ConfigError,
  ConfigErrors,
  configErrorsFromIssues,
  describeFound,
  readInputFile,
  UnreadableFile,
} from "../model";

/**
 * The project file names the engine looks for in a directory, in its order (JSON first):
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/workspace/paths.go#L212-L221
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/encoding/marshal.go#L38-L43
 */
export const PROJECT_FILE_NAMES = ["Pulumi.json", "Pulumi.yaml", "Pulumi.yml"] as const;

/** The Node.js runtime options the gate honours (the others only matter to `pulumi install`). */
export interface NodejsOptions {
  /** Register ts-node before loading the program. Defaults to true, as the language host does. */
  readonly typescript: boolean;
  /** The tsconfig ts-node uses, relative to the program's directory. Defaults to tsconfig.json. */
  readonly tsconfig?: string;
}

/** A project file as the engine reads it, for a Node.js program. */
export interface PulumiProject {
  /** The project file (absolute). */
  readonly file: string;
  /** The project root: the project file's directory. */
  readonly dir: string;
  /** The project's name: the second part of every URN, and `pulumi.getProject()`. */
  readonly name: string;
  /** The program, relative to the project root: a file or a directory. Unset: the root. */
  readonly main?: string;
  readonly runtime: NodejsOptions;
}

/**
 * A project name as the engine accepts it: 1 to 100 letters, digits, hyphens, underscores and
 * periods (tokens.ValidateProjectName):
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/tokens/project.go#L28-L38
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/tokens/names.go#L38-L47
 */
const PROJECT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const NAME_EXPECTED =
  "a project name of 1 to 100 letters, digits, hyphens, underscores and periods";

/**
 * `runtime.options` as the Node.js language host parses them (parseOptions): each known option
 * must have its type, unknown ones are ignored. `nodeargs` are arguments of the node process the
 * host starts; the gate runs the program inside its own process, where none can apply.
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/pulumi-language-nodejs/main.go#L291-L375
 */
const optionsSchema = z.looseObject({
  typescript: z
    .boolean({ error: "true or false (whether to register ts-node for the program)" })
    .optional(),
  tsconfig: z.string({ error: "the path of a tsconfig file (a string)" }).optional(),
  nodeargs: z
    .string({ error: "a string of Node.js arguments" })
    .refine((args) => args.trim() === "", {
      error:
        "no Node.js arguments: the gate runs the program inside its own process, where they cannot apply",
    })
    .optional(),
  packagemanager: z
    .enum(["auto", "npm", "yarn", "pnpm", "bun"], {
      error: "one of auto, npm, yarn, pnpm, bun",
    })
    .optional(),
  production: z.boolean({ error: "true or false" }).optional(),
});

/**
 * The keys of the project schema the gate reads; every other key is the engine's alone:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/workspace/project.json
 */
const projectSchema = z.looseObject(
  {
    name: z
      .string({ error: `${NAME_EXPECTED} (the key is required)` })
      .regex(PROJECT_NAME, { error: NAME_EXPECTED }),
    runtime: z.looseObject(
      {
        name: z.literal("nodejs", {
          error: "nodejs: the gate runs Node.js programs under the Node.js SDK's mocks",
        }),
        options: optionsSchema.nullish(),
      },
      { error: "nodejs, or a map with name nodejs and options (the key is required)" },
    ),
    main: z.string({ error: "the path of the program, a file or a directory" }).nullish(),
    // The engine reads the stack files from this directory; the gate reads them from
    // --project-dir (https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/workspace/paths.go#L87-L93).
    stackConfigDir: z
      .union([z.null(), z.literal("")], {
        error:
          "no stackConfigDir: the gate reads Pulumi.<stack>.yaml from --project-dir (point it at that directory, or use --config-file)",
      })
      .optional(),
  },
  { error: "a map of project settings" },
);

/** The project file in a directory, as the engine finds it, or undefined. */
export function findProjectFile(dir: string): string | undefined {
  for (const name of PROJECT_FILE_NAMES) {
    const file = path.join(dir, name);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      stat = undefined;
    }
    if (stat && !stat.isDirectory()) return path.resolve(file);
  }
  return undefined;
}

/** Reads and validates a project file. Throws ConfigErrors naming the file, key, expected, found. */
export function readProjectFile(file: string): PulumiProject {
  const absolute = path.resolve(file);
  if (path.basename(absolute) !== "Pulumi.yaml") {
    // Beside Pulumi.<ext> the engine reads Pulumi.<stack>.<ext>; the gate reads Pulumi.<stack>.yaml.
    throw new ConfigErrors([
      new ConfigError(
        absolute,
        "(file)",
        "a project file named Pulumi.yaml: the gate reads the stack files Pulumi.<stack>.yaml, which the engine reads beside a Pulumi.yaml",
        path.basename(absolute),
      ),
    ]);
  }
  let text: string;
  try {
    text = readInputFile(absolute);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new ConfigErrors([
      new ConfigError(absolute, "(file)", "a readable project file", err.found),
    ]);
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigErrors([
      new ConfigError(
        absolute,
        "(document)",
        "a YAML project file",
        `invalid YAML (${document.errors[0]!.message.split("\n")[0]})`,
      ),
    ]);
  }
  const raw = document.toJS() as unknown;
  // `runtime: nodejs` is the short form of `runtime: {name: nodejs}`:
  // https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/go/common/workspace/project.go#L1336-L1353
  const shortRuntime =
    raw !== null &&
    typeof raw === "object" &&
    typeof (raw as Record<string, unknown>)["runtime"] === "string";
  const input = shortRuntime
    ? {
        ...(raw as Record<string, unknown>),
        runtime: { name: (raw as Record<string, unknown>)["runtime"] },
      }
    : raw;
  const parsed = projectSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) =>
      shortRuntime && issue.path.join(".") === "runtime.name"
        ? { ...issue, path: ["runtime"] }
        : issue,
    );
    throw configErrorsFromIssues(absolute, raw, issues);
  }
  const options = parsed.data.runtime.options ?? {};
  const main = parsed.data.main ?? "";
  return {
    file: absolute,
    dir: path.dirname(absolute),
    name: parsed.data.name,
    ...(main === "" ? {} : { main }),
    runtime: {
      typescript: options.typescript ?? true,
      ...(options.tsconfig !== undefined && options.tsconfig !== ""
        ? { tsconfig: options.tsconfig }
        : {}),
    },
  };
}

/**
 * The project the gate runs for a project directory: its own Pulumi.yaml when it holds one, else
 * the project of `fallbackDir` (the package the CLI ships with), whose program then reads the
 * stack files of `projectDir`. No upward search: a directory of stack files names no project.
 */
export function locateProject(projectDir: string, fallbackDir: string): PulumiProject {
  const file = findProjectFile(projectDir) ?? findProjectFile(fallbackDir);
  if (file === undefined) {
    throw new ConfigErrors([
      new ConfigError(
        path.join(path.resolve(projectDir), "Pulumi.yaml"),
        "(file)",
        `a project file, here or in ${fallbackDir}`,
        "nothing (no Pulumi.yaml)",
      ),
    ]);
  }
  return readProjectFile(file);
}

/** How the language host would start a project's program. */
export interface ProgramEntry {
  /** The directory the program runs in (its working directory). */
  readonly pwd: string;
  /** What is required: an absolute path; a directory ends with a separator. */
  readonly program: string;
  /** The nearest directory above the program holding a package manifest. */
  readonly packageRoot: string;
  /** ts-node's settings when the project enables TypeScript. */
  readonly typescript?: {
    /** The tsconfig file (absolute); ts-node reads it when it exists. */
    readonly tsconfig: string;
  };
}

interface Manifests {
  searchupPackageManifest(startDir: string): string | undefined;
  readPackageManifest(dir: string): { data: Record<string, unknown>; path: string };
}

/** The SDK's own package manifest lookup (package.json, or pnpm's package.yaml). */
function manifests(): Manifests {
  // Internal to the SDK (its declarations are stripped) but exported at run time.
  return createRequire(__filename)("@pulumi/pulumi/runtime/manifest") as Manifests;
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** run.ts resolveEntrypoint: a package entry that exists, else the fallback. */
function entryIn(packageRoot: string, entry: unknown, fallback: string): string {
  if (typeof entry !== "string") return fallback;
  const file = path.join(packageRoot, entry);
  return fs.existsSync(file) ? file : fallback;
}

/**
 * The program a project names, resolved as the engine and the Node.js language host do:
 * - `main` unset: the project root; set: relative to it, a file (the program runs in its
 *   directory) or a directory (the program runs in it), and it must exist (getPwdMain):
 *   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/engine/project.go#L45-L71
 * - a directory: the package manifest's `exports` (`"."`: a string, or default/require/import) or
 *   else `main`, when that file exists, else what `require` makes of the directory (its
 *   package.json main, index.js):
 *   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/cmd/run/run.ts#L271-L307
 * - a package of type module is imported, not required (run.ts#L497-L541): the gate refuses it,
 *   since an ES module cannot be loaded afresh for the next stack in the same process.
 * - TypeScript (on unless `typescript: false`) registers ts-node with the tsconfig the options
 *   name, relative to the program's directory; a named one must exist (run.ts#L259-L269, L466-L473).
 * Throws ConfigErrors naming the project file or package manifest, the key, expected and found.
 */
export function resolveProgram(project: PulumiProject): ProgramEntry {
  let pwd = project.dir;
  let entry = ".";
  if (project.main !== undefined) {
    const main = path.resolve(project.dir, project.main);
    if (!fs.existsSync(main)) {
      throw new ConfigErrors([
        new ConfigError(
          project.file,
          "main",
          "the path of the program, a file or a directory, relative to the project",
          `nothing at ${main}`,
        ),
      ]);
    }
    if (isDirectory(main)) pwd = main;
    else [pwd, entry] = [path.dirname(main), path.basename(main)];
  }
  let program = path.join(pwd, entry);
  const { searchupPackageManifest, readPackageManifest } = manifests();
  const manifest = searchupPackageManifest(isDirectory(program) ? program : path.dirname(program));
  const packageRoot = manifest
    ? path.dirname(manifest)
    : isDirectory(program)
      ? program
      : path.dirname(program);
  let pkg: Record<string, unknown> = {};
  try {
    pkg = readPackageManifest(packageRoot).data;
  } catch {
    pkg = {};
  }
  if (entry === ".") {
    const exported = pkg["exports"];
    if (typeof exported === "string") program = entryIn(packageRoot, exported, program);
    else if (exported && typeof exported === "object") {
      const dot = (exported as Record<string, unknown>)["."];
      if (typeof dot === "string") program = entryIn(packageRoot, dot, program);
      else if (dot && typeof dot === "object") {
        const { default: d, require: r, import: i } = dot as Record<string, unknown>;
        program = entryIn(packageRoot, d || r || i, program);
      }
    } else if (pkg["main"]) program = entryIn(packageRoot, pkg["main"], program);
  }
  const esmReason =
    pkg["type"] === "module"
      ? {
          file: manifest ?? path.join(packageRoot, "package.json"),
          key: "type",
          found: describeFound(pkg["type"]),
        }
      : /\.m[jt]s$/.test(program)
        ? { file: project.file, key: "main", found: `the ES module ${program}` }
        : undefined;
  if (esmReason) {
    throw new ConfigErrors([
      new ConfigError(
        esmReason.file,
        esmReason.key,
        "a CommonJS program: the gate runs it once per stack in one process, and an ES module cannot be loaded afresh",
        esmReason.found,
      ),
    ]);
  }
  if (isDirectory(program) && !program.endsWith(path.sep)) program += path.sep;
  let typescript: ProgramEntry["typescript"];
  if (project.runtime.typescript) {
    const tsconfig = path.resolve(pwd, project.runtime.tsconfig ?? "tsconfig.json");
    if (project.runtime.tsconfig !== undefined && !fs.existsSync(tsconfig)) {
      throw new ConfigErrors([
        new ConfigError(
          project.file,
          "runtime.options.tsconfig",
          `a tsconfig file, relative to the program's directory ${pwd}`,
          `nothing at ${tsconfig}`,
        ),
      ]);
    }
    typescript = { tsconfig };
  }
  sameSdk(project, pwd);
  return { pwd, program, packageRoot, ...(typescript ? { typescript } : {}) };
}

/**
 * The program must load the SDK the gate sets its mocks on: a second copy would talk to no
 * engine at all.
 */
function sameSdk(project: PulumiProject, pwd: string): void {
  const ours = createRequire(__filename).resolve("@pulumi/pulumi");
  let theirs: string | undefined;
  try {
    theirs = createRequire(path.join(pwd, "noop.js")).resolve("@pulumi/pulumi");
  } catch {
    return;
  }
  if (theirs === ours) return;
  throw new ConfigErrors([
    new ConfigError(
      project.file,
      "main",
      `a program that loads the SDK the gate runs with (${ours}), on which it sets its mocks`,
      `a program loading ${theirs}`,
    ),
  ]);
}
