import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../cli/helpers";

interface Manifest {
  name: string;
  version: string;
  main: string;
  files: string[];
  dependencies: Record<string, string>;
}
type PackageJson = { name?: string; version?: string; dependencies?: Record<string, string> };

const { manifest, requiredPackages } = createRequire(__filename)(
  path.join(ROOT, "scripts", "build-pack.js"),
) as {
  requiredPackages: (dir: string) => string[];
  manifest: (packages: string[], root?: PackageJson, pack?: PackageJson) => Manifest;
};

/** A directory of compiled files: relative path → text. */
function compiled(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-pack-build-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("scripts/build-pack.js", () => {
  it("lists the packages the code requires, by package name, without Node's own modules", () => {
    const dir = compiled({
      "policies/index.js": [
        'require("@pulumi/policy");',
        'require("@pulumi/policy/schema");',
        'require("yaml");',
        'require("node:fs");',
        'require("path");',
        'require("../src/model");',
      ].join("\n"),
      "src/model/index.js": 'require("zod");',
    });
    expect(requiredPackages(dir)).toEqual(["@pulumi/policy", "yaml", "zod"]);
  });

  it("refuses a require that leaves the pack or names no file, naming each", () => {
    const dir = compiled({
      "policies/index.js": 'require("../../src/model");\nrequire("./gone");\nrequire("./here");',
      "policies/here.js": "",
    });
    expect(() => requiredPackages(dir)).toThrow(
      `policies/index.js: require("../../src/model") leaves ${dir}\npolicies/index.js: require("./gone") names no file`,
    );
  });

  it("gives each package the range a package.json names, and refuses one neither names", () => {
    const root = { dependencies: { yaml: "^2.0.0", zod: "^4.0.0" } };
    const pack = {
      name: "envstack-policies",
      version: "1.2.3",
      dependencies: { "@pulumi/policy": "^1.0.0" },
    };
    expect(manifest(["@pulumi/policy", "zod"], root, pack)).toMatchObject({
      name: "envstack-policies",
      version: "1.2.3",
      main: "policies/index.js",
      dependencies: { "@pulumi/policy": "^1.0.0", zod: "^4.0.0" },
    });
    expect(() => manifest(["left-pad"], root, pack)).toThrow(
      "dist/pack requires left-pad, which neither policies/package.json nor package.json depends on",
    );
  });

  it("built dist/pack: its main exists and its package.json names exactly what its code requires", () => {
    const out = path.join(ROOT, "dist", "pack");
    const pkg = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8")) as Manifest;
    expect(fs.existsSync(path.join(out, pkg.main))).toBe(true);
    expect(Object.keys(pkg.dependencies)).toEqual(requiredPackages(out));
    expect(pkg.files.every((f) => fs.existsSync(path.join(out, f)))).toBe(true);
  });
});
