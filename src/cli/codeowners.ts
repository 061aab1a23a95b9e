import * as fs from "node:fs";
import * as path from "node:path";
import {
  environments,
  CODEOWNERS_PATH,
  codeownersText,
  loadSpecFromFile,
  stackFiles,
  writeFileAtomic,
  stackFileOf,
  useEnvironments,
} from "../model";
import { chainOf } from "../engine/gate";
import { EXIT, processIo, reportError, parseOptions, type Io } from "./io";
import { defaultProjectDir } from "../engine/paths";

export const CODEOWNERS_USAGE = `Usage: envstack codeowners [--check] [--project-dir <dir>]

Writes ${CODEOWNERS_PATH} from the production stack file's envstack:github.codeOwners, so
the code-owner review main requires always has owners to ask.

Options:
      --check              Write nothing; exit 1 when the committed file differs.
      --project-dir <dir>  The project (Pulumi.yaml and the stack files). Defaults to the nearest
                           directory holding a Pulumi.yaml from the current one up, else this
                           package.
  -h, --help               This help.`;

/** `envstack codeowners`: returns the exit code. */
export function runCodeowners(argv: readonly string[], io: Io = processIo): number {
  try {
    const values = parseOptions(
      argv,
      {
        check: { type: "boolean" },
        "project-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      CODEOWNERS_USAGE,
    );
    if (values.help) {
      io.stdout(`${CODEOWNERS_USAGE}\n`);
      return EXIT.ok;
    }
    const projectDir = path.resolve(values["project-dir"] ?? defaultProjectDir());
    useEnvironments(chainOf(projectDir));
    const file = stackFileOf(stackFiles(projectDir), environments().production);
    const spec = loadSpecFromFile(file, environments().production);
    const text = codeownersText(spec.github.owner, spec.github.codeOwners, path.basename(file));
    const target = path.join(projectDir, CODEOWNERS_PATH);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (values.check) {
      if (current === text) {
        io.stdout(`${CODEOWNERS_PATH} matches ${path.basename(file)}.\n`);
        return EXIT.ok;
      }
      io.stderr(
        `envstack codeowners: ${CODEOWNERS_PATH} differs from ${path.basename(file)}'s envstack:github.codeOwners: run \`envstack codeowners\` and commit it.\n`,
      );
      return EXIT.violations;
    }
    writeFileAtomic(target, text);
    io.stdout(`Wrote ${CODEOWNERS_PATH}.\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "codeowners", err, false);
  }
}
