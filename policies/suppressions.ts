import * as fs from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError, describeFound } from "../src/model";

/** Where the reviewed suppressions live, relative to the pack directory. */
export const DEFAULT_SUPPRESSIONS_FILE = "suppressions.yaml";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/**
 * One reviewed exception: a policy, one resource (its URN, or `<type>::<name>`), why, who owns
 * it and until when (inclusive).
 */
export const suppressionSchema = z.strictObject({
  policy: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "a policy name (kebab-case)" }),
  resource: z
    .string()
    .regex(/^(urn:pulumi:.+::.+::.+::.+|[A-Za-z0-9-]+:[A-Za-z0-9/.-]*:[A-Za-z0-9]+::.+)$/, {
      error: "a resource URN or <type>::<name>",
    }),
  reason: z.string().trim().min(20, { error: "a reason of at least 20 characters" }),
  owner: z.string().trim().min(1, { error: "an owner (a team or @login)" }),
  expires: z.string().refine(isCalendarDate, { error: "an expiry date written YYYY-MM-DD" }),
});

export type Suppression = z.infer<typeof suppressionSchema>;

export interface SuppressionFile {
  readonly file: string;
  /** Entries that passed validation; invalid entries never suppress. */
  readonly entries: readonly Suppression[];
  readonly errors: readonly ConfigError[];
}

function keyPath(parts: readonly PropertyKey[]): string {
  return parts
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of parts) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** Validates a suppressions document (already parsed YAML). */
export function parseSuppressions(file: string, root: unknown): SuppressionFile {
  const list = root !== null && typeof root === "object" ? valueAt(root, ["suppressions"]) : root;
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
    const parsed = suppressionSchema.safeParse(item, {
      error: (issue) =>
        issue.code === "invalid_type"
          ? issue.expected === "object"
            ? "a map with policy, resource, reason, owner, expires"
            : `a ${issue.expected}`
          : undefined,
    });
    if (parsed.success) {
      entries.push(parsed.data);
      return;
    }
    for (const issue of parsed.error.issues) {
      const at = ["suppressions", index, ...issue.path];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          errors.push(
            new ConfigError(
              file,
              keyPath([...at, key]),
              "one of policy, resource, reason, owner, expires",
              `unknown key with ${describeFound(valueAt(item, [...issue.path, key]))}`,
            ),
          );
        }
        continue;
      }
      errors.push(
        new ConfigError(file, keyPath(at), issue.message, describeFound(valueAt(item, issue.path))),
      );
    }
  });
  return { file, entries, errors };
}

const cache = new Map<string, { mtimeMs: number; result: SuppressionFile }>();

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
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs) return hit.result;
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
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
      : parseSuppressions(file, doc.toJS());
  cache.set(file, { mtimeMs: stat.mtimeMs, result });
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

/** Whether a suppression names this resource, by URN or by `<type>::<name>`. */
export function namesResource(
  s: Suppression,
  resource: { urn?: string; type?: string; name?: string },
): boolean {
  if (resource.urn !== undefined && s.resource === resource.urn) return true;
  return (
    resource.type !== undefined &&
    resource.name !== undefined &&
    s.resource === `${resource.type}::${resource.name}`
  );
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
  return `Renew or remove the suppression for ${s.resource}: it expired on ${s.expires} (owner ${s.owner}), so the violation is enforced again.`;
}
