import * as fs from "node:fs";
import { SourceMap, findSourceMap } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, isMap, isScalar, parseDocument, type YAMLMap } from "yaml";
import {
  PARITY,
  SERVICE,
  isPerService,
  parityTemplateOf,
  readPath,
  type ResourceFilter,
} from "../model";
import type { StackVerdict } from "./gate";
import type { SourcePosition } from "./mock-run";

/** The program's config namespace: stack files key its settings `envstack:<name>`. */
const NAMESPACE = "envstack";

/**
 * What a finding is about, and so what to change: a config key of the stack file (`envstack:
 * database.multiAz`), else the resource (its URN), else the stack as a whole.
 */
export type RootCause =
  | { readonly kind: "config"; readonly key: string }
  | { readonly kind: "resource"; readonly urn: string }
  | { readonly kind: "stack" };

/** A place in a file: 1-based line and columns, `endColumn` the column after the last character. */
export interface Location {
  /** Absolute path. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endColumn: number;
}

export interface Located {
  readonly rootCause: RootCause;
  readonly location: Location;
  /**
   * What the location is: the config key's line (or its nearest ancestor's), the line that
   * declared the resource, or the stack file's first line when nothing more precise is known.
   */
  readonly at: "config-key" | "declaration" | "stack-file";
}

/** The root cause as one string: the config key, the URN, or empty for the stack. */
export function rootCauseKey(cause: RootCause): string {
  switch (cause.kind) {
    case "config":
      return cause.key;
    case "resource":
      return cause.urn;
    case "stack":
      return "";
  }
}

interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * The position of every key under `config:` in a stack file, nested maps by dotted path
 * (`envstack:database` and `envstack:database.multiAz`), from the YAML library's document API,
 * which keeps each node's source range; LineCounter turns offsets into 1-based lines and columns.
 * An unreadable or unparsable file has no keys.
 */
export function configKeyPositions(file: string): ReadonlyMap<string, Position> {
  const positions = new Map<string, Position>();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return positions;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const config = doc.get("config", true);
  const walk = (map: YAMLMap, prefix: string) => {
    for (const pair of map.items) {
      if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
      const key = prefix ? `${prefix}.${String(pair.key.value)}` : String(pair.key.value);
      const at = lineCounter.linePos(pair.key.range[0]);
      positions.set(key, { line: at.line, column: at.col });
      if (isMap(pair.value)) walk(pair.value, key);
    }
  };
  if (isMap(config)) walk(config, "");
  return positions;
}

/** The type token a URN names (`urn:pulumi:<stack>::<project>::<parent$...$type>::<name>`). */
export function typeOfUrn(urn: string): string {
  const parts = urn.split("::");
  return parts.length >= 4 ? (parts[parts.length - 2]!.split("$").pop() ?? "") : "";
}

function passes(props: Readonly<Record<string, unknown>>, filter: ResourceFilter): boolean {
  let value: unknown;
  try {
    value = readPath(props, filter.path);
  } catch {
    return false;
  }
  return "equals" in filter ? value === filter.equals : (value !== undefined) === filter.present;
}

/**
 * The parity key a resource property carries, from the parity table: the attribute observed on
 * that type at that path (`aws:rds/instance:Instance` multiAz is `database.multiAz`). Only
 * properties that carry the key's value (`value`, `max`) map to it; when the resource's inputs
 * are known, the attribute's filters must select it.
 */
function parityKeyOfProperty(
  type: string,
  property: string,
  props: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  const attribute = PARITY.find((a) => {
    const seen = a.observed;
    if (!seen || seen.type !== type) return false;
    if (seen.measure.kind !== "value" && seen.measure.kind !== "max") return false;
    if (seen.measure.path !== property) return false;
    return props === undefined || (seen.where ?? []).every((f) => passes(props, f));
  });
  if (attribute === undefined || !isPerService(attribute)) return attribute?.key;
  // A per-service attribute names the service its resource is tagged with.
  const service = props === undefined ? undefined : readPath(props, "tags.service");
  return typeof service === "string" ? attribute.key.replace(SERVICE, service) : undefined;
}

const PARITY_MESSAGE = /^(?:Set|Cannot check) ([A-Za-z]\w*(?:\.[\w-]+)*)\b/;
const PROPERTY_MESSAGE = /^Set ([A-Za-z]\w*) /;
const NAMED_KEY = new RegExp(`\\b${NAMESPACE}:([A-Za-z]\\w*(?:\\.[\\w-]*\\w)*)`, "g");

/**
 * The root cause of a finding. A config key when the message leads to one: a parity message
 * (`Set database.multiAz to ...`, `Cannot check database.multiAz ...`), a resource policy's
 * `Set <property> ...` on a property the parity table maps to a key, or a key the message names
 * (`envstack:github.requiredApprovals`) that the stack file sets. Else the resource the finding
 * names, else the stack.
 */
export function rootCauseOf(
  finding: { readonly urn: string; readonly message: string },
  context: {
    readonly keys: ReadonlyMap<string, Position>;
    readonly inputsOf: (urn: string) => Readonly<Record<string, unknown>> | undefined;
  },
): RootCause {
  const parity = PARITY_MESSAGE.exec(finding.message)?.[1];
  // A per-service key (services.api.cpu) is an instance of its template (services.<name>.cpu).
  if (parity !== undefined && PARITY.some((a) => a.key === parityTemplateOf(parity))) {
    return { kind: "config", key: `${NAMESPACE}:${parity}` };
  }
  const property = PROPERTY_MESSAGE.exec(finding.message)?.[1];
  if (property !== undefined && finding.urn) {
    const key = parityKeyOfProperty(
      typeOfUrn(finding.urn),
      property,
      context.inputsOf(finding.urn),
    );
    if (key !== undefined) return { kind: "config", key: `${NAMESPACE}:${key}` };
  }
  for (const named of finding.message.matchAll(NAMED_KEY)) {
    const key = `${NAMESPACE}:${named[1]!}`;
    if (context.keys.has(key)) return { kind: "config", key };
  }
  return finding.urn ? { kind: "resource", urn: finding.urn } : { kind: "stack" };
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/**
 * The source map of a compiled file: the one Node loaded (with --enable-source-maps or
 * module.setSourceMapsSupport), else the file's own `//# sourceMappingURL=` map read from disk
 * (tsconfig.json sets `sourceMap`, so `npm run build` writes one beside every file).
 * https://nodejs.org/api/module.html#source-map-support
 */
function sourceMapOf(file: string): SourceMap | undefined {
  if (sourceMaps.has(file)) return sourceMaps.get(file);
  let map = findSourceMap(file);
  if (!map) {
    try {
      const text = fs.readFileSync(file, "utf8");
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      if (url && !url.startsWith("data:")) {
        const mapFile = path.resolve(path.dirname(file), url);
        const payload = JSON.parse(fs.readFileSync(mapFile, "utf8")) as {
          sources: string[];
          sourceRoot?: string;
        };
        // Sources as absolute paths: the constructor keeps them as the map lists them.
        const root = path.resolve(path.dirname(mapFile), payload.sourceRoot ?? "");
        map = new SourceMap({
          ...payload,
          sourceRoot: "",
          sources: payload.sources.map((s) => path.resolve(root, s)),
        } as ConstructorParameters<typeof SourceMap>[0]);
      }
    } catch {
      map = undefined;
    }
  }
  sourceMaps.set(file, map);
  return map;
}

/**
 * Where a resource was declared, in the source the developer edits: the SDK's position, mapped
 * back through the compiled file's source map when the program ran compiled (dist/...js).
 */
export function sourcePositionOf(position: SourcePosition): { file: string } & Position {
  let file: string;
  try {
    file = position.uri.startsWith("file:") ? fileURLToPath(position.uri) : position.uri;
  } catch {
    file = position.uri;
  }
  const map = file.endsWith(".js") ? sourceMapOf(file) : undefined;
  if (map) {
    const origin = map.findOrigin(position.line, position.column);
    if ("fileName" in origin && origin.fileName) {
      const original = origin.fileName.startsWith("file:")
        ? fileURLToPath(origin.fileName)
        : origin.fileName;
      return { file: original, line: origin.lineNumber, column: origin.columnNumber };
    }
  }
  return { file, line: position.line, column: position.column };
}

const fileLines = new Map<string, readonly string[]>();

function lineText(file: string, line: number): string {
  let lines = fileLines.get(file);
  if (!lines) {
    try {
      lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    } catch {
      lines = [];
    }
    fileLines.set(file, lines);
  }
  return lines[line - 1] ?? "";
}

/** A location from a position, spanning to the end of the line's text (at least one column). */
function at(file: string, line: number, column: number): Location {
  const text = lineText(file, line).trimEnd();
  return { file, line, column, endColumn: Math.max(column + 1, text.length + 1) };
}

/** Locates a stack's findings: their root cause and the place to change. */
export class Locator {
  private readonly keys: ReadonlyMap<string, Position>;
  private readonly resources: ReadonlyMap<string, StackVerdict["resources"][number]>;

  constructor(private readonly verdict: Pick<StackVerdict, "file" | "resources">) {
    this.keys = configKeyPositions(verdict.file);
    this.resources = new Map(verdict.resources.map((r) => [r.urn, r]));
  }

  /**
   * A config key's line in the stack file, or its nearest ancestor's (the file does not set the
   * key itself); then the line in the source that declared the resource; the stack file's first
   * line when nothing more precise is known (a stack-wide finding, an unknown URN).
   */
  locate(finding: { readonly urn: string; readonly message: string }): Located {
    const rootCause = rootCauseOf(finding, {
      keys: this.keys,
      inputsOf: (urn) => this.resources.get(urn)?.inputs,
    });
    if (rootCause.kind === "config") {
      const parts = rootCause.key.split(".");
      for (let n = parts.length; n > 0; n--) {
        const pos = this.keys.get(parts.slice(0, n).join("."));
        if (pos) {
          const location = at(this.verdict.file, pos.line, pos.column);
          return { rootCause, location, at: "config-key" };
        }
      }
    }
    const declared = finding.urn ? this.resources.get(finding.urn)?.sourcePosition : undefined;
    if (declared) {
      const source = sourcePositionOf(declared);
      const location = at(source.file, source.line, source.column);
      return { rootCause, location, at: "declaration" };
    }
    return { rootCause, location: at(this.verdict.file, 1, 1), at: "stack-file" };
  }
}
