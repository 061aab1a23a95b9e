import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ENVIRONMENTS_FILE,
  parseEnvironmentsFile,
  stackFileName,
  type Environments,
} from "../../src/model";
import type { JsonReport } from "../../src/cli/reports/json";
import { ROOT, runCli } from "./helpers";

/*
 * A second sample, unlike the committed stacks in every name: another application and region,
 * four environments (a development environment between dev and the production-like one), two
 * services of other names. The gate previews it from its own envstack.yaml and Pulumi.yaml,
 * and catches the hand edits the policies promise to catch, in the environments its chain
 * names. Nothing here names the sample's stacks: they are read from its envstack.yaml.
 */
const SAMPLE = path.join(ROOT, "examples", "payments");

function copySample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-sample-"));
  for (const file of fs.readdirSync(SAMPLE))
    fs.copyFileSync(path.join(SAMPLE, file), path.join(dir, file));
  // The sample's main is relative to its place in the repository.
  const project = path.join(dir, "Pulumi.yaml");
  const doc = parseDocument(fs.readFileSync(project, "utf8"));
  doc.set("main", path.join(ROOT, "dist", "src", "program", "main.js"));
  fs.writeFileSync(project, doc.toString());
  return dir;
}

/** Sets one key of a stack file's config, by path, in place. */
function setConfig(file: string, keyPath: readonly (string | number)[], value: unknown): void {
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  expect(doc.hasIn(["config", ...keyPath])).toBe(true);
  doc.setIn(["config", ...keyPath], value);
  fs.writeFileSync(file, doc.toString());
}

async function preview(dir: string): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const run = await runCli(["preview", "--all", "--project-dir", dir, "--format", "json"]);
  return {
    code: run.code,
    report: JSON.parse(run.stdout || "{}") as JsonReport,
    stderr: run.stderr,
  };
}

const mandatory = (report: JsonReport) =>
  report.stacks.flatMap((s) =>
    s.violations.filter((v) => v.enforcement === "mandatory").map((v) => [s.stack, v.policy]),
  );

let chain: Environments;
beforeAll(() => {
  chain = parseEnvironmentsFile(
    fs.readFileSync(path.join(SAMPLE, ENVIRONMENTS_FILE), "utf8"),
    ENVIRONMENTS_FILE,
  );
});

describe("the second sample", () => {
  it("declares four environments and two services, none named like the committed stacks'", () => {
    expect(chain.names).toHaveLength(4);
    expect(chain.names.map((s) => chain.role(s))).toEqual([
      "development",
      "development",
      "production-like",
      "production",
    ]);
    const committed = parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
    const sample = parseDocument(
      fs.readFileSync(path.join(SAMPLE, stackFileName(chain.production)), "utf8"),
    );
    for (const key of ["envstack:app", "aws:region"])
      expect(sample.getIn(["config", key])).not.toEqual(committed.getIn(["config", key]));
    const services = (doc: typeof sample) =>
      Object.keys((doc.getIn(["config", "envstack:services"]) as { toJSON(): object }).toJSON());
    expect(services(sample)).toHaveLength(2);
    expect(services(sample).filter((s) => services(committed).includes(s))).toEqual([]);
  });

  it("previews clean in every environment of its chain, the guards covering all four", async () => {
    const { code, report, stderr } = await preview(copySample());
    expect(stderr).toBe("");
    expect(mandatory(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.stacks.map((s) => s.stack)).toEqual([...chain.names]);
    // The production stack declares every environment's GitHub environment, and no other does.
    for (const s of report.stacks) {
      const environments = s.resources
        .filter((r) => r.type === "github:index/repositoryEnvironment:RepositoryEnvironment")
        .map((r) => r.name);
      expect([s.stack, environments.length]).toEqual([
        s.stack,
        s.stack === chain.production ? chain.names.length : 0,
      ]);
    }
  }, 120_000);

  it("catches hand edits in the environments its chain gives each role", async () => {
    const dir = copySample();
    const [productionLike] = chain.names.filter((s) => chain.role(s) === "production-like");
    const development = chain.names[1]!;
    // A production-like environment that no longer mirrors production.
    setConfig(
      path.join(dir, stackFileName(productionLike!)),
      ["envstack:database", "multiAz"],
      false,
    );
    // Production running an image its production-like predecessor never ran.
    const prodFile = path.join(dir, stackFileName(chain.production));
    const devImage = parseDocument(
      fs.readFileSync(path.join(dir, stackFileName(chain.names[0]!)), "utf8"),
    );
    const [service] = Object.keys(
      (devImage.getIn(["config", "envstack:services"]) as { toJSON(): object }).toJSON(),
    );
    setConfig(
      prodFile,
      ["envstack:services", service!, "image"],
      devImage.getIn(["config", "envstack:services", service!, "image"]),
    );
    // A development environment in the middle of the chain may differ: no finding there.
    setConfig(path.join(dir, stackFileName(development)), ["envstack:database", "multiAz"], true);
    const { code, report } = await preview(dir);
    expect(code).toBe(1);
    const found = mandatory(report);
    expect(found).toContainEqual([productionLike, "stage-mirrors-prod"]);
    expect(found).toContainEqual([chain.production, "prod-runs-stage-digest"]);
    expect(found.filter(([stack]) => stack === development)).toEqual([]);
  }, 120_000);

  it("refuses a broken envstack.yaml before anything runs, naming the file and key", async () => {
    const dir = copySample();
    const file = path.join(dir, ENVIRONMENTS_FILE);
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    doc.setIn(["environments", 1, "role"], "production");
    fs.writeFileSync(file, doc.toString());
    const run = await runCli(["preview", "--all", "--project-dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${file}: environments[1].role: expected exactly one environment with role production, the last in the chain`,
    );
  });
});
