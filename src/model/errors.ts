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
  /** The key schema's own issues of an `invalid_key` issue (a record's key is wrong). */
  readonly issues?: readonly { readonly message: string }[];
}

/** A key path as config errors print it: `a.b[0].c`. */
export function dottedKeyPath(parts: readonly PropertyKey[]): string {
  return parts
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** The value at a key path in a parsed document, or undefined when the path leaves it. */
export function valueAtPath(root: unknown, parts: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of parts) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/**
 * Config errors for a schema's issues over `input`, read from `source` (a file, or an
 * environment variable): the key path, the issue's message as what was expected (schemas give
 * their own), and what the input holds there. An unknown key is reported as itself, as is a
 * wrong key of a map of names.
 */
export function configErrorsFromIssues(
  source: string,
  input: unknown,
  issues: readonly SchemaIssue[],
  options: {
    /** The keys a map at a path may hold, for an unknown key's message. */
    readonly knownKeys?: (at: readonly PropertyKey[]) => readonly string[];
    /** What an unknown key's message says was expected; defaults to the known keys. */
    readonly expectedKey?: (key: string, known: readonly string[]) => string;
    /** How the whole input is named when an issue is about it. Defaults to "(document)". */
    readonly root?: string;
    /** Where `input` sits in its file, put before every reported path. */
    readonly prefix?: readonly PropertyKey[];
    /** How a key path is printed. Defaults to `a.b[0].c`. */
    readonly keyPath?: (parts: readonly PropertyKey[]) => string;
  } = {},
): ConfigErrors {
  const print = options.keyPath ?? dottedKeyPath;
  const at = (parts: readonly PropertyKey[]) => {
    const full = [...(options.prefix ?? []), ...parts];
    return full.length > 0 ? print(full) : (options.root ?? "(document)");
  };
  const expectedKey =
    options.expectedKey ??
    ((_: string, known: readonly string[]) =>
      known.length > 0 ? `one of ${known.join(", ")}` : "no such key");
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = options.knownKeys?.(issue.path) ?? [];
      for (const key of issue.keys ?? []) {
        errors.push(
          new ConfigError(
            source,
            at([...issue.path, key]),
            expectedKey(key, known),
            `unknown key with ${describeFound(valueAtPath(input, [...issue.path, key]))}`,
          ),
        );
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // The key itself is wrong (a record's key schema): report the key, not its value.
      const key = issue.path[issue.path.length - 1];
      errors.push(
        new ConfigError(
          source,
          at(issue.path),
          `${issue.issues?.[0]?.message ?? "a valid key"} for the key`,
          describeFound(typeof key === "symbol" ? String(key) : key),
        ),
      );
      continue;
    }
    errors.push(
      new ConfigError(
        source,
        at(issue.path),
        issue.message,
        describeFound(valueAtPath(input, issue.path)),
      ),
    );
  }
  return new ConfigErrors(errors);
}
