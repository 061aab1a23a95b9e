import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { packDir } from "./support";

/** The mutation score of the pack's sources, as `npm run test:mutation` last measured it. */
export interface MutationScore {
  /** YYYY-MM-DD. */
  readonly measured: string;
  /** The commit the run measured (short hash), so a score never passes for later code's. */
  readonly revision?: string;
  readonly command: string;
  readonly overall: FileScore;
  /** By file, relative to the repository root, in path order. */
  readonly files: Readonly<Record<string, FileScore>>;
}

export interface FileScore {
  /** Killed or timed out, over every mutant some test ran or could have run, in percent. */
  readonly score: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Surviving and uncovered mutants by mutator (e.g. ConditionalExpression), most first. */
  readonly survivors: Readonly<Record<string, number>>;
}

export const MUTATION_COMMAND = "npm run test:mutation";
export const MUTATION_SCORE_FILE = "mutation-score.json";

/** The part of Stryker's JSON report (mutation-testing-report-schema) the score needs. */
interface StrykerReport {
  readonly files: Readonly<
    Record<string, { readonly mutants: readonly { status: string; mutatorName: string }[] }>
  >;
}

function scoreOf(mutants: readonly { status: string; mutatorName: string }[]): FileScore {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const killed = count("Killed");
  const timedOut = count("Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const valid = killed + timedOut + survived + noCoverage;
  const kinds = new Map<string, number>();
  for (const m of mutants)
    if (m.status === "Survived" || m.status === "NoCoverage")
      kinds.set(m.mutatorName, (kinds.get(m.mutatorName) ?? 0) + 1);
  const survivors = Object.fromEntries(
    [...kinds].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
  // Stryker's mutation score: detected over valid mutants (compile and runtime errors and
  // ignored mutants count for nothing).
  const score = valid === 0 ? 100 : Math.round(((killed + timedOut) / valid) * 10_000) / 100;
  return { score, killed, timedOut, survived, noCoverage, survivors };
}

/** The score of a Stryker JSON report, overall and per file. */
export function mutationScore(
  report: StrykerReport,
  measured: string,
  revision?: string,
): MutationScore {
  const names = Object.keys(report.files).sort();
  return {
    measured,
    ...(revision ? { revision } : {}),
    command: MUTATION_COMMAND,
    overall: scoreOf(names.flatMap((n) => report.files[n]!.mutants)),
    files: Object.fromEntries(names.map((n) => [n, scoreOf(report.files[n]!.mutants)])),
  };
}

/** policies/mutation-score.json, when a run has been committed. */
export function readMutationScore(): MutationScore | undefined {
  const file = path.join(packDir(), MUTATION_SCORE_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as MutationScore;
}

if (require.main === module) {
  const root = path.join(packDir(), "..");
  const report = JSON.parse(
    fs.readFileSync(path.join(root, "reports", "mutation", "mutation.json"), "utf8"),
  ) as StrykerReport;
  const files = Object.fromEntries(
    Object.entries(report.files).map(([name, f]) => [
      path.relative(root, path.resolve(root, name)),
      f,
    ]),
  );
  let revision: string | undefined;
  try {
    revision = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
  } catch {
    revision = undefined;
  }
  const score = mutationScore({ files }, new Date().toISOString().slice(0, 10), revision);
  const out = path.join(packDir(), MUTATION_SCORE_FILE);
  fs.writeFileSync(out, `${JSON.stringify(score, null, 2)}\n`);
  process.stdout.write(`wrote ${out}: ${score.overall.score}%\n`);
}
