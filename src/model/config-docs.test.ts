import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  environments,
  configSchema,
  defaultsFor,
  readPath,
  SERVICE,
  serviceDefaultsFor,
  type StackName,
} from ".";

// The configuration reference is the README's section of that name.
const DOC = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

interface Shaped {
  readonly shape?: Readonly<Record<string, unknown>>;
}

/**
 * Every key an operator can write, as `section.key[.sub]`; a map of named entries whose entries
 * have keys (envstack:services) is walked as `services.<name>.key`, other maps stay whole.
 */
function schemaKeys(): string[] {
  const keys: string[] = [];
  const walk = (prefix: string, schema: unknown) => {
    const entries = (schema as { valueType?: Shaped }).valueType;
    if (entries?.shape) {
      walk(`${prefix}.${SERVICE}`, entries);
      return;
    }
    const shape = (schema as Shaped).shape;
    if (!shape) {
      keys.push(prefix);
      return;
    }
    for (const [key, child] of Object.entries(shape)) {
      const unwrapped = (child as { unwrap?: () => unknown }).unwrap?.() ?? child;
      walk(prefix ? `${prefix}.${key}` : key, unwrapped);
    }
  };
  walk("", configSchema);
  return keys;
}

/** Rows of the reference tables: key -> [dev, stage, prod] default cells, backticks removed. */
function documentedRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of DOC.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const key = /^`([^`]+)`$/.exec(cells[0] ?? "")?.[1];
    if (!key || cells.length !== 6) continue;
    rows.set(
      key,
      cells.slice(3).map((c) => c.replace(/^`|`$/g, "")),
    );
  }
  return rows;
}

function render(value: unknown): string {
  if (value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

describe("the README's configuration reference", () => {
  const rows = documentedRows();

  it("finds the schema's keys (the walk itself works)", () => {
    const keys = schemaKeys();
    expect(keys).toContain("network.cidr");
    expect(keys).toContain("services.<name>.deployment.holdMinutes");
    expect(keys).toContain("services.<name>.routing.paths");
    expect(keys).toContain("loadBalancer.certificateArn");
    expect(keys).toContain("featureFlags");
    expect(keys.length).toBeGreaterThanOrEqual(45);
  });

  it.each(schemaKeys())("documents %s", (key) => {
    expect(rows.has(key)).toBe(true);
  });

  it("documents aws:region", () => {
    expect(rows.get("aws:region")).toEqual(["—", "—", "—"]);
  });

  it("documents no key the schema does not have", () => {
    const known = new Set([...schemaKeys(), "aws:region"]);
    expect([...rows.keys()].filter((k) => !known.has(k))).toEqual([]);
  });

  /** A key's default: a service's keys default per service (serviceDefaultsFor). */
  const defaultOf = (stack: StackName, key: string) =>
    key.startsWith(`services.${SERVICE}.`)
      ? readPath(serviceDefaultsFor(stack), key.slice(`services.${SERVICE}.`.length))
      : readPath(defaultsFor(stack), key);

  it.each(schemaKeys())("states the per-environment defaults of %s", (key) => {
    expect(rows.get(key)).toEqual(environments().names.map((s) => render(defaultOf(s, key))));
  });
});
