/**
 * How GitHub matches ref names against ruleset conditions and deployment branch policies: Ruby's
 * `File.fnmatch(pattern, name, File::FNM_PATHNAME)`, so `*`, `?` and `[...]` never match `/`,
 * `**\/` spans whole directories (a `**` not followed by `/` is a plain `*`), a wildcard never
 * matches a leading `.` of a segment (no FNM_DOTMATCH), and there are no `{a,b}` braces (no
 * FNM_EXTGLOB). Ruleset conditions name full refs (`refs/heads/release/*`) and also accept
 * `~ALL` and `~DEFAULT_BRANCH`.
 *
 * - https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#using-fnmatch-syntax
 * - https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset (`conditions.ref_name`)
 * - https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments (deployment branch policies)
 * - https://ruby-doc.org/core/File.html#method-c-fnmatch (flags and examples), ported from dir.c
 */

const NO_MATCH = -1;

const isEnd = (text: string, i: number): boolean => i >= text.length || text[i] === "/";
const unescape = (p: string, i: number): number => (p[i] === "\\" ? i + 1 : i);

/** Ruby's bracket(): the index after the closing `]` when `ch` is in the set, else -1. */
function bracket(p: string, start: number, ch: string): number {
  let i = start;
  if (i >= p.length) return NO_MATCH;
  let not = false;
  let ok = false;
  if (p[i] === "!" || p[i] === "^") {
    not = true;
    i++;
  }
  const code = ch.codePointAt(0)!;
  while (p[i] !== "]") {
    const t1 = unescape(p, i);
    if (t1 >= p.length) return NO_MATCH;
    i = t1 + 1;
    if (i >= p.length) return NO_MATCH;
    if (p[i] === "-" && p[i + 1] !== "]") {
      const t2 = unescape(p, i + 1);
      if (t2 >= p.length) return NO_MATCH;
      i = t2 + 1;
      if (ok) continue;
      if (p[t1] === ch || p[t2] === ch) ok = true;
      else if (code >= p.codePointAt(t1)! && code <= p.codePointAt(t2)!) ok = true;
      continue;
    }
    if (!ok && p[t1] === ch) ok = true;
  }
  return ok === not ? NO_MATCH : i + 1;
}

/** Ruby's fnmatch_helper(): matches one segment; returns whether it matched and where it ended. */
function segment(p: string, pStart: number, s: string, sStart: number): [boolean, number, number] {
  let pi = pStart;
  let si = sStart;
  let ptmp = -1;
  let stmp = -1;
  // A leading period is matched only by a literal one (no FNM_DOTMATCH).
  if (s[si] === "." && p[unescape(p, pi)] !== ".") return [false, pi, si];
  for (;;) {
    const c = p[pi];
    let failed = false;
    if (c === "*") {
      do pi++;
      while (p[pi] === "*");
      if (isEnd(p, unescape(p, pi))) return [true, unescape(p, pi), si];
      if (isEnd(s, si)) return [false, pi, si];
      ptmp = pi;
      stmp = si;
      continue;
    } else if (c === "?") {
      if (isEnd(s, si)) return [false, pi, si];
      pi++;
      si++;
      continue;
    } else if (c === "[") {
      if (isEnd(s, si)) return [false, pi, si];
      const next = bracket(p, pi + 1, s[si]!);
      if (next !== NO_MATCH) {
        pi = next;
        si++;
        continue;
      }
      failed = true;
    }
    if (!failed) {
      pi = unescape(p, pi);
      if (isEnd(s, si)) return [isEnd(p, pi), pi, si];
      if (!isEnd(p, pi) && p[pi] === s[si]) {
        pi++;
        si++;
        continue;
      }
    }
    if (ptmp >= 0) {
      pi = ptmp;
      stmp++;
      si = stmp;
      continue;
    }
    return [false, pi, si];
  }
}

/**
 * Ruby's `File.fnmatch(pattern, name, File::FNM_PATHNAME)`, ported from dir.c (`fnmatch` with
 * `fnmatch_helper` and `bracket`): the matcher GitHub names for rulesets and deployment branch
 * policies.
 */
export function fnmatch(pattern: string, name: string): boolean {
  let p = 0;
  let s = 0;
  let ptmp = -1;
  let stmp = -1;
  for (;;) {
    if (pattern.startsWith("**/", p)) {
      do p += 3;
      while (pattern.startsWith("**/", p));
      ptmp = p;
      stmp = s;
    }
    const [ok, pi, si] = segment(pattern, p, name, s);
    if (ok) {
      p = pi;
      s = si;
      while (s < name.length && name[s] !== "/") s++;
      if (p < pattern.length && s < name.length) {
        p++;
        s++;
        continue;
      }
      if (p >= pattern.length && s >= name.length) return true;
    }
    // `**/` skips one more directory, never one starting with a period.
    if (ptmp >= 0 && name[stmp] !== ".") {
      while (stmp < name.length && name[stmp] !== "/") stmp++;
      if (stmp < name.length) {
        p = ptmp;
        stmp++;
        s = stmp;
        continue;
      }
    }
    return false;
  }
}

/*
 * Pattern against pattern. A ruleset guards an environment's branch pattern only if its includes
 * match every ref name the pattern matches and no exclude matches any of them. Both are questions
 * about the sets of names the patterns match, which are regular: each pattern is compiled to a
 * finite automaton over classes of characters (every character a pattern names, or a range
 * boundary, splits the alphabet; one representative stands for each class), and a breadth-first
 * search over the product of the automata finds a shortest witness name, or proves there is none.
 *
 * The names searched are valid ref names (git check-ref-format: no empty segment, no segment
 * starting with `.`, none of space ~ ^ : ? * [ \ or control characters), so the period rule,
 * which concerns only names git refuses, never decides an answer and the automata leave it out.
 * https://git-scm.com/docs/git-check-ref-format
 */

type Range = readonly [number, number];
/** A set of characters: ranges of code points, possibly negated; never containing `/`. */
interface CharSet {
  readonly ranges: readonly Range[];
  readonly negated: boolean;
}

const SLASH = "/".codePointAt(0)!;
const DOT = ".".codePointAt(0)!;
const MAX_CODE = 0x10ffff;

const single = (code: number): CharSet => ({ ranges: [[code, code]], negated: false });
const ANY: CharSet = { ranges: [], negated: true };

function inSet(set: CharSet, code: number): boolean {
  if (code === SLASH) return false;
  const hit = set.ranges.some(([lo, hi]) => code >= lo && code <= hi);
  return hit !== set.negated;
}

interface Edge {
  readonly set: CharSet | "slash";
  readonly to: number;
}

interface Automaton {
  readonly edges: Edge[][];
  readonly epsilon: number[][];
  readonly start: number;
  readonly accept: number;
  readonly boundaries: number[];
}

/** Parses a bracket expression the way bracket() reads it; undefined when it never closes. */
function parseBracket(p: string, start: number): { set: CharSet; next: number } | undefined {
  let i = start;
  let negated = false;
  if (p[i] === "!" || p[i] === "^") {
    negated = true;
    i++;
  }
  const ranges: Range[] = [];
  while (p[i] !== "]") {
    const t1 = unescape(p, i);
    if (t1 >= p.length) return undefined;
    i = t1 + 1;
    if (i >= p.length) return undefined;
    if (p[i] === "-" && p[i + 1] !== "]") {
      const t2 = unescape(p, i + 1);
      if (t2 >= p.length) return undefined;
      i = t2 + 1;
      ranges.push([p.codePointAt(t1)!, p.codePointAt(t2)!]);
      continue;
    }
    ranges.push([p.codePointAt(t1)!, p.codePointAt(t1)!]);
  }
  return { set: { ranges, negated }, next: i + 1 };
}

/** The automaton of the names a pattern matches (within valid ref names: see above). */
function compile(pattern: string): Automaton {
  const edges: Edge[][] = [];
  const epsilon: number[][] = [];
  const boundaries: number[] = [];
  const state = () => {
    edges.push([]);
    epsilon.push([]);
    return edges.length - 1;
  };
  const on = (from: number, set: CharSet | "slash", to: number) => {
    edges[from]!.push({ set, to });
    if (set !== "slash") for (const [lo, hi] of set.ranges) boundaries.push(lo, hi + 1);
  };
  const start = state();
  let cur = start;
  const step = (set: CharSet | "slash") => {
    const next = state();
    on(cur, set, next);
    cur = next;
  };
  let i = 0;
  let segmentStart = true;
  while (i < pattern.length) {
    if (segmentStart && pattern.startsWith("**/", i)) {
      // Zero or more whole directories: ([^/]*/)*
      const loop = state();
      const inDir = state();
      epsilon[cur]!.push(loop);
      on(loop, ANY, inDir);
      on(inDir, ANY, inDir);
      on(inDir, "slash", loop);
      on(loop, "slash", loop);
      cur = loop;
      i += 3;
      continue;
    }
    segmentStart = false;
    const c = pattern[i]!;
    if (c === "*") {
      while (pattern[i] === "*") i++;
      const loop = state();
      epsilon[cur]!.push(loop);
      on(loop, ANY, loop);
      cur = loop;
      continue;
    }
    if (c === "?") {
      step(ANY);
      i++;
      continue;
    }
    if (c === "[") {
      const parsed = parseBracket(pattern, i + 1);
      // An unclosed bracket matches no character, so the pattern matches nothing from here.
      if (parsed === undefined) return { edges, epsilon, start, accept: state(), boundaries };
      step(parsed.set);
      i = parsed.next;
      continue;
    }
    if (c === "/") {
      step("slash");
      segmentStart = true;
      i++;
      continue;
    }
    const literal = unescape(pattern, i);
    if (literal >= pattern.length) break;
    step(single(pattern.codePointAt(literal)!));
    i = literal + 1;
  }
  return { edges, epsilon, start, accept: cur, boundaries };
}

/** Characters git refuses anywhere in a ref name (besides control characters). */
const REFUSED = new Set([..." ~^:?*[\\"].map((c) => c.codePointAt(0)!));

/** Valid ref names, as a three-state automaton: 0 segment start, 1 inside a segment, -1 dead. */
function refStep(state: number, code: number): number {
  if (state < 0 || code < 0x20 || code === 0x7f || REFUSED.has(code)) return -1;
  if (code === SLASH) return state === 1 ? 0 : -1;
  if (state === 0 && code === DOT) return -1;
  return 1;
}

/** One representative character per class of characters no pattern tells apart. */
function alphabet(automata: readonly Automaton[]): number[] {
  const cuts = new Set<number>([0, SLASH, SLASH + 1, DOT, DOT + 1]);
  for (const a of automata) for (const b of a.boundaries) if (b <= MAX_CODE) cuts.add(b);
  const sorted = [...cuts].sort((x, y) => x - y);
  const friendly = [..."abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ"].map(
    (c) => c.codePointAt(0)!,
  );
  const rank = (c: number) => (friendly.includes(c) ? friendly.indexOf(c) : friendly.length + c);
  // Friendly characters first, so that the shortest witness also reads well.
  return sorted
    .map((lo, k) => {
      const hi = (sorted[k + 1] ?? MAX_CODE + 1) - 1;
      return friendly.find((c) => c >= lo && c <= hi) ?? lo;
    })
    .sort((x, y) => rank(x) - rank(y));
}

function closure(a: Automaton, states: Iterable<number>): Set<number> {
  const out = new Set<number>();
  const todo = [...states];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (out.has(s)) continue;
    out.add(s);
    todo.push(...a.epsilon[s]!);
  }
  return out;
}

function move(a: Automaton, states: Iterable<number>, code: number): Set<number> {
  const next: number[] = [];
  for (const s of states)
    for (const e of a.edges[s]!)
      if (e.set === "slash" ? code === SLASH : inSet(e.set, code)) next.push(e.to);
  return closure(a, next);
}

/** States searched before giving up; a search that gives up answers the cautious way. */
const SEARCH_LIMIT = 200_000;

/**
 * Searches the valid ref names `pattern` matches for one that `others` all match (`mode` "any":
 * some other pattern matches it) or none of them matches (`mode` "none"). Returns a shortest such
 * name, undefined when there is none, or the pattern itself when the search gives up.
 */
function search(pattern: string, others: readonly string[], mode: "any" | "none") {
  const own = compile(pattern);
  const rest = others.map(compile);
  const letters = alphabet([own, ...rest]);
  type Node = { own: Set<number>; rest: Set<number>[]; ref: number; name: string };
  const key = (n: Node) =>
    `${[...n.own].sort().join(",")}|${n.ref}|${n.rest.map((r) => [...r].sort().join(",")).join(";")}`;
  const accepted = (n: Node) => {
    if (!n.own.has(own.accept) || n.ref !== 1) return false;
    const hits = n.rest.map((r, k) => r.has(rest[k]!.accept));
    return mode === "any" ? hits.some(Boolean) : !hits.some(Boolean);
  };
  const first: Node = {
    own: closure(own, [own.start]),
    rest: rest.map((r) => closure(r, [r.start])),
    ref: 0,
    name: "",
  };
  const seen = new Set([key(first)]);
  const queue = [first];
  for (let k = 0; k < queue.length; k++) {
    const node = queue[k]!;
    if (accepted(node)) return node.name;
    if (seen.size > SEARCH_LIMIT) return pattern;
    for (const code of letters) {
      const ref = refStep(node.ref, code);
      if (ref < 0) continue;
      const next: Node = {
        own: move(own, node.own, code),
        rest: node.rest.map((r, j) => move(rest[j]!, r, code)),
        ref,
        name: node.name + String.fromCodePoint(code),
      };
      if (next.own.size === 0) continue;
      // With no other pattern alive, "any" can no longer succeed along this path.
      if (mode === "any" && next.rest.every((r) => r.size === 0)) continue;
      const id = key(next);
      if (seen.has(id)) continue;
      seen.add(id);
      queue.push(next);
    }
  }
  return undefined;
}

/** A valid ref name `pattern` matches that none of `patterns` matches, or undefined if none. */
export function matchedByNone(pattern: string, patterns: readonly string[]): string | undefined {
  return search(pattern, patterns, "none");
}

/** A valid ref name both `pattern` and one of `patterns` match, or undefined if none. */
export function matchedByAny(pattern: string, patterns: readonly string[]): string | undefined {
  return search(pattern, patterns, "any");
}

/** Which refs a ruleset targets: `refs/heads/...` for `branch`, `refs/tags/...` for `tag`. */
export type RefKind = "heads" | "tags";

/** A ruleset's `conditions.refName`. */
export interface RefCondition {
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
}

/**
 * Syntax GitHub documents as unsupported in these patterns (same page, "Unsupported fnmatch
 * syntax"): a backslash as a quote, and `^` complementing a bracket set. What GitHub does with
 * them is not documented, so such an include proves nothing and such an exclude may match
 * anything.
 */
export function unsupportedSyntax(pattern: string): string | undefined {
  if (pattern.includes("\\")) return "a backslash";
  if (pattern.includes("[^")) return "a [^...] complement";
  return undefined;
}

/** Whether a ruleset's ref condition applies to a ref (`refs/heads/main`), as GitHub evaluates it. */
export function conditionApplies(
  condition: RefCondition,
  ref: string,
  defaultBranch: string | undefined,
): boolean {
  const hit = (pattern: string) =>
    pattern === "~ALL" ||
    (pattern === "~DEFAULT_BRANCH"
      ? defaultBranch !== undefined && ref === `refs/heads/${defaultBranch}`
      : fnmatch(pattern, ref));
  return condition.includes.some(hit) && !condition.excludes.some(hit);
}

/**
 * Why a ruleset's ref condition does not apply to every ref an environment's pattern matches
 * (`release/*` of kind heads), or undefined when it does. `defaultBranch` is the repository's
 * default branch where the stack declares it: unknown, `~DEFAULT_BRANCH` includes nothing for
 * certain and may exclude any branch.
 *
 * The answer is exact over valid ref names (see matchedByNone / matchedByAny), with two cautious
 * choices: an exclude that does not start with `refs/` is also read with the kind's prefix (in
 * case GitHub completes it as its UI does), and a pattern using unsupported syntax counts as
 * including nothing and excluding everything.
 */
export function uncoveredBecause(
  condition: RefCondition,
  kind: RefKind,
  pattern: string,
  defaultBranch: string | undefined,
): string | undefined {
  const ref = `refs/${kind}/${pattern}`;
  if (!condition.includes.includes("~ALL")) {
    const includes: string[] = [];
    const notes: string[] = [];
    for (const include of condition.includes) {
      const unsupported = unsupportedSyntax(include);
      if (include === "~DEFAULT_BRANCH") {
        if (kind === "heads" && defaultBranch !== undefined)
          includes.push(`refs/heads/${defaultBranch}`);
        else if (kind === "heads") notes.push("~DEFAULT_BRANCH names no declared default branch");
      } else if (unsupported !== undefined) {
        notes.push(`${include} uses ${unsupported}, which GitHub does not support`);
      } else includes.push(include);
    }
    const missed = matchedByNone(ref, includes);
    if (missed !== undefined) {
      const why = notes.length > 0 ? `; ${notes.join("; ")}` : "";
      return includes.length === 0
        ? `no include matches ${ref}${why}`
        : `no include matches ${missed}${why}`;
    }
  }
  for (const exclude of condition.excludes) {
    if (exclude === "~ALL") return `exclude ~ALL matches every ref`;
    if (exclude === "~DEFAULT_BRANCH") {
      if (kind !== "heads") continue;
      if (defaultBranch === undefined)
        return `exclude ~DEFAULT_BRANCH may match ${ref}: no default branch is declared`;
      const hit = matchedByAny(ref, [`refs/heads/${defaultBranch}`]);
      if (hit !== undefined) return `exclude ~DEFAULT_BRANCH matches ${hit}`;
      continue;
    }
    const unsupported = unsupportedSyntax(exclude);
    if (unsupported !== undefined)
      return `exclude ${exclude} uses ${unsupported}, which GitHub does not support, and may match ${ref}`;
    const readings = exclude.startsWith("refs/") ? [exclude] : [exclude, `refs/${kind}/${exclude}`];
    const hit = matchedByAny(ref, readings);
    if (hit !== undefined) return `exclude ${exclude} matches ${hit}`;
  }
  return undefined;
}

/** Whether a ruleset's includes reach any ref the pattern matches (it was meant to guard it). */
export function conditionTouches(condition: RefCondition, kind: RefKind, pattern: string): boolean {
  const ref = `refs/${kind}/${pattern}`;
  return condition.includes.some(
    (i) =>
      i === "~ALL" ||
      (i === "~DEFAULT_BRANCH" && kind === "heads") ||
      unsupportedSyntax(i) !== undefined ||
      matchedByAny(ref, [i]) !== undefined,
  );
}
