import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { editFile, ROOT, runCli, scratchProject } from "./helpers";

describe("envstack codeowners", () => {
  it("finds the committed .github/CODEOWNERS generated from the prod stack file", async () => {
    const run = await runCli(["codeowners", "--check"]);
    expect(run).toEqual({
      code: 0,
      stdout: ".github/CODEOWNERS matches Pulumi.prod.yaml.\n",
      stderr: "",
    });
    expect(fs.readFileSync(path.join(ROOT, ".github", "CODEOWNERS"), "utf8")).toMatch(
      new RegExp(`^\\* @${SAMPLE.owner}/platform-owners$`, "m"),
    );
  });

  it("writes every owner, teams under the org and users as logins; --check then agrees", async () => {
    const dir = scratchProject();
    editFile(
      path.join(dir, "Pulumi.prod.yaml"),
      "codeOwners: [platform-owners]",
      'codeOwners: [platform-owners, "@octo-cat"]',
    );
    expect(await runCli(["codeowners", "--check", "--project-dir", dir])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "envstack codeowners: .github/CODEOWNERS differs from Pulumi.prod.yaml's envstack:github.codeOwners: run `envstack codeowners` and commit it.\n",
    });
    expect((await runCli(["codeowners", "--project-dir", dir])).code).toBe(0);
    const text = fs.readFileSync(path.join(dir, ".github", "CODEOWNERS"), "utf8");
    expect(text.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      `* @${SAMPLE.owner}/platform-owners @octo-cat`,
      "",
    ]);
    expect((await runCli(["codeowners", "--check", "--project-dir", dir])).code).toBe(0);
  });

  it("refuses a prod stack with no code owner, naming the file and key, and writes nothing", async () => {
    const dir = scratchProject();
    editFile(path.join(dir, "Pulumi.prod.yaml"), "codeOwners: [platform-owners]", "codeOwners: []");
    const run = await runCli(["codeowners", "--project-dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `envstack codeowners: invalid config:\n${path.join(dir, "Pulumi.prod.yaml")}: envstack:github.codeOwners: expected at least one team or @user: prod's branches require a code owner's review, and with no code owner that rule requires nothing, found a list of 0\n`,
    );
    expect(fs.existsSync(path.join(dir, ".github", "CODEOWNERS"))).toBe(false);
  });
});
