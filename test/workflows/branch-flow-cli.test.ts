import { describe, expect, it } from "vitest";
import { BRANCH_FLOW_USAGE, runBranchFlow, type BranchFlowIo } from "../../src/cli/branch-flow";

function run(argv: string[], env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: BranchFlowIo = {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env,
  };
  const code = runBranchFlow(argv, io);
  return { code, stdout, stderr };
}

describe("envstack branch-flow", () => {
  it("exits 0 and says why for an allowed pull request", () => {
    expect(run(["--base", "main", "--head", "release/1.4"])).toEqual({
      code: 0,
      stdout: [
        "branch-flow: ok: release/1.4 may merge into main (prod): allowed sources are staging, release/*.",
      ],
      stderr: [],
    });
  });

  it("exits 1 naming the allowed sources for a refused pull request", () => {
    expect(run(["--base", "staging", "--head", "feature/tariff-v2"])).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        "branch-flow: refused: Pull requests into staging (stage) come only from develop, hotfix/<name>, main; feature/tariff-v2 is not one of them.",
      ],
    });
  });

  it("adds an error annotation on GitHub Actions, escaping workflow-command characters", () => {
    const result = run(["--base=main", "--head=feature/100%"], { GITHUB_ACTIONS: "true" });
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([
      "::error title=branch-flow::Pull requests into main (prod) come only from staging, release/*; feature/100%25 is not one of them.",
    ]);
  });

  it("writes no annotation outside GitHub Actions", () => {
    expect(
      run(["--base", "main", "--head", "develop"], { GITHUB_ACTIONS: "false" }).stdout,
    ).toEqual([]);
  });

  it.each([
    [[], "envstack branch-flow: --base and --head must name a branch"],
    [["--base", "main"], "envstack branch-flow: --head must name a branch"],
    [["--base", "main", "--head", ""], "envstack branch-flow: --head must name a branch"],
    [["--base", " ", "--head", "x"], "envstack branch-flow: --base must name a branch"],
    [["--base"], "envstack branch-flow: Option '--base <value>' argument missing"],
    [["--bse", "main"], "envstack branch-flow: Unknown option '--bse'"],
    [
      ["main", "develop"],
      "envstack branch-flow: Unexpected argument 'main'. This command does not take positional arguments",
    ],
  ])("exits 2 on bad usage %j", (argv, message) => {
    expect(run(argv)).toEqual({ code: 2, stdout: [], stderr: [message, BRANCH_FLOW_USAGE] });
  });

  it("prints usage for --help", () => {
    expect(run(["--help"])).toEqual({ code: 0, stdout: [BRANCH_FLOW_USAGE], stderr: [] });
  });
});
