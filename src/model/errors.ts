/**
 * A configuration error: which file, which key, what was expected and what was found.
 * Everything that reads config reports through this, so every consumer prints the same line.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${file}: ${keyPath}: expected ${expected}, found ${found}`);
    this.name = "ConfigError";
  }
}

/** Several config errors reported together; the message lists one per line. */
export class ConfigErrors extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "ConfigErrors";
  }
}

/** Describes a found value for an error message: its type and, when short, the value itself. */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a map";
  const shown = JSON.stringify(value);
  const text = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  return `${typeof value} ${text}`;
}

/** What a zod issue carries that an error message needs (structural, so this file imports nothing). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** The unknown keys of an `unrecognized_keys` issue. */
  readonly keys?: readonly string[];
}

/**
 * Config errors for a schema's issues over `input`, read from `source` (a file, or an
 * environment variable): the key path dotted, the issue's message as what was expected (schemas
 * give their own), and what the input holds there. An unknown key is reported as itself.
 */
export function configErrorsFromIssues(
  source: string,
  input: unknown,
  issues: readonly SchemaIssue[],
  options: {
    /** The keys a map at a path may hold, for an unknown key's message. */
    readonly knownKeys?: (at: readonly PropertyKey[]) => readonly string[];
    /** How the whole input is named when an issue is about it. Defaults to "(document)". */
    readonly root?: string;
  } = {},
): ConfigErrors {
  const at = (parts: readonly PropertyKey[]) =>
    parts.map(String).join(".") || (options.root ?? "(document)");
  const valueAt = (parts: readonly PropertyKey[]) =>
    parts.reduce<unknown>(
      (node, part) =>
        node !== null && typeof node === "object"
          ? (node as Record<PropertyKey, unknown>)[part]
          : undefined,
      input,
    );
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = options.knownKeys?.(issue.path) ?? [];
      for (const key of issue.keys ?? []) {
        errors.push(
          new ConfigError(
            source,
            at([...issue.path, key]),
            known.length > 0 ? `one of ${known.join(", ")}` : "no such key",
            `unknown key with ${describeFound(valueAt([...issue.path, key]))}`,
          ),
        );
      }
      continue;
    }
    errors.push(
      new ConfigError(source, at(issue.path), issue.message, describeFound(valueAt(issue.path))),
    );
  }
  return new ConfigErrors(errors);
}
