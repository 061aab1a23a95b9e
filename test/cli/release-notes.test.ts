import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { environments, loadSpecFromFile, stackFileName, type StackName } from "../../src/model";
import {
  approversOf,
  latestStatus,
  releaseNotesMarkdown,
  runReleaseNotes,
  validatingDeployment,
  type Approval,
  type Deployment,
} from "../../src/cli/release-notes";
import { scratchProject } from "./helpers";

/** The stack whose environment guards release tags, and the one it is promoted from. */
const released = environments().names.find((s) => environments().get(s).tags.length > 0)!;
const source = environments().previous(released)!;
const tagPattern = environments().get(released).tags[0]!;
const TAG = tagPattern.replace("*", "2026.11.22.7");

/** A review history entry as GitHub documents it (GET .../actions/runs/{run_id}/approvals). */
function review(login: string, state: string, environment: string, comment = ""): Approval {
  return {
    state,
    comment,
    user: { login, id: 1, type: "User" },
    environments: [{ id: 56780428, name: environment, url: "https://api.github.com/x" }],
  };
}

function deployment(sha: string, state: string, createdAt: string, env = source): Deployment {
  return {
    id: 1,
    sha,
    ref: "staging",
    environment: env,
    created_at: createdAt,
    statuses: [{ state, log_url: `https://github.com/o/r/actions/runs/${sha.slice(0, 4)}` }],
  };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.email=release@example.com", "-c", "user.name=release", ...args],
    { cwd: dir, encoding: "utf8" },
  ).trim();
}

function imagesIn(file: string, stack: StackName): Record<string, string> {
  return Object.fromEntries(
    Object.entries(loadSpecFromFile(file, stack).services).map(([n, s]) => [n, s.image]),
  );
}

/**
 * A repository as the branch model leaves it: the source stack's branch carries a commit whose
 * stack file runs the released stack's images, and the released stack's branch merges it (a merge
 * commit, as the model's merge rules require).
 */
function repository(): { dir: string; sourceCommit: string; merge: string } {
  const dir = scratchProject();
  const sourceFile = path.join(dir, stackFileName(source));
  const original = fs.readFileSync(sourceFile, "utf8");
  const from = imagesIn(sourceFile, source);
  const to = imagesIn(path.join(dir, stackFileName(released)), released);
  // Before the promotion the source stack runs other images than the released ones.
  let before = original;
  const earlier: Record<string, string> = {};
  for (const [name, image] of Object.entries(from)) {
    const digest = to[name]!.endsWith("e".repeat(64)) ? "d".repeat(64) : "e".repeat(64);
    earlier[name] = image.replace(/sha256:[0-9a-f]{64}$/, `sha256:${digest}`);
    before = before.replace(image, earlier[name]);
  }
  fs.writeFileSync(sourceFile, before);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "base");
  git(dir, "checkout", "-q", "-b", "promotion");
  let after = before;
  for (const [name, image] of Object.entries(earlier)) after = after.replace(image, to[name]!);
  fs.writeFileSync(sourceFile, after);
  git(dir, "commit", "-q", "-am", "promote the images");
  const sourceCommit = git(dir, "rev-parse", "HEAD");
  git(dir, "checkout", "-q", "main");
  git(dir, "merge", "-q", "--no-ff", "-m", "merge the promotion", "promotion");
  return { dir, sourceCommit, merge: git(dir, "rev-parse", "HEAD") };
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const code = runReleaseNotes(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTty: false,
  });
  return { code, stdout, stderr };
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe("approversOf", () => {
  it("counts only approvals of the released stack's environment", () => {
    const approvals = [
      review("alice", "approved", released, "looks good"),
      review("bob", "rejected", released),
      review("carol", "approved", source),
      review("dave", "pending", released),
    ];
    expect(approversOf(approvals, released)).toEqual([{ login: "alice", comment: "looks good" }]);
  });
});

describe("validatingDeployment", () => {
  const images = { api: "r/api@sha256:1", worker: "r/worker@sha256:2" };
  const base = { source, commits: ["m".repeat(40), "p".repeat(40)], images };

  it("picks the newest successful deployment of a parent that ran the same images", () => {
    const older = deployment("p".repeat(40), "success", "2026-11-20T10:00:00Z");
    const newer = deployment("p".repeat(40), "success", "2026-11-21T10:00:00Z");
    const found = validatingDeployment([older, newer], { ...base, imagesAt: () => images });
    expect(found).toEqual({ found: newer });
  });

  it("ignores failures, other commits, other environments and other images", () => {
    const failed = deployment("p".repeat(40), "failure", "2026-11-21T10:00:00Z");
    const elsewhere = deployment("x".repeat(40), "success", "2026-11-21T10:00:00Z");
    const otherEnv = deployment("p".repeat(40), "success", "2026-11-21T10:00:00Z", released);
    expect(
      validatingDeployment([failed, elsewhere, otherEnv], { ...base, imagesAt: () => images })
        .found,
    ).toBeUndefined();
    const ran = deployment("p".repeat(40), "success", "2026-11-21T10:00:00Z");
    for (const other of [{ api: images.api }, { ...images, worker: "r/worker@sha256:3" }]) {
      const result = validatingDeployment([ran], { ...base, imagesAt: () => other });
      expect(result.found).toBeUndefined();
      expect(result.why).toContain("ran other images");
    }
    expect(validatingDeployment([ran], { ...base, imagesAt: () => undefined }).found).toBe(
      undefined,
    );
  });
});

describe("latestStatus", () => {
  it("takes the newest status by creation time, whatever the list's order", () => {
    const d = deployment("p".repeat(40), "success", "2026-11-21T10:00:00Z");
    const statuses = [
      { state: "in_progress", created_at: "2026-11-21T10:01:00Z" },
      { state: "failure", created_at: "2026-11-21T10:09:00Z" },
      { state: "queued", created_at: "2026-11-21T10:00:30Z" },
    ];
    expect(latestStatus({ ...d, statuses })?.state).toBe("failure");
    expect(latestStatus({ ...d, statuses: [] })).toBeUndefined();
    // Without creation times, GitHub's order (newest first) decides.
    expect(
      latestStatus({ ...d, statuses: [{ state: "success" }, { state: "failure" }] })?.state,
    ).toBe("success");
  });
});

describe("releaseNotesMarkdown", () => {
  it("says so when nothing validated the release or nobody approved it", () => {
    const text = releaseNotesMarkdown({
      stack: released,
      tag: TAG,
      commit: "a".repeat(40),
      images: { api: "r/api@sha256:1" },
      source,
      unvalidated: "no successful deployment",
      approvers: [],
    });
    expect(text).toContain(`**Not validated in ${source}:** no successful deployment.`);
    expect(text).toContain(`**No approval of the ${released} deployment is recorded`);
    expect(text).toContain("| api | `r/api@sha256:1` | none |");
  });

  it("lists each service's migration version beside its image, none for a service without", () => {
    const text = releaseNotesMarkdown({
      stack: released,
      tag: TAG,
      commit: "a".repeat(40),
      images: { worker: "r/worker@sha256:2", api: "r/api@sha256:1" },
      migrations: { api: "2024.06.1" },
      approvers: [],
    });
    expect(text.split("\n").filter((l) => l.startsWith("|"))).toEqual([
      "| Service | Image | Migration version |",
      "| --- | --- | --- |",
      "| api | `r/api@sha256:1` | `2024.06.1` |",
      "| worker | `r/worker@sha256:2` | none |",
    ]);
  });
});

describe("envstack release-notes", () => {
  it("names every image, the source deployment of the merged commit and the approver", () => {
    const { dir, sourceCommit, merge } = repository();
    const approvals = writeJson(dir, "approvals.json", [
      review("alice", "approved", released, "ship it"),
    ]);
    const deployments = writeJson(dir, "deployments.json", [
      deployment(sourceCommit, "success", "2026-11-21T10:00:00Z"),
    ]);
    const out = run([
      "--stack",
      released,
      "--tag",
      TAG,
      "--commit",
      merge,
      "--approvals",
      approvals,
      "--source-deployments",
      deployments,
      "--project-dir",
      dir,
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    for (const image of Object.values(
      imagesIn(path.join(dir, stackFileName(released)), released),
    )) {
      expect(out.stdout).toContain(image);
    }
    const services = loadSpecFromFile(path.join(dir, stackFileName(released)), released).services;
    for (const [name, service] of Object.entries(services)) {
      expect(out.stdout).toContain(
        `| ${name} | \`${service.image}\` | ${service.migrations ? `\`${service.migrations.version}\`` : "none"} |`,
      );
    }
    expect(Object.values(services).some((s) => s.migrations !== undefined)).toBe(true);
    expect(out.stdout).toContain(
      `Validated in ${source} by the deployment of \`${sourceCommit}\` (https://github.com/o/r/actions/runs/${sourceCommit.slice(0, 4)})`,
    );
    expect(out.stdout).toContain(`Approved for ${released} by @alice ("ship it").`);
  });

  it("does not count a deployment of the source branch before the promotion", () => {
    const { dir, merge } = repository();
    const before = git(dir, "rev-parse", "HEAD~1");
    const deployments = writeJson(dir, "deployments.json", [
      deployment(before, "success", "2026-11-21T10:00:00Z"),
    ]);
    const out = run([
      "--stack",
      released,
      "--tag",
      TAG,
      "--commit",
      merge,
      "--source-deployments",
      deployments,
      "--project-dir",
      dir,
    ]);
    expect(out.code).toBe(0);
    // The base commit is a parent of the merge, but its source file ran other images.
    expect(out.stdout).toContain(`**Not validated in ${source}:**`);
    expect(out.stdout).toContain("ran other images");
  });

  it("refuses bad input with the file, the key, what was expected and found", () => {
    const { dir, merge } = repository();
    const badApprovals = writeJson(dir, "approvals.json", [{ state: "approved", user: {} }]);
    const bad = run([
      "--stack",
      released,
      "--tag",
      TAG,
      "--commit",
      merge,
      "--approvals",
      badApprovals,
      "--project-dir",
      dir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${badApprovals}: [0].user.login: expected the reviewer's login`);
    expect(bad.stdout).toBe("");

    const wrongTag = run(["--stack", released, "--tag", "release-1", "--commit", merge]);
    expect(wrongTag.code).toBe(2);
    expect(wrongTag.stderr).toContain(`--tag: expected a tag matching ${tagPattern}`);

    const wrongStack = run(["--stack", source, "--tag", TAG, "--commit", merge]);
    expect(wrongStack.code).toBe(2);
    expect(wrongStack.stderr).toContain("--stack: expected a stack whose environment guards");

    const shortCommit = run(["--stack", released, "--tag", TAG, "--commit", "abc123"]);
    expect(shortCommit.code).toBe(2);
    expect(shortCommit.stderr).toContain(
      '--commit: expected a full 40-hex commit SHA, found "abc123"',
    );
  });
});
