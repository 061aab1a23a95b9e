import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { POLICY_CATALOG } from "../../policies/catalog";
import type { GateResult, StackVerdict, Suppression, Violation } from "../../src/engine/gate";
import type { RegisteredResource } from "../../src/engine/mock-run";
import type { StackName } from "../../src/model";

/** A stack file as the committed ones read; `database.multiAz` on line 8, column 5. */
export const STACK_FILE = `config:
  aws:region: eu-west-1
  envstack:app: trading
  envstack:database:
    engine: postgres
    engineVersion: "16.13"
    instanceClass: db.r6g.large
    multiAz: false
    storageGb: 100
  envstack:github:
    owner: acme
    requiredApprovals: 1
`;

export const RDS = "aws:rds/instance:Instance";
export const urnOf = (stack: string, type: string, name: string, parent = "") =>
  `urn:pulumi:${stack}::envstack::${parent ? `${parent}$` : ""}${type}::${name}`;

/**
 * A compiled program file with its source map, as `npm run build` writes them: `declared.ts`
 * declares a resource on line 4, column 3; the compiled line differs.
 */
export function compiledProgram(dir: string): {
  js: string;
  ts: string;
  line: number;
  column: number;
} {
  const source = [
    "// A program file.",
    "export function declare(make: (name: string) => unknown): unknown {",
    "  const name = `database-primary`;",
    "  return make(name);",
    "}",
    "",
  ].join("\n");
  const tsFile = path.join(dir, "src", "declared.ts");
  const jsFile = path.join(dir, "dist", "src", "declared.js");
  fs.mkdirSync(path.dirname(tsFile), { recursive: true });
  fs.mkdirSync(path.dirname(jsFile), { recursive: true });
  fs.writeFileSync(tsFile, source);
  const out = ts.transpileModule(source, {
    compilerOptions: {
      sourceMap: true,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
    },
    fileName: "declared.ts",
  });
  const map = JSON.parse(out.sourceMapText!) as { sources: string[] };
  map.sources = [path.relative(path.dirname(jsFile), tsFile)];
  fs.writeFileSync(`${jsFile}.map`, JSON.stringify(map));
  fs.writeFileSync(
    jsFile,
    out.outputText.replace(/\/\/# sourceMappingURL=.*$/m, "//# sourceMappingURL=declared.js.map"),
  );
  const lines = out.outputText.split("\n");
  const line = lines.findIndex((l) => l.includes("return make(name)")) + 1;
  const column = lines[line - 1]!.indexOf("return") + 1;
  return { js: jsFile, ts: tsFile, line, column };
}

export function resource(
  stack: string,
  type: string,
  name: string,
  extra: Partial<RegisteredResource> = {},
): RegisteredResource {
  return {
    urn: urnOf(stack, type, name),
    type,
    name,
    custom: true,
    parent: "",
    provider: "",
    protect: false,
    dependencies: [],
    propertyDependencies: {},
    deleteBeforeReplace: false,
    ignoreChanges: [],
    retainOnDelete: false,
    deleteBeforeReplaceDefined: false,
    additionalSecretOutputs: [],
    inputs: {},
    wireInputs: {},
    ...extra,
  };
}

export function violation(
  stack: StackName,
  policy: string,
  urn: string,
  message: string,
  enforcement: Violation["enforcement"] = "mandatory",
): Violation {
  const meta = POLICY_CATALOG.find((p) => p.name === policy);
  return {
    stack,
    policy,
    enforcement,
    severity: meta?.severity ?? "medium",
    urn,
    message,
    remediation: meta?.remediationSteps ?? "",
  };
}

export function suppression(
  stack: StackName,
  policy: string,
  urn: string,
  original: string,
): Suppression {
  return {
    stack,
    policy,
    severity: "high",
    urn,
    owner: "team-data",
    expires: "2099-01-01",
    reason: "Migrating | tracked in OPS-1",
    original,
    waivedLevel: "mandatory",
  };
}

export function verdict(
  stack: StackName,
  file: string,
  parts: Partial<Pick<StackVerdict, "resources" | "violations" | "suppressions">>,
): StackVerdict {
  return {
    stack,
    file,
    resources: parts.resources ?? [],
    pack: { name: "envstack-policies", version: "0.1.0", policies: [], initialConfig: {} },
    violations: parts.violations ?? [],
    suppressions: parts.suppressions ?? [],
    timings: { programMs: 1, analyzeMs: 1 },
  };
}

export function result(...stacks: StackVerdict[]): GateResult {
  return { stacks, catalog: POLICY_CATALOG };
}

/**
 * The stage stack of the reports' fixtures, in a scratch project: database.multiAz false breaks
 * parity and redundancy on the primary (one root cause); a resource with no config key, declared
 * in a compiled program file; a stack-wide violation; a violation on a URN no resource has; a
 * suppression.
 */
export function stageFixture(): {
  dir: string;
  file: string;
  program: ReturnType<typeof compiledProgram>;
  primary: string;
  bucket: string;
  unknown: string;
  verdict: StackVerdict;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-reports-"));
  const file = path.join(dir, "Pulumi.stage.yaml");
  fs.writeFileSync(file, STACK_FILE);
  const program = compiledProgram(dir);
  const primary = urnOf("stage", RDS, "database-primary", "envstack:aws:Database");
  const bucket = urnOf("stage", "aws:s3/bucket:Bucket", "logs");
  const unknown = urnOf("stage", "aws:sqs/queue:Queue", "gone");
  const v = verdict("stage", file, {
    resources: [
      resource("stage", RDS, "database-primary", { urn: primary, inputs: { multiAz: false } }),
      resource("stage", "aws:s3/bucket:Bucket", "logs", {
        sourcePosition: {
          uri: pathToFileURL(program.js).href,
          line: program.line,
          column: program.column,
        },
      }),
    ],
    violations: [
      violation(
        "stage",
        "redundancy-in-production",
        primary,
        "Set multiAz to true on database-primary: stage runs its databases across availability zones.",
      ),
      violation(
        "stage",
        "stage-mirrors-prod",
        primary,
        "Set database.multiAz to true on database-primary: stage must mirror prod (stage declares false).",
      ),
      violation(
        "stage",
        "buckets-versioned-and-private",
        bucket,
        "Set blockPublicAcls to true on the public access block of bucket logs: no stage bucket is public.",
      ),
      violation(
        "stage",
        "deployment-environment-rules",
        "",
        "Declare an SNS topic for alarms: stage alarms must notify someone.",
        "advisory",
      ),
      violation(
        "stage",
        "required-tags",
        unknown,
        "Set tag app to trading on gone: it belongs to trading in stage (found undefined).",
      ),
    ],
    suppressions: [
      suppression(
        "stage",
        "database-backup-retention",
        primary,
        "Set backupRetentionPeriod to at least 14 on database-primary: stage keeps at least 14 days of backups (found 7).",
      ),
    ],
  });
  return { dir, file, program, primary, bucket, unknown, verdict: v };
}

/** Every Markdown table complete: a header, a separator with as many columns, rows alike. */
export function tablesOf(markdown: string): string[][] {
  const tables: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("|")) {
      if (!current) tables.push((current = []));
      current.push(line);
    } else current = undefined;
  }
  return tables;
}

/** The cells of a table row: split on pipes that are not escaped. */
export function cellsOf(row: string): string[] {
  return row
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}
