import * as fs from "node:fs";
import * as path from "node:path";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { POLICY_CATALOG } from "../../policies/catalog";
import { ROOT, editFile, runCli, scratchProject } from "./helpers";

const SARIF_SCHEMA = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");

interface ContractReport {
  stacks: {
    stack: string;
    resources: { type: string; name: string; urn: string }[];
    violations: {
      policy: string;
      enforcement: string;
      severity: string;
      urn: string;
      message: string;
    }[];
  }[];
}

/** The JSON contract from the design: the keys every consumer may rely on. */
const CONTRACT_SCHEMA = {
  type: "object",
  required: ["stacks"],
  properties: {
    stacks: {
      type: "array",
      items: {
        type: "object",
        required: ["stack", "resources", "violations"],
        properties: {
          stack: { type: "string" },
          resources: {
            type: "array",
            items: {
              type: "object",
              required: ["type", "name", "urn"],
              properties: {
                type: { type: "string" },
                name: { type: "string" },
                urn: { type: "string" },
              },
            },
          },
          violations: {
            type: "array",
            items: {
              type: "object",
              required: ["policy", "enforcement", "severity", "urn", "message"],
              properties: {
                policy: { type: "string" },
                enforcement: { enum: ["advisory", "mandatory"] },
                severity: { enum: ["low", "medium", "high", "critical", "unspecified"] },
                urn: { type: "string" },
                message: { type: "string" },
              },
            },
          },
        },
      },
    },
  },
};

describe("envstack preview (end to end, the built CLI as a child process)", () => {
  it("passes the committed stacks (exit 0) and prints JSON matching the contract", async () => {
    const run = await runCli(["preview", "--all", "--format", "json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ContractReport;
    const ajv = new Ajv04({ strict: false, allErrors: true });
    const validate = ajv.compile(CONTRACT_SCHEMA);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.stacks.map((s) => s.stack)).toEqual(["dev", "stage", "prod"]);
    for (const s of report.stacks) {
      expect(s.resources.length).toBeGreaterThan(50);
      for (const r of s.resources) {
        expect(r.urn.startsWith(`urn:pulumi:${s.stack}::envstack::`)).toBe(true);
        expect(r.urn.endsWith(`::${r.name}`)).toBe(true);
      }
      // Dev declares no read replica; stage and prod one each.
      expect(s.resources.filter((r) => r.type === "aws:rds/instance:Instance").length).toBe(
        s.stack === "dev" ? 1 : 2,
      );
      expect(s.violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
      for (const v of s.violations) {
        expect(POLICY_CATALOG.map((p) => p.name)).toContain(v.policy);
      }
    }
  });

  it("exits 1 when stage is made single-AZ, naming the parity policy and both values", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    editFile(file, "multiAz: true", "multiAz: false");
    const run = await runCli(["preview", "--stack", "stage", "--config-file", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("stage-mirrors-prod");
    expect(run.stdout).toContain(
      "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
    );
    expect(run.stdout).toMatch(/✖ mandatory {2}stage-mirrors-prod {2}\[high\]/);
    expect(run.stdout).toMatch(
      /Summary: 1 stack, \d+ resources, \d+ mandatory violations?, .*: FAIL \(stage\)\n$/,
    );

    const json = await runCli(["preview", "--config-file", file, "--format", "json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as ContractReport;
    expect(report.stacks.map((s) => s.stack)).toEqual(["stage"]);
    const stage = report.stacks[0]!;
    const parity = stage.violations.filter((v) => v.policy === "stage-mirrors-prod");
    // The finding names the primary database (the instance that replicates nothing).
    const databases = stage.resources.filter((r) => r.type === "aws:rds/instance:Instance");
    expect(databases).toHaveLength(2);
    const primary = databases.find((r) => !/replica/.test(r.name))!;
    expect(parity).toEqual([
      {
        policy: "stage-mirrors-prod",
        enforcement: "mandatory",
        severity: "high",
        urn: primary.urn,
        message:
          "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
        remediation: POLICY_CATALOG.find((p) => p.name === "stage-mirrors-prod")!.remediationSteps,
        // Where to fix it: the line of the key in the stack file that caused it.
        location: {
          file,
          line: fs.readFileSync(file, "utf8").split("\n").indexOf("    multiAz: false") + 1,
          column: 5,
        },
        rootCause: { kind: "config", key: "envstack:database.multiAz" },
      },
    ]);
  });

  it("compares prod with the stage file given by --config-file, in every policy that reads it", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    const digest = `sha256:${"b".repeat(64)}`;
    editFile(file, /@sha256:[0-9a-f]{64}/, `@${digest}`);
    const run = await runCli([
      "preview",
      "--stack",
      "prod",
      "--config-file",
      file,
      "--format",
      "json",
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ContractReport;
    const promotion = report.stacks[0]!.violations.filter(
      (v) => v.policy === "prod-runs-stage-digest",
    );
    expect(promotion).toHaveLength(1);
    expect(promotion[0]!.enforcement).toBe("mandatory");
    expect(promotion[0]!.message).toContain(digest);
  });

  it("exits 2 on an invalid CIDR, naming network.cidr and the file, with no verdict", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    editFile(file, "cidr: 10.20.0.0/16", "cidr: 10.20.0.0/33");
    const run = await runCli(["preview", "--config-file", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack preview: invalid config:\n${file}: envstack:network.cidr: expected an IPv4 CIDR block such as 10.30.0.0/16, found string "10.20.0.0/33"\n`,
    );
  });

  it("exits 2 on a Pulumi.yaml the gate cannot honour, naming the file and key, with no verdict", async () => {
    const dir = scratchProject();
    const project = path.join(dir, "Pulumi.yaml");
    fs.writeFileSync(
      project,
      "name: envstack\nruntime:\n  name: nodejs\n  options:\n    nodeargs: --inspect\nmain: dist/src/program/main.js\n",
    );
    const run = await runCli(["preview", "--stack", "dev", "--project-dir", dir]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: `envstack preview: invalid config:\n${project}: runtime.options.nodeargs: expected no Node.js arguments: the gate runs the program inside its own process, where they cannot apply, found string "--inspect"\n`,
    });
  });

  it("runs the program the project's Pulumi.yaml names, and exits 2 with its RunError's words alone", async () => {
    const probe = path.join(__dirname, "fixtures", "program-probe");
    const files = scratchProject();
    const args = ["preview", "--stack", "dev", "--project-dir", probe];
    for (const stack of ["dev", "stage", "prod"])
      args.push("--config-file", path.join(files, `Pulumi.${stack}.yaml`));
    const passing = await runCli([...args, "--format", "json"]);
    expect(passing.stderr).toBe("");
    const report = JSON.parse(passing.stdout) as ContractReport;
    expect(report.stacks[0]!.resources.map((r) => r.urn)).toEqual([
      "urn:pulumi:dev::probe::probe:index:Thing::thing",
    ]);
    process.env["PROBE_FAIL"] = "run-error";
    try {
      expect(await runCli(args)).toEqual({
        code: 2,
        stdout: "",
        stderr: "envstack preview: probe.yaml: probe:fail: expected nothing, found run-error\n",
      });
      process.env["PROBE_FAIL"] = "rejection";
      expect(await runCli(args)).toEqual({
        code: 2,
        stdout: "",
        stderr: `envstack preview: ${path.join(probe, "src", "index.js")}: the program failed for stack dev (config ${path.join(files, "Pulumi.dev.yaml")}): an unhandled exception: probe rejected\n`,
      });
    } finally {
      delete process.env["PROBE_FAIL"];
    }
  });

  it("exits 2 on an unknown stack, with no verdict", async () => {
    const run = await runCli(["preview", "--stack", "qa"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'envstack preview: unknown stack "qa": expected one of dev, stage, prod\n',
    );
  });

  it("writes SARIF 2.1.0 that validates against the official schema", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    editFile(file, "multiAz: true", "multiAz: false");
    const out = path.join(dir, "gate.sarif");
    const run = await runCli([
      "preview",
      "--config-file",
      file,
      "--format",
      "sarif",
      "--output",
      out,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const log = JSON.parse(fs.readFileSync(out, "utf8")) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; defaultConfiguration: { level: string } }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: {
                startLine: number;
                startColumn: number;
                endLine: number;
                endColumn: number;
              };
            };
            logicalLocations: { fullyQualifiedName: string }[];
          }[];
          partialFingerprints: Record<string, string>;
        }[];
      }[];
    };
    const ajv = new Ajv04({ strict: false, allErrors: true, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(SARIF_SCHEMA, "utf8")) as object);
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // A schema that accepts anything would make the check above worthless.
    expect(validate({ ...log, version: "2.0.0" })).toBe(false);
    expect(log.runs).toHaveLength(1);
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(POLICY_CATALOG.map((p) => p.name));
    const parity = log.runs[0]!.results.find((r) => r.ruleId === "stage-mirrors-prod")!;
    expect(parity.level).toBe("error");
    expect(parity.locations[0]!.physicalLocation.artifactLocation.uri).toBe(`file://${file}`);
    expect(parity.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toMatch(
      /^urn:pulumi:stage::envstack::envstack:aws:Database\$aws:rds\/instance:Instance::[a-z0-9-]+$/,
    );
    // Both policies the edit breaks point at the edited line, each with its own fingerprint.
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const line = lines.findIndex((l) => l.includes("multiAz: false")) + 1;
    const column = lines[line - 1]!.indexOf("multiAz") + 1;
    const edited = log.runs[0]!.results.filter((r) =>
      ["stage-mirrors-prod", "redundancy-in-production"].includes(r.ruleId),
    );
    expect(edited.map((r) => [r.ruleId, r.locations[0]!.physicalLocation.region]).sort()).toEqual([
      [
        "redundancy-in-production",
        {
          startLine: line,
          startColumn: column,
          endLine: line,
          endColumn: lines[line - 1]!.trimEnd().length + 1,
        },
      ],
      [
        "stage-mirrors-prod",
        {
          startLine: line,
          startColumn: column,
          endLine: line,
          endColumn: lines[line - 1]!.trimEnd().length + 1,
        },
      ],
    ]);
    for (const r of log.runs[0]!.results) {
      expect(r.locations[0]!.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(r.partialFingerprints["envstackFinding/v1"]).toMatch(/^[0-9a-f]{32}$/);
      expect(r.partialFingerprints.primaryLocationLineHash).toBe(
        r.partialFingerprints["envstackFinding/v1"],
      );
    }
    expect(new Set(edited.map((r) => r.partialFingerprints["envstackFinding/v1"])).size).toBe(2);
    // A result without a region, or with a zero line, is refused by the schema too.
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine = 0;
    expect(validate(broken)).toBe(false);
  });

  it("prints one Markdown finding for a config key that breaks two policies", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    editFile(file, "multiAz: true", "multiAz: false");
    const run = await runCli(["preview", "--config-file", file, "--format", "markdown"]);
    expect(run.code).toBe(1);
    const line =
      fs
        .readFileSync(file, "utf8")
        .split("\n")
        .findIndex((l) => l.includes("multiAz: false")) + 1;
    const rows = run.stdout.split("\n").filter((l) => l.includes("`envstack:database.multiAz`"));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split(" | ").slice(0, 4)).toEqual([
      "| :x: mandatory",
      expect.stringMatching(
        /^`envstack:database\.multiAz`<br>on `urn:pulumi:stage::envstack::.*::database-primary`$/,
      ),
      `\`${file}:${line}\``,
      "`redundancy-in-production`<br>`stage-mirrors-prod`",
    ]);
    const remediation = run.stdout.slice(run.stdout.indexOf("### Remediation"));
    expect(remediation.match(/^- `stage-mirrors-prod`: /gm)).toHaveLength(1);
    expect(remediation.match(/^- `redundancy-in-production`: /gm)).toHaveLength(1);
  });

  it("prints a Markdown pull-request comment with a summary table per stack", async () => {
    const run = await runCli(["preview", "--stack", "prod", "--format", "markdown"]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").slice(0, 5)).toEqual([
      "## envstack preview: :white_check_mark: no mandatory violation",
      "",
      "| stack | config | resources | mandatory | advisory | suppressed | verdict |",
      "|---|---|---:|---:|---:|---:|---|",
      expect.stringMatching(
        /^\| `prod` \| `Pulumi\.prod\.yaml` \| \d+ \| 0 \| \d+ \| 0 \| :white_check_mark: pass \|$/,
      ),
    ]);
    expect(run.stdout).toContain("<details><summary>");
  });

  it("prints help for each command and refuses unknown options with exit 2", async () => {
    const help = await runCli(["preview", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: envstack preview/);
    const bad = await runCli(["preview", "--frmat", "json"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("Unknown option '--frmat'");
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(fs.existsSync(path.join(ROOT, "dist", "src", "cli", "main.js"))).toBe(true);
  });
});

describe("envstack preview --policy-config", () => {
  it("honours the configured levels, except below an unsuppressible policy's floor", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    editFile(file, "multiAz: true", "multiAz: false");
    const config = path.join(dir, "policy-config.json");
    fs.writeFileSync(config, JSON.stringify({ all: "disabled", "stage-mirrors-prod": "advisory" }));
    const run = await runCli([
      "preview",
      "--stack",
      "stage",
      "--config-file",
      file,
      "--policy-config",
      config,
      "--format",
      "json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const stage = (JSON.parse(run.stdout) as ContractReport).stacks[0]!;
    expect(stage.violations.map((v) => [v.policy, v.enforcement, v.message.split(":")[0]])).toEqual(
      [
        ["stage-mirrors-prod", "advisory", "Set database.multiAz to true on database-primary"],
        ...POLICY_CATALOG.filter(
          (p) => !p.suppressible && p.levels["production-like"] === "mandatory",
        ).map((p) => [p.name, "advisory", `Ignored all "disabled" from ${config} for ${p.name}`]),
      ],
    );
  });
});

describe("policies/policy-config.example.json", () => {
  it("passes the committed stacks, refusing no level", async () => {
    const example = path.join(ROOT, "policies", "policy-config.example.json");
    const run = await runCli(["preview", "--all", "--policy-config", example, "--format", "json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ContractReport;
    expect(report.stacks.map((s) => s.stack)).toEqual(["dev", "stage", "prod"]);
    for (const s of report.stacks) {
      expect(s.violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
      expect(s.violations.filter((v) => v.message.startsWith("Ignored "))).toEqual([]);
    }
  });
});
