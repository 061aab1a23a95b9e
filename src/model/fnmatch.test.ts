import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  conditionApplies,
  conditionTouches,
  fnmatch,
  matchedByAny,
  matchedByNone,
  uncoveredBecause,
} from "./fnmatch";

describe("fnmatch: Ruby's File.fnmatch with File::FNM_PATHNAME", () => {
  // https://ruby-doc.org/core/File.html#method-c-fnmatch, each example with FNM_PATHNAME set
  // (the only flag GitHub uses), so `c*t` no longer spans `/` and `**.rb` is a plain `*.rb`.
  it.each([
    ["cat", "cat", true],
    ["cat", "category", false],
    ["c{at,ub}s", "cats", false],
    ["c?t", "cat", true],
    ["c??t", "cat", false],
    ["c*", "cats", true],
    ["c*t", "c/a/b/t", false],
    ["ca[a-z]", "cat", true],
    ["ca[^t]", "cat", false],
    ["ca[!t]", "cat", false],
    ["ca[!t]", "cab", true],
    ["cat", "CAT", false],
    ["?", "/", false],
    ["*", "/", false],
    ["[/]", "/", false],
    ["\\?", "?", true],
    ["\\a", "a", true],
    ["*", ".profile", false],
    [".*", ".profile", true],
    ["**/*.rb", "main.rb", true],
    ["**/*.rb", "lib/song.rb", true],
    ["**.rb", "main.rb", true],
    ["**.rb", "lib/song.rb", false],
    ["*/*", "dave/.profile", false],
    ["**/foo", "a/b/c/foo", true],
    ["**/foo", "/a/b/c/foo", true],
    ["**/foo", "c:/a/b/c/foo", true],
    ["**/foo", "a/.b/c/foo", false],
  ])("Ruby's example %s against %s: %s", (pattern, name, expected) => {
    expect(fnmatch(pattern, name)).toBe(expected);
  });

  // https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#using-fnmatch-syntax
  it.each([
    ["qa/*", "qa/foo", true],
    ["qa/*", "qa/foo/bar", false],
    ["qa/**/*", "qa/foo/bar/foobar/hello-world", true],
    ["qa/**/*", "qa/foo", true],
    ["qa**/**/*", "qa-release/foo/bar", true],
    ["qa**/**/*", "qa/foo", true],
    ["refs/heads/release/*", "refs/heads/release/1.4", true],
    ["refs/heads/release/*", "refs/heads/release/a/b", false],
    ["refs/heads/**", "refs/heads/main", true],
    // A `**` that does not end in `/` is a plain `*`: it stays within one directory.
    ["refs/heads/**", "refs/heads/release/1.4", false],
    ["refs/heads/main", "refs/heads/mainline", false],
    ["refs/heads/ma?n", "refs/heads/main", true],
    ["refs/tags/v*", "refs/tags/v1.2.3", true],
    ["release/[0-9]*", "release/2.0", true],
    ["release/[0-9]*", "release/x", false],
    ["release/[", "release/[", false],
    ["a.b", "axb", false],
  ])("GitHub's %s against %s: %s", (pattern, name, expected) => {
    expect(fnmatch(pattern, name)).toBe(expected);
  });

  const segment = fc.stringMatching(/^[a-c][a-c.-]{0,3}$/);
  const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
  const token = fc.constantFrom("a", "b", "c", ".", "-", "*", "?", "[a-b]", "[!a]", "**/", "/");
  const pattern = fc.array(token, { minLength: 1, maxLength: 7 }).map((t) => t.join(""));

  it("reads every pattern the same way as a matcher and as a set of names", () => {
    // The automata behind matchedByAny agree with the ported matcher on every valid ref name.
    fc.assert(
      fc.property(pattern, name, (p, n) => {
        expect(matchedByAny(n, [p]) !== undefined).toBe(fnmatch(p, n));
      }),
      { numRuns: 1500 },
    );
  });

  it("finds witnesses only where the matcher agrees", () => {
    fc.assert(
      fc.property(pattern, pattern, (p, q) => {
        const both = matchedByAny(p, [q]);
        if (both !== undefined) expect([fnmatch(p, both), fnmatch(q, both)]).toEqual([true, true]);
        const only = matchedByNone(p, [q]);
        if (only !== undefined) expect([fnmatch(p, only), fnmatch(q, only)]).toEqual([true, false]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("pattern against pattern", () => {
  it.each([
    ["refs/heads/release/*", ["refs/heads/release/*"], undefined],
    ["refs/heads/release/*", ["refs/heads/**/*"], undefined],
    ["refs/heads/release/*", ["refs/heads/release/1.*"], "refs/heads/release/a"],
    [
      "refs/heads/release/*",
      ["refs/heads/release/[0-9]*", "refs/heads/release/[!0-9]*"],
      undefined,
    ],
    ["refs/heads/release/*", ["refs/heads/**"], "refs/heads/release/a"],
    ["refs/heads/main", ["refs/heads/mai*"], undefined],
    ["refs/tags/v*", ["refs/tags/v[0-9]*"], "refs/tags/v"],
  ])("%s within %j: a name outside is %s", (p, includes, witness) => {
    expect(matchedByNone(p, includes)).toBe(witness);
  });

  it.each([
    ["refs/heads/main", ["refs/heads/ma?n"], "refs/heads/main"],
    ["refs/heads/main", ["refs/heads/**"], "refs/heads/main"],
    ["refs/heads/release/*", ["refs/heads/**"], undefined],
    ["refs/heads/release/*", ["refs/heads/release/1.*"], "refs/heads/release/1."],
    ["refs/heads/release/*", ["refs/heads/release/.hidden"], undefined],
    ["refs/heads/staging", ["refs/heads/stage"], undefined],
  ])("%s against %j: a name both match is %s", (p, excludes, witness) => {
    expect(matchedByAny(p, excludes)).toBe(witness);
  });
});

describe("ruleset ref conditions", () => {
  const cond = (includes: string[], excludes: string[] = []) => ({ includes, excludes });

  it("applies ~ALL, ~DEFAULT_BRANCH and excludes", () => {
    const all = cond(["~ALL"], ["refs/heads/feature/*"]);
    expect(conditionApplies(all, "refs/heads/x", "main")).toBe(true);
    expect(conditionApplies(all, "refs/heads/feature/a", "main")).toBe(false);
    expect(conditionApplies(cond(["~DEFAULT_BRANCH"]), "refs/heads/main", "main")).toBe(true);
    expect(conditionApplies(cond(["~DEFAULT_BRANCH"]), "refs/heads/dev", "main")).toBe(false);
    expect(conditionApplies(cond(["~DEFAULT_BRANCH"]), "refs/heads/main", undefined)).toBe(false);
  });

  it.each<
    [string, string[], string[], "heads" | "tags", string, string | undefined, string | undefined]
  >([
    ["the model's include", ["refs/heads/main"], [], "heads", "main", undefined, undefined],
    ["~ALL", ["~ALL"], [], "heads", "release/*", undefined, undefined],
    [
      "an include excluded again",
      ["refs/heads/mai*"],
      ["refs/heads/ma?n"],
      "heads",
      "main",
      undefined,
      "exclude refs/heads/ma?n matches refs/heads/main",
    ],
    [
      "a narrower include",
      ["refs/heads/release/1.*"],
      [],
      "heads",
      "release/*",
      undefined,
      "no include matches refs/heads/release/a",
    ],
    [
      "an exclude of every top-level branch",
      ["refs/heads/main"],
      ["refs/heads/**"],
      "heads",
      "main",
      undefined,
      "exclude refs/heads/** matches refs/heads/main",
    ],
    [
      "~DEFAULT_BRANCH on main when main is the default",
      ["~DEFAULT_BRANCH"],
      [],
      "heads",
      "main",
      "main",
      undefined,
    ],
    [
      "~DEFAULT_BRANCH on main when the default is another branch",
      ["~DEFAULT_BRANCH"],
      [],
      "heads",
      "main",
      "develop",
      "no include matches refs/heads/main",
    ],
    [
      "~DEFAULT_BRANCH with no declared default",
      ["~DEFAULT_BRANCH"],
      [],
      "heads",
      "main",
      undefined,
      "no include matches refs/heads/main; ~DEFAULT_BRANCH names no declared default branch",
    ],
    [
      "an exclude of the undeclared default branch",
      ["refs/heads/main"],
      ["~DEFAULT_BRANCH"],
      "heads",
      "main",
      undefined,
      "exclude ~DEFAULT_BRANCH may match refs/heads/main: no default branch is declared",
    ],
    [
      "an exclude written without refs/",
      ["refs/heads/main"],
      ["main"],
      "heads",
      "main",
      undefined,
      "exclude main matches refs/heads/main",
    ],
    [
      "an unsupported complement",
      ["refs/heads/release/*"],
      ["refs/heads/release/[^0-9]*"],
      "heads",
      "release/*",
      undefined,
      "exclude refs/heads/release/[^0-9]* uses a [^...] complement, which GitHub does not support, and may match refs/heads/release/*",
    ],
    ["release tags", ["refs/tags/v*"], [], "tags", "v*", undefined, undefined],
    [
      "branch includes for tags",
      ["refs/heads/v*"],
      [],
      "tags",
      "v*",
      undefined,
      "no include matches refs/tags/v",
    ],
  ])("%s", (_title, includes, excludes, kind, pattern, defaultBranch, why) => {
    expect(uncoveredBecause(cond(includes, excludes), kind, pattern, defaultBranch)).toBe(why);
  });

  it("tells a ruleset meant for a pattern from one about other refs", () => {
    expect(conditionTouches(cond(["refs/heads/release/1.*"]), "heads", "release/*")).toBe(true);
    expect(conditionTouches(cond(["refs/heads/develop"]), "heads", "main")).toBe(false);
  });
});
