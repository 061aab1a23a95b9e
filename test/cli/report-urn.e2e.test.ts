import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers";

const POLICY = "database-backup-retention";

interface Report {
  stacks: {
    resources: { type: string; name: string; urn: string }[];
    violations: { policy: string; enforcement: string; urn: string; message: string }[];
  }[];
}

// dev keeps one day of backups; a seven-day floor makes its primary database a resource-level
// (advisory) violation of a resource policy.
describe("a resource policy's violation keeps its resource's URN in every format", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-urn-"));
  const config = path.join(dir, "policy-config.json");
  fs.writeFileSync(config, JSON.stringify({ [POLICY]: { minimumDays: 7 } }));
  const preview = (format: string, ...extra: string[]) =>
    runCli(["preview", "--stack", "dev", "--policy-config", config, "--format", format, ...extra]);
  let urn = "";
  let message = "";
  let violations: Report["stacks"][number]["violations"] = [];

  beforeAll(async () => {
    const run = await preview("json");
    expect(run.code).toBe(0);
    const dev = (JSON.parse(run.stdout) as Report).stacks[0]!;
    urn = dev.resources.find(
      (r) => r.type === "aws:rds/instance:Instance" && !/replica/.test(r.name),
    )!.urn;
    violations = dev.violations.filter((v) => v.policy === POLICY);
    message = violations[0]?.message ?? "";
  }, 60_000);

  it("json", () => {
    expect(urn).toMatch(/^urn:pulumi:dev::envstack::.*aws:rds\/instance:Instance::/);
    expect(violations.map((v) => [v.enforcement, v.urn])).toEqual([["advisory", urn]]);
  });

  it("text", async () => {
    const run = await preview("text");
    const lines = run.stdout.split("\n");
    const at = lines.findIndex((l) => l.includes(`! advisory   ${POLICY}`));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      `      resource:    ${urn}`,
      // The floor is a policy setting; the stack's backup retention is the key to change.
      expect.stringMatching(
        /^ {6}change: {6}Pulumi\.dev\.yaml:\d+ envstack:database\.backupRetentionDays$/,
      ),
      `      ${message}`,
    ]);
  });

  it("markdown", async () => {
    const run = await preview("markdown");
    const row = run.stdout.split("\n").find((l) => l.includes(`\`${POLICY}\``));
    // The finding's root cause is the config key; the row names the resource it shows on.
    expect(row?.split(" | ")[1]).toBe(`\`envstack:database.backupRetentionDays\`<br>on \`${urn}\``);
  });

  it("sarif", async () => {
    const out = path.join(dir, "gate.sarif");
    const run = await preview("sarif", "--output", out);
    expect(run.code).toBe(0);
    const log = JSON.parse(fs.readFileSync(out, "utf8")) as {
      runs: { results: { ruleId: string; locations: { logicalLocations: unknown[] }[] }[] }[];
    };
    const results = log.runs[0]!.results.filter((r) => r.ruleId === POLICY);
    expect(results.map((r) => r.locations[0]!.logicalLocations)).toEqual([
      [
        {
          fullyQualifiedName: urn,
          name: urn.split("::").pop(),
          kind: "resource",
          decoratedName: "aws:rds/instance:Instance",
        },
      ],
    ]);
  });
});
