#!/usr/bin/env node
"use strict";
// Builds the self-contained policy pack, dist/pack/ (`npm run build` runs it): what
// `pulumi policy publish` uploads and `pulumi preview --policy-pack dist/pack` runs.
// - tsc compiles policies/index.ts and only what it imports (the policies and src/model) into
//   dist/pack/policies and dist/pack/src (tsconfig.pack.json);
// - PulumiPolicy.yaml and the reviewed suppressions are copied beside them;
// - package.json names its own `main` and the packages the compiled code requires, with the
//   ranges policies/package.json or the root package.json give them.
// It fails when a compiled file requires a path outside dist/pack or a package neither
// package.json names: the published pack would not load where it is installed.
// `pulumi policy publish` runs `npm pack` in the pack directory and, where the pack runs, the
// CLI installs its dependencies with `npm install` there:
// https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/backend/httpstate/policypack.go#L397-L461
// https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/backend/httpstate/policypack.go#L499-L577
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const { builtinModules } = require("node:module");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const OUT = path.join(ROOT, "dist", "pack");
const MAIN = "policies/index.js";
/** Pack files besides the compiled code, from policies/. */
const COPIED = ["PulumiPolicy.yaml", "suppressions.yaml"];

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

function compile() {
  fs.rmSync(OUT, { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.pack.json")], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (run.status !== 0) throw new Error(`tsc -p tsconfig.pack.json failed (${run.status})`);
}

function jsFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? jsFiles(path.join(dir, e.name))
        : e.name.endsWith(".js")
          ? [path.join(dir, e.name)]
          : [],
    );
}

const packageName = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

/**
 * The packages the compiled code in `dir` requires; throws, naming each file, on a relative
 * require that leaves `dir` or names no file.
 */
function requiredPackages(dir) {
  const packages = new Set();
  const problems = [];
  for (const file of jsFiles(dir)) {
    const text = fs.readFileSync(file, "utf8");
    for (const [, specifier] of text.matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (specifier.startsWith(".")) {
        const target = path.resolve(path.dirname(file), specifier);
        const inside = !path.relative(dir, target).startsWith("..");
        const exists = [target, `${target}.js`, path.join(target, "index.js")].some((f) =>
          fs.existsSync(f),
        );
        if (!inside || !exists)
          problems.push(
            `${path.relative(dir, file)}: require("${specifier}") ${inside ? "names no file" : `leaves ${dir}`}`,
          );
      } else if (!specifier.startsWith("node:") && !builtinModules.includes(specifier)) {
        packages.add(packageName(specifier));
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return [...packages].sort();
}

/** The pack's package.json: its own main, and a range for each package its code requires. */
function manifest(
  packages,
  root = readJson(path.join(ROOT, "package.json")),
  pack = readJson(path.join(ROOT, "policies", "package.json")),
) {
  const ranges = { ...root.dependencies, ...pack.dependencies };
  const unknown = packages.filter((p) => ranges[p] === undefined);
  if (unknown.length > 0)
    throw new Error(
      `dist/pack requires ${unknown.join(", ")}, which neither policies/package.json nor package.json depends on`,
    );
  return {
    name: pack.name,
    version: pack.version,
    description: pack.description,
    license: pack.license,
    private: true,
    main: MAIN,
    files: ["policies/", "src/", ...COPIED],
    engines: root.engines,
    dependencies: Object.fromEntries(packages.map((p) => [p, ranges[p]])),
  };
}

function build() {
  compile();
  for (const file of COPIED)
    fs.copyFileSync(path.join(ROOT, "policies", file), path.join(OUT, file));
  const pkg = manifest(requiredPackages(OUT));
  if (!fs.existsSync(path.join(OUT, pkg.main))) throw new Error(`dist/pack/${pkg.main} is missing`);
  fs.writeFileSync(path.join(OUT, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  process.stdout.write(`built dist/pack (${pkg.name} ${pkg.version})\n`);
}

if (require.main === module) {
  try {
    build();
  } catch (err) {
    process.stderr.write(`build-pack: ${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = { manifest, requiredPackages };
