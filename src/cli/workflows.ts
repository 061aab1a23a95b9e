import * as fs from "node:fs";
import * as path from "node:path";
import {
  deployWorkflows,
  GENERATED_MARKER,
  projectDirAbove,
  withScannedBranches,
  WORKFLOWS_DIR,
  writeFileAtomic,
} from "../model";
import { chainOf } from "../engine/gate";
import { EXIT, processIo, reportError, parseOptions, type Io } from "./io";

export const WORKFLOWS_USAGE = `Usage: envstack workflows [--check] [--project-dir <dir>]

Writes ${WORKFLOWS_DIR}/deploy-<stack>.yml for every environment of the project's envstack.yaml
(the default chain without one; on a trunk, one deploy.yml with a job per environment), removes the deploy workflows it generated for environments the
chain no longer has, and sets the push branches of ${WORKFLOWS_DIR}/code-scanning.yml, when
there is one, to the environments' branches.

Options:
      --check              Write nothing; exit 1 naming each file that differs.
      --project-dir <dir>  The project (Pulumi.yaml, envstack.yaml). Defaults to the nearest
                           directory holding a Pulumi.yaml, from the current one up.
  -h, --help               This help.`;

const CODE_SCANNING = "code-scanning.yml";

/** What the workflows directory must hold: file → text, or null for a file to remove. */
function wanted(projectDir: string): Map<string, string | null> {
  const chain = chainOf(projectDir);
  const dir = path.join(projectDir, WORKFLOWS_DIR);
  const files = new Map<string, string | null>(deployWorkflows(chain));
  const present = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const file of present) {
    if (files.has(file) || !/^deploy(-.*)?\.ya?ml$/.test(file)) continue;
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    if (text.startsWith(GENERATED_MARKER)) files.set(file, null);
  }
  if (present.includes(CODE_SCANNING)) {
    const text = fs.readFileSync(path.join(dir, CODE_SCANNING), "utf8");
    files.set(CODE_SCANNING, withScannedBranches(text, chain));
  }
  return files;
}

/** `envstack workflows`: returns the exit code. */
export function runWorkflows(argv: readonly string[], io: Io = processIo): number {
  try {
    const values = parseOptions(
      argv,
      {
        check: { type: "boolean" },
        "project-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      WORKFLOWS_USAGE,
    );
    if (values.help) {
      io.stdout(`${WORKFLOWS_USAGE}\n`);
      return EXIT.ok;
    }
    // Never the installed package: the files go to the project being worked on.
    const projectDir = path.resolve(
      values["project-dir"] ?? projectDirAbove(process.cwd()) ?? process.cwd(),
    );
    const dir = path.join(projectDir, WORKFLOWS_DIR);
    const changes: string[] = [];
    for (const [file, text] of wanted(projectDir)) {
      const target = path.join(dir, file);
      const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
      if (current === (text ?? undefined)) continue;
      changes.push(
        text === null
          ? `${WORKFLOWS_DIR}/${file}: generated for an environment the chain no longer has`
          : `${WORKFLOWS_DIR}/${file}: ${current === undefined ? "missing" : "differs from the environments"}`,
      );
      if (values.check) continue;
      if (text === null) fs.rmSync(target);
      else {
        fs.mkdirSync(dir, { recursive: true });
        writeFileAtomic(target, text);
      }
    }
    if (values.check) {
      if (changes.length === 0) {
        io.stdout(`${WORKFLOWS_DIR} matches the environments.\n`);
        return EXIT.ok;
      }
      io.stderr(
        `envstack workflows: run \`envstack workflows\` and commit the result:\n${changes.map((c) => `  ${c}`).join("\n")}\n`,
      );
      return EXIT.violations;
    }
    io.stdout(
      changes.length === 0
        ? `${WORKFLOWS_DIR} already matches the environments.\n`
        : `${changes.map((c) => `updated ${c}`).join("\n")}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "workflows", err, false);
  }
}
