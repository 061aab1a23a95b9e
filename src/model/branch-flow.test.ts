import { describe, expect, it } from "vitest";
import {
  checkBranchFlow,
  describeSource,
  environmentOfBranch,
  matchesBranchPattern,
  normalizeBranch,
  sourceMatches,
  WORK_BRANCH_FORMS,
} from "./branch-flow";
import { environments, WORK_BRANCHES } from "./environments";

describe("matchesBranchPattern", () => {
  it.each([
    ["main", "main", true],
    ["main", "mainline", false],
    ["main", "x/main", false],
    ["release/*", "release/1.4", true],
    ["release/*", "release/", true],
    ["release/*", "release/1.4/rc1", false],
    ["release/*", "releases/1.4", false],
    ["release/**", "release/1.4/rc1", true],
    ["feature/*", "feature/a.b", true],
    ["v*", "v1.2.3", true],
    ["v*", "xv1", false],
    // "." and "+" are literal, not regular-expression operators.
    ["release.x", "releaseXx", false],
    ["a+b", "a+b", true],
    ["a+b", "aab", false],
  ])("%s matches %s: %s", (pattern, branch, expected) => {
    expect(matchesBranchPattern(pattern, branch)).toBe(expected);
  });
});

describe("normalizeBranch", () => {
  it("strips refs/heads/ and keeps plain names", () => {
    expect(normalizeBranch("refs/heads/release/1.4")).toBe("release/1.4");
    expect(normalizeBranch("release/1.4")).toBe("release/1.4");
    expect(normalizeBranch("refs/tags/v1")).toBe("refs/tags/v1");
  });
});

describe("environmentOfBranch", () => {
  it.each([
    ["develop", "dev"],
    ["staging", "stage"],
    ["release/2024.10", "stage"],
    ["main", "prod"],
    ["feature/x", undefined],
    ["release/a/b", undefined],
    ["master", undefined],
  ])("%s -> %s", (branch, stack) => {
    expect(environmentOfBranch(branch)).toBe(stack);
  });

  it("agrees with every environment's branch list", () => {
    for (const stack of environments().names) {
      for (const pattern of environments().get(stack).branches) {
        const example = pattern.replace("*", "x");
        expect(environmentOfBranch(example)).toBe(stack);
      }
    }
  });
});

describe("sourceMatches narrows work branches by WORK_BRANCHES", () => {
  it.each([
    ["bugfix/*", "bugfix/123-login-timeout", true],
    ["bugfix/*", "bugfix/login-timeout", false],
    ["bugfix/*", "bugfix/123", false],
    ["bugfix/*", "bugfix/123-Login", false],
    ["feature/*", "feature/tariff-v2", true],
    ["feature/*", "feature/Tariff", false],
    ["feature/*", "feature/", false],
    ["hotfix/*", "hotfix/cve-2024-1", true],
    ["hotfix/*", "hotfix/-x", false],
    ["main", "main", true],
    ["release/*", "release/1.4", true],
    ["develop", "feature/x", false],
  ])("%s allows %s: %s", (pattern, head, expected) => {
    expect(sourceMatches(pattern, head)).toBe(expected);
  });
});

describe("describeSource", () => {
  it("spells work branches as people name them and keeps other patterns", () => {
    expect(describeSource("bugfix/*")).toBe("bugfix/<issue-id>-<name>");
    expect(describeSource("feature/*")).toBe("feature/<name>");
    expect(describeSource("hotfix/*")).toBe("hotfix/<name>");
    expect(describeSource("release/*")).toBe("release/*");
    expect(describeSource("main")).toBe("main");
  });

  it("has a form for every work branch kind, and each form's example passes its pattern", () => {
    expect(Object.keys(WORK_BRANCH_FORMS).sort()).toEqual(Object.keys(WORK_BRANCHES).sort());
    for (const [kind, form] of Object.entries(WORK_BRANCH_FORMS)) {
      const example = form.replace("<issue-id>", "42").replace("<name>", "login-timeout");
      expect(WORK_BRANCHES[kind as keyof typeof WORK_BRANCHES].test(example)).toBe(true);
    }
  });
});

describe("checkBranchFlow: the promotion model", () => {
  const allowed: [string, string][] = [
    // into main (prod)
    ["main", "staging"],
    ["main", "release/1.4"],
    // into staging and release/* (stage)
    ["staging", "develop"],
    ["staging", "hotfix/payment-timeout"],
    ["release/1.4", "develop"],
    ["release/1.4", "hotfix/rc-fix"],
    // main back into stage: brings a promotion up to date with main
    ["staging", "main"],
    ["release/1.4", "main"],
    // into develop (dev)
    ["develop", "feature/tariff-v2"],
    ["develop", "bugfix/123-login-timeout"],
    ["develop", "hotfix/payment-timeout"],
    ["develop", "main"],
    // refs as GitHub sometimes passes them
    ["refs/heads/main", "refs/heads/staging"],
  ];
  it.each(allowed)("into %s from %s is allowed", (base, head) => {
    const verdict = checkBranchFlow(base, head);
    expect(verdict.allowed).toBe(true);
    expect(verdict.environment).toBe(environmentOfBranch(normalizeBranch(base)));
  });

  const refused: [string, string][] = [
    ["main", "develop"],
    ["main", "feature/tariff-v2"],
    ["main", "bugfix/123-login-timeout"],
    ["main", "release/1.4/rc1"],
    // main requires a stage deployment of the head, which a hotfix branch never has
    ["main", "hotfix/payment-timeout"],
    ["staging", "feature/tariff-v2"],
    ["staging", "release/1.4"],
    ["release/1.4", "feature/x"],
    ["develop", "staging"],
    ["develop", "release/1.4"],
    ["develop", "bugfix/login-timeout"],
    ["develop", "topic/x"],
  ];
  it.each(refused)("into %s from %s is refused", (base, head) => {
    expect(checkBranchFlow(base, head).allowed).toBe(false);
  });

  it("names the allowed sources when refusing a pull request into main", () => {
    expect(checkBranchFlow("main", "develop")).toEqual({
      allowed: false,
      base: "main",
      head: "develop",
      environment: "prod",
      allowedSources: ["staging", "release/*"],
      message:
        "Pull requests into main (prod) come only from staging, release/*; develop is not one of them.",
    });
  });

  it("names the allowed sources when refusing a pull request into staging", () => {
    expect(checkBranchFlow("staging", "feature/tariff-v2").message).toBe(
      "Pull requests into staging (stage) come only from develop, hotfix/<name>, main; feature/tariff-v2 is not one of them.",
    );
  });

  it("applies the stage rule to release branches", () => {
    expect(checkBranchFlow("release/1.4", "feature/x").message).toBe(
      "Pull requests into release/1.4 (stage) come only from develop, hotfix/<name>, main; feature/x is not one of them.",
    );
  });

  it("explains the bugfix naming rule when a misnamed bugfix branch targets develop", () => {
    expect(checkBranchFlow("develop", "bugfix/login-timeout")).toEqual({
      allowed: false,
      base: "develop",
      head: "bugfix/login-timeout",
      environment: "dev",
      allowedSources: ["feature/<name>", "bugfix/<issue-id>-<name>", "hotfix/<name>", "main"],
      message:
        'Pull requests into develop (dev) come only from feature/<name>, bugfix/<issue-id>-<name>, hotfix/<name>, main; bugfix/login-timeout is not one of them (a bugfix branch is named bugfix/<issue-id>-<name>: lower-case letters, digits, ".", "_" and "-").',
    });
  });

  it("does not blame the name when the kind is not allowed at all", () => {
    // bugfix is not a source of main whatever its name, so the naming hint would mislead.
    expect(checkBranchFlow("main", "bugfix/login").message).toBe(
      "Pull requests into main (prod) come only from staging, release/*; bugfix/login is not one of them.",
    );
  });

  it("says what it allowed and why", () => {
    expect(checkBranchFlow("develop", "main")).toEqual({
      allowed: true,
      base: "develop",
      head: "main",
      environment: "dev",
      allowedSources: ["feature/<name>", "bugfix/<issue-id>-<name>", "hotfix/<name>", "main"],
      message:
        "main may merge into develop (dev): allowed sources are feature/<name>, bugfix/<issue-id>-<name>, hotfix/<name>, main.",
    });
  });

  it("leaves branches no environment deploys from unguarded", () => {
    expect(checkBranchFlow("feature/big", "feature/big-part-1")).toEqual({
      allowed: true,
      base: "feature/big",
      head: "feature/big-part-1",
      environment: undefined,
      allowedSources: [],
      message:
        "feature/big is not an environment branch (develop, staging, release/*, main); any branch may merge into it.",
    });
  });

  it("reads its rules from each environment's allowedSources", () => {
    for (const stack of environments().names) {
      const base = environments().get(stack).branches[0] ?? "";
      expect(checkBranchFlow(base, "nowhere").allowedSources).toEqual(
        environments().get(stack).allowedSources.map(describeSource),
      );
    }
  });
});
