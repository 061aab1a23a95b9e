import * as fs from "node:fs";
import * as path from "node:path";
import { environments, PARITY, PROMISES, ROLES, type Role, type StatedPromise } from "../src/model";
import { baselinesSection } from "./baseline-config";
import { PACK_NAME, POLICY_DEFINITIONS, SUPPRESSIONS_SETTING, policyMeta } from "./catalog";
import { readMutationScore } from "./mutation-score";
import { packDir, type Setting } from "./support";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function settingLine(key: string, s: Setting, perStack: Record<string, unknown>): string {
  const values = [...new Set(Object.values(perStack).map((v) => JSON.stringify(v)))];
  const def =
    values.length === 1
      ? `default \`${values[0]}\``
      : `default ${environments()
          .names.map((st) => `${st} \`${JSON.stringify(perStack[st])}\``)
          .join(", ")}`;
  return `- \`${key}\` (${String(s.type)}): ${s.description ?? ""} ${def}.`;
}

/**
 * The roles of the environments a promise holds in: those its statement names, else those where
 * one of its policies is mandatory.
 */
export function promiseRoles(promise: StatedPromise): Role[] {
  if (promise.roles) return [...promise.roles];
  return ROLES.filter((r) =>
    promise.policies.some((p) => policyMeta(p)?.levels[r] === "mandatory"),
  );
}

function promiseRows(): string[] {
  return PROMISES.map((p) => {
    const stated = p.stated.map((s) => `${s.file}: “${s.phrase}”`).join("; ");
    const policies = p.policies.map((name) => `[\`${name}\`](#${name})`).join(", ");
    const covers = p.covers
      .map((c) => `\`${c.type}\`${c.instances ? ` (${c.instances})` : ""}: ${c.paths.join(", ")}`)
      .join("; ");
    return `| ${cell(p.statement)} | ${cell(stated)} | ${policies} | ${cell(covers)} | ${promiseRoles(p).join(", ")} |`;
  });
}

function mutationSection(): string[] {
  const m = readMutationScore();
  if (!m) return [];
  const kinds = (k: Readonly<Record<string, number>>) =>
    Object.entries(k)
      .map(([name, n]) => `${name} ${n}`)
      .join(", ") || "—";
  return [
    "",
    "## Mutation score",
    "",
    `How much of the pack's logic the policy tests pin: StrykerJS mutates \`policies/**/*.ts\` (not \`index.ts\`, \`concerns.ts\` or this score's own script) and runs the tests of \`test/policies\` against each mutant (\`stryker.config.json\`, \`vitest.mutation.config.mts\`), all but \`program.test.ts\`, which runs the program in each test: \`promises.test.ts\` breaks the same resources, run once per stack and cached. Mutants of what runs at import (names, descriptions, levels) are left out: the inventory and this document's drift test pin those. The score is killed (or timed out) over killed, survived and uncovered mutants. Measured on ${m.measured}${m.revision ? ` at commit ${m.revision}` : ""} with \`${m.command}\` (not part of \`npm test\`; re-run it after changing a policy or its tests): **${m.overall.score}%** (${m.overall.killed} killed, ${m.overall.timedOut} timed out, ${m.overall.survived} survived, ${m.overall.noCoverage} without coverage).`,
    "",
    "| file | score | killed | timed out | survived | no coverage | surviving mutators |",
    "|---|---|---|---|---|---|---|",
    ...Object.entries(m.files).map(
      ([file, f]) =>
        `| \`${file}\` | ${f.score}% | ${f.killed} | ${f.timedOut} | ${f.survived} | ${f.noCoverage} | ${kinds(f.survivors)} |`,
    ),
  ];
}

/** docs/POLICIES.md, generated from the policies' own metadata. */
export function renderPoliciesDoc(): string {
  const out: string[] = [
    "# Policies",
    "",
    `<!-- Generated from policies/catalog.ts by \`npm run docs:policies\`; do not edit by hand. -->`,
    "",
    `The pack \`${PACK_NAME}\` runs at preview (\`pulumi preview --policy-pack policies\`, or the offline gate \`envstack preview\`). A **mandatory** violation blocks the preview; an **advisory** one is reported only. A policy's level depends on the role of the stack's environment (\`envstack.yaml\`, see docs/RUNBOOK.md; by default dev is \`development\`, stage \`production-like\` and prod \`production\`). Levels and thresholds are set per stack through the pack config (see \`policies/policy-config.example.json\`): a policy's \`enforcementLevel\`, or \`all\` for every policy, replaces the level below, except that a policy marked **never** suppressible keeps at least its level in the stack. With \`pulumi preview --policy-pack-config\` such a policy still reports at its floor when lowered to advisory, but \`disabled\` (or \`all: disabled\`) switches it off: the \`@pulumi/policy\` server skips a disabled policy before any of its code runs ([server.ts](https://github.com/pulumi/pulumi-policy/blob/master/sdk/nodejs/policy/server.ts), \`makeAnalyzeRpcFun\`), so no pack can refuse it there. \`envstack preview --policy-config\` refuses a lower level or \`disabled\` (from \`all\` too) and notes each refused level on the policy: run the gate in CI so that a disabled guarantee fails the pull request.`,
    "",
    `| policy | severity | ${ROLES.join(" | ")} | suppressible | framework |`,
    `|---|---|${ROLES.map(() => "---").join("|")}|---|---|`,
  ];
  for (const p of POLICY_DEFINITIONS) {
    out.push(
      `| [\`${p.name}\`](#${p.name}) | ${p.severity} | ${ROLES.map((r) => p.levels[r]).join(" | ")} | ${p.suppressible ? "yes" : "**never**"} | ${p.framework ? cell(`${p.framework.name} ${p.framework.reference}`) : "—"} |`,
    );
  }
  out.push(...baselinesSection());
  for (const p of POLICY_DEFINITIONS) {
    out.push("", `## ${p.name}`, "", p.description, "");
    out.push(`- Severity: ${p.severity}`);
    out.push(`- Enforcement: ${ROLES.map((r) => `${r} ${p.levels[r]}`).join(", ")}`);
    if (p.framework)
      out.push(
        `- Framework: ${p.framework.name} ${p.framework.reference} (${p.framework.specification})`,
      );
    if (p.documentation) out.push(`- Documentation: <${p.documentation}>`);
    out.push(`- Suppressible: ${p.suppressible ? "yes" : "never"}`);
    out.push("", `**Remediation.** ${p.remediationSteps}`);
    const keys = Object.keys(p.settings?.(environments().production) ?? {});
    if (keys.length > 0) {
      out.push("", "**Settings.**", "");
      for (const k of keys) {
        const perStack = Object.fromEntries(
          environments().names.map((s) => [s, p.settings?.(s)[k]?.default]),
        );
        out.push(settingLine(k, p.settings!(environments().production)[k]!, perStack));
      }
    }
  }
  out.push(
    "",
    "## Promises and the policies that keep them",
    "",
    "For security reviewers: every guarantee the README and docs/ make about what the pack enforces, the exact words and where they stand, the policies that fail a preview breaking it, what those policies read, and the stacks it holds in (named by the statement, else where a policy is mandatory; the GitHub rows hold in prod, the stack that declares every environment's guards). From `src/model/promises.ts`; `test/policies/promises.test.ts` fails when a phrase leaves its file, a policy is unknown or disabled in those stacks, or a break of the promise on any instance the program declares goes unreported.",
    "",
    "| promise | stated in | policy | covers | stacks |",
    "|---|---|---|---|---|",
    ...promiseRows(),
    "",
    "## Parity contract",
    "",
    "What `stage-mirrors-prod` compares (must-equal) and what may differ, from `src/model/parity.ts`.",
    "",
    "| key | rule | note |",
    "|---|---|---|",
    ...PARITY.map((a) => `| \`${a.key}\` | ${a.rule} | ${cell(a.note)} |`),
    "",
    "## Suppressions",
    "",
    `A reviewed exception lives in \`policies/${String(SUPPRESSIONS_SETTING.default)}\` (every policy's \`suppressionsFile\` setting moves it). An entry names \`policy\`; one resource in one stack, as \`resource\` (a URN, which names its stack) or as \`stack\` plus \`resource\` written \`<type>::<name>\`; for a policy that reports several attributes (\`stage-mirrors-prod\`, \`dev-follows-stage-versions\`), the one \`attribute\` it waives (a parity key such as \`database.multiAz\`); \`reason\` (at least 20 characters), \`owner\` and \`expires\` (YYYY-MM-DD, inclusive, at most one year ahead). Names are exact: wildcards and patterns are refused. A suppressed violation is still reported, as advisory, with the message \`Suppressed (owner <owner>, expires <date>): <reason>. Original: <message>\`. \`suppressions-are-valid\` reports a malformed entry (file, key, expected, found), an expired one (which stops suppressing) and, as advisory, a stale one that matches no violation in its stack. Policies marked **never** cannot be suppressed; naming one is itself a violation.`,
    "",
    "## Unknown values",
    "",
    "During a preview some inputs are computed only by the update (IDs, ARNs, generated names). A policy that needs such a value reports an advisory `Cannot check ... during preview: ...` and checks it again on update; a value that only has to exist (a KMS key ARN to come) passes.",
    ...mutationSection(),
    "",
  );
  return out.join("\n");
}

export const DOC_PATH = path.join("docs", "POLICIES.md");

if (require.main === module) {
  const file = path.join(packDir(), "..", DOC_PATH);
  fs.writeFileSync(file, renderPoliciesDoc());
  process.stdout.write(`wrote ${file}\n`);
}
