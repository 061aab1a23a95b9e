import * as fs from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import {
  environments,
  ConfigError,
  UnreadableFile,
  configErrorsFromIssues,
  describeFound,
  readInputFile,
  valueAtPath,
} from "../src/model";

/** Where the reviewed suppressions live, relative to the pack directory. */
export const DEFAULT_SUPPRESSIONS_FILE = "suppressions.yaml";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** Characters that make a name a pattern; a suppression names one thing exactly. */
const PATTERN = /[*?[\]()|^+{}\\]/;

const URN = /^urn:pulumi:[^:]+::.+::.+::.+$/;
const TYPE_AND_NAME = /^[A-Za-z0-9-]+:[A-Za-z0-9/.-]*:[A-Za-z0-9]+::.+$/;

/** The last day a suppression written on `on` may run to: one year ahead, inclusive. */
export function latestExpiry(on: string): string {
  const [y, m, d] = on.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y + 1, m - 1, d)).toISOString().slice(0, 10);
}

function exactName(what: string, shape: RegExp | undefined, shapeError: string) {
  return z.string().superRefine((value, ctx) => {
    if (PATTERN.test(value)) {
      ctx.addIssue({ code: "custom", message: `${what} named exactly (no wildcards or patterns)` });
    } else if (shape && !shape.test(value)) {
      ctx.addIssue({ code: "custom", message: shapeError });
    }
  });
}

/**
 * One reviewed exception: a policy, one resource in one stack (its URN, or `<type>::<name>`
 * with `stack`), for a policy that reports several attributes the one `attribute` it waives,
 * why, who owns it and until when (inclusive, at most a year ahead of the day it is read).
 */
export function suppressionSchema(on: string = today()) {
  const latest = latestExpiry(on);
  return z
    .strictObject({
      policy: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "a policy name (kebab-case)" }),
      stack: z
        .enum(environments().names as [string, ...string[]], {
          error: `one of ${environments().names.join(", ")}`,
        })
        .optional(),
      resource: exactName(
        "one resource",
        new RegExp(`${URN.source}|${TYPE_AND_NAME.source}`),
        "a resource URN or <type>::<name>",
      ),
      attribute: exactName("one attribute", undefined, "").optional(),
      reason: z.string().trim().min(20, { error: "a reason of at least 20 characters" }),
      owner: z.string().trim().min(1, { error: "an owner (a team or @login)" }),
      expires: z
        .string()
        .refine(isCalendarDate, { error: "an expiry date written YYYY-MM-DD", abort: true })
        .refine((d) => d <= latest, {
          error: `an expiry at most one year ahead (on or before ${latest})`,
        }),
    })
    .superRefine((s, ctx) => {
      const urnStack = urnStackOf(s.resource);
      if (urnStack === undefined && s.stack === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["stack"],
          message: `the stack the resource is in (${environments().names.join(", ")}): <type>::<name> names a resource in every stack`,
        });
      } else if (urnStack !== undefined && s.stack !== undefined && s.stack !== urnStack) {
        ctx.addIssue({
          code: "custom",
          path: ["stack"],
          message: `"${urnStack}", the stack the resource's URN names (or no stack key)`,
        });
      }
    });
}

export type Suppression = z.infer<ReturnType<typeof suppressionSchema>>;

function urnStackOf(resource: string): string | undefined {
  return URN.test(resource) ? resource.slice("urn:pulumi:".length).split("::")[0] : undefined;
}

/** The stack a suppression applies in: its URN's, or its `stack`. */
export function stackOf(s: Suppression): string {
  return urnStackOf(s.resource) ?? s.stack!;
}

/** How messages name what an entry suppresses: the resource, and the attribute if any. */
export function describeTarget(s: Suppression): string {
  const where = URN.test(s.resource) ? s.resource : `${s.resource} in ${stackOf(s)}`;
  return s.attribute === undefined ? where : `${s.attribute} of ${where}`;
}

export interface SuppressionFile {
  readonly file: string;
  /** Entries that passed validation; invalid entries never suppress. */
  readonly entries: readonly Suppression[];
  readonly errors: readonly ConfigError[];
}

/** Validates a suppressions document (already parsed YAML). */
export function parseSuppressions(
  file: string,
  root: unknown,
  on: string = today(),
): SuppressionFile {
  const schema = suppressionSchema(on);
  const list =
    root !== null && typeof root === "object" ? valueAtPath(root, ["suppressions"]) : root;
  if (!Array.isArray(list)) {
    return {
      file,
      entries: [],
      errors: [
        new ConfigError(file, "suppressions", "a list of suppressions", describeFound(list)),
      ],
    };
  }
  const entries: Suppression[] = [];
  const errors: ConfigError[] = [];
  list.forEach((item: unknown, index) => {
    const parsed = schema.safeParse(item, {
      error: (issue) =>
        issue.code === "invalid_type"
          ? issue.expected === "object"
            ? "a map with policy, stack, resource, attribute, reason, owner, expires"
            : `a ${issue.expected}`
          : undefined,
    });
    if (parsed.success) {
      entries.push(parsed.data);
      return;
    }
    errors.push(
      ...configErrorsFromIssues(file, item, parsed.error.issues, {
        prefix: ["suppressions", index],
        expectedKey: () => "one of policy, stack, resource, attribute, reason, owner, expires",
      }).errors,
    );
  });
  return { file, entries, errors };
}

const cache = new Map<string, { mtimeMs: number; on: string; result: SuppressionFile }>();

/** Reads and validates a suppressions file; a missing or broken file suppresses nothing. */
export function loadSuppressions(file: string): SuppressionFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      file,
      entries: [],
      errors: [new ConfigError(file, "(file)", "a readable suppressions file", code)],
    };
  }
  const on = today();
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.on === on) return hit.result;
  let text: string;
  try {
    text = readInputFile(file);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    return {
      file,
      entries: [],
      errors: [new ConfigError(file, "(file)", "a readable suppressions file", err.found)],
    };
  }
  const doc = parseDocument(text);
  const result =
    doc.errors.length > 0
      ? {
          file,
          entries: [],
          errors: [
            new ConfigError(
              file,
              "(document)",
              "valid YAML",
              `${doc.errors[0]!.code}: ${doc.errors[0]!.message.split("\n")[0]}`,
            ),
          ],
        }
      : parseSuppressions(file, doc.toJS(), on);
  cache.set(file, { mtimeMs: stat.mtimeMs, on, result });
  return result;
}

/** Today as YYYY-MM-DD (UTC), the day suppressions are judged against. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A suppression is in force through its expiry date, inclusive. */
export function isExpired(s: Suppression, on: string = today()): boolean {
  return s.expires < on;
}

/** What a violation is about: the stack, the resource (URN, type, name), the attribute. */
export interface ViolationTarget {
  readonly stack: string;
  readonly urn?: string;
  readonly type?: string;
  readonly name?: string;
  readonly attribute?: string;
}

/**
 * Whether a suppression names this violation: the same stack, the resource by URN or by
 * `<type>::<name>`, and the same attribute (an entry without one matches only violations
 * without one).
 */
export function namesViolation(s: Suppression, target: ViolationTarget): boolean {
  if (stackOf(s) !== target.stack || s.attribute !== target.attribute) return false;
  if (target.urn !== undefined && s.resource === target.urn) return true;
  return (
    target.type !== undefined &&
    target.name !== undefined &&
    s.resource === `${target.type}::${target.name}`
  );
}

// The entries that matched a violation in this process, per stack: the pack runs the stack's
// resource policies (Analyze) before its stack policies (AnalyzeStack), and the suppressions
// policy runs last, so by then an entry that matched nothing is stale.
const matched = new Map<string, WeakSet<Suppression>>();

export function recordMatch(stack: string, s: Suppression): void {
  let set = matched.get(stack);
  if (!set) matched.set(stack, (set = new WeakSet()));
  set.add(s);
}

export function hasMatched(stack: string, s: Suppression): boolean {
  return matched.get(stack)?.has(s) ?? false;
}

/** The message a suppressed violation carries; parseSuppressedMessage reads it back. */
export function suppressedMessage(s: Suppression, original: string): string {
  return `Suppressed (owner ${s.owner}, expires ${s.expires}): ${s.reason.trim().replace(/\.+$/, "")}. Original: ${original}`;
}

const SUPPRESSED =
  /^Suppressed \(owner (.+?), expires (\d{4}-\d{2}-\d{2})\): ([\s\S]*?)\. Original: ([\s\S]*)$/;

/**
 * Reads a suppressed violation's message back into its parts. Tolerates the policy description
 * the SDK prepends to string reports (first line), so reports can read messages from any path.
 */
export function parseSuppressedMessage(
  message: string,
): { owner: string; expires: string; reason: string; original: string } | undefined {
  const start = message.indexOf("Suppressed (owner ");
  if (start < 0 || (start > 0 && message[start - 1] !== "\n")) return undefined;
  const m = SUPPRESSED.exec(message.slice(start));
  if (!m) return undefined;
  return { owner: m[1]!, expires: m[2]!, reason: m[3]!, original: m[4]! };
}

/** The message reported when a matching suppression has expired. */
export function expiredMessage(s: Suppression): string {
  return `Renew or remove the suppression for ${describeTarget(s)}: it expired on ${s.expires} (owner ${s.owner}), so the violation is enforced again.`;
}

/** The message reported when an entry matched no violation in its stack. */
export function staleMessage(s: Suppression, where: string): string {
  return `Remove the suppression of ${s.policy} for ${describeTarget(s)} (${where}): it matches no violation in ${stackOf(s)}, so it suppresses nothing.`;
}
