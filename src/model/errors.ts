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
