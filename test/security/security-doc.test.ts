import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { environments, type StackName } from "../../src/model";
import { runStack } from "../program/harness";
import { GITHUB_ADMIN_SECRET, loadWorkflows } from "../workflows/drift";
import {
  capabilityTable,
  roleCapabilities,
  workflowCapabilities,
  type Capability,
} from "./capabilities";

const DOC = path.resolve(__dirname, "../../docs/SECURITY.md");
const START = "<!-- capabilities:start -->";
const END = "<!-- capabilities:end -->";

/** A Markdown table's cells, row by row (Prettier may pad and align them). */
function cells(table: string): string[][] {
  return table
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

/** The table between the markers of docs/SECURITY.md. */
function documentedTable(): string {
  const text = fs.readFileSync(DOC, "utf8");
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC}: no ${START} ... ${END} section`);
  return text.slice(from + START.length, to).trim();
}

let rows: Capability[] = [];
let roleRows: Record<string, Capability[]> = {};

beforeAll(async () => {
  const workflowRows = workflowCapabilities(loadWorkflows());
  roleRows = {};
  for (const stack of environments().names) {
    const run = await runStack(stack);
    roleRows[stack] = roleCapabilities(stack, run.spec.app, run.resources);
  }
  rows = [...workflowRows, ...environments().names.flatMap((s) => roleRows[s]!)];
}, 120_000);

describe("docs/SECURITY.md", () => {
  it("lists exactly the credentials the workflows and the declared roles hold (set UPDATE_SECURITY_DOC=1 to rewrite it)", () => {
    const table = capabilityTable(rows);
    if (process.env["UPDATE_SECURITY_DOC"] === "1") {
      const text = fs.readFileSync(DOC, "utf8");
      const from = text.indexOf(START) + START.length;
      fs.writeFileSync(DOC, `${text.slice(0, from)}\n${table}\n${text.slice(text.indexOf(END))}`);
    }
    expect(cells(documentedTable())).toEqual(cells(table));
  });
});

describe("no credential reaches further than its approvals allow", () => {
  it("unreviewed pull-request code holds only a read-only GitHub token", () => {
    const unreviewed = rows.filter((r) => r.unreviewed);
    expect(unreviewed.length).toBeGreaterThan(0);
    for (const r of unreviewed) {
      expect([r.holder, r.credential, r.environments]).toEqual([
        r.holder,
        "GITHUB_TOKEN (read-only)",
        [],
      ]);
    }
  });

  it(`only the ${environments().production} deploy holds the token that changes GitHub guards`, () => {
    const holders = rows.filter((r) => r.credential === GITHUB_ADMIN_SECRET);
    expect(holders.map((r) => r.holder)).toEqual([
      `deploy-${environments().production}.yml › deploy (${environments().production})`,
    ]);
    expect(holders[0]?.approval).toMatch(/code owner.*approves the deployment/);
  });

  it("each Pulumi token is a secret of its own environment", () => {
    for (const r of rows.filter((x) => x.credential === "PULUMI_ACCESS_TOKEN")) {
      expect(r.environments).toHaveLength(1);
      expect(r.holder).toMatch(new RegExp(`deploy \\(${r.environments[0]}\\)$`));
    }
  });

  it.each(environments().names)(
    "every role of the %s stack reaches %s alone, and is bounded or a CI role",
    (stack) => {
      const own = roleRows[stack as StackName]!;
      expect(own.length).toBeGreaterThan(3);
      for (const r of own) {
        expect([r.credential, r.environments.filter((e) => e !== stack)]).toEqual([
          r.credential,
          [],
        ]);
        if (!r.credential.includes(" /ci/"))
          expect(r.reaches).toMatch(/bounded by \/ci\/[a-z0-9-]+-boundary$/);
      }
    },
  );

  it("a deploy role is assumable only from its own environment's jobs", () => {
    for (const stack of environments().names) {
      const deploy = roleRows[stack]!.filter(
        (r) => r.credential.includes(" /ci/") && r.credential.includes("-deploy "),
      );
      expect(deploy.map((r) => r.trigger)).toEqual([`a job bound to the ${stack} environment`]);
    }
  });

  it("fails on a widened row: a role naming another environment", () => {
    const widened = roleCapabilities("dev", `${SAMPLE.app}`, [
      {
        urn: "urn:pulumi:dev::envstack::aws:iam/role:Role::r",
        type: "aws:iam/role:Role",
        name: "r",
        inputs: {
          name: `${SAMPLE.app}-dev-r`,
          permissionsBoundary: `arn:aws:iam::1:policy/ci/${SAMPLE.app}-dev-boundary`,
        },
      },
      {
        urn: "urn:pulumi:dev::envstack::aws:iam/rolePolicy:RolePolicy::p",
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "p",
        inputs: {
          role: `${SAMPLE.app}-dev-r`,
          name: "p",
          policy: JSON.stringify({
            Statement: [
              {
                Effect: "Allow",
                Action: "ssm:GetParameter",
                Resource: `arn:aws:ssm:${SAMPLE.region}:1:parameter/prod/${SAMPLE.app}/x`,
              },
            ],
          }),
        },
      },
    ] as never);
    expect(widened.map((r) => r.environments)).toEqual([["prod"]]);
  });
});
