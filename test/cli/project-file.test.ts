import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  findProjectFile,
  locateProject,
  readProjectFile,
  resolveProgram,
} from "../../src/engine/project-file";

/** A scratch directory holding the given files (parents created). */
function project(files: Readonly<Record<string, string>>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-project-")));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const NODEJS = "runtime:\n  name: nodejs\n  options:\n    typescript: false\n";
const NAME = "a project name of 1 to 100 letters, digits, hyphens, underscores and periods";

describe("readProjectFile: Pulumi.yaml as the engine reads it", () => {
  it("reads the name, main and the Node.js options, with the language host's defaults", () => {
    const dir = project({ "Pulumi.yaml": "name: shop.api_v2\nruntime: nodejs\nmain: bin/\n" });
    expect(readProjectFile(path.join(dir, "Pulumi.yaml"))).toEqual({
      file: path.join(dir, "Pulumi.yaml"),
      dir,
      name: "shop.api_v2",
      main: "bin/",
      runtime: { typescript: true },
    });
    const options = project({
      "Pulumi.yaml":
        "name: envstack\nmain: null\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.build.json\n    packagemanager: npm\n    production: false\n    unknownOption: 3\ndescription: x\n",
    });
    expect(readProjectFile(path.join(options, "Pulumi.yaml"))).toEqual({
      file: path.join(options, "Pulumi.yaml"),
      dir: options,
      name: "envstack",
      runtime: { typescript: true, tsconfig: "tsconfig.build.json" },
    });
  });

  it("reads this project's own file: the compiled program, without ts-node", () => {
    const root = path.resolve(__dirname, "..", "..");
    expect(readProjectFile(path.join(root, "Pulumi.yaml"))).toMatchObject({
      name: "envstack",
      main: "dist/src/program/main.js",
      runtime: { typescript: false },
    });
  });

  it.each<[string, string, string[]]>([
    [
      "a missing name",
      `${NODEJS}main: index.js\n`,
      [`name: expected ${NAME} (the key is required), found nothing (the key is missing)`],
    ],
    [
      "a name with a space",
      `name: my project\n${NODEJS}`,
      [`name: expected ${NAME}, found string "my project"`],
    ],
    [
      "a name of 101 characters",
      `name: ${"a".repeat(101)}\n${NODEJS}`,
      [`name: expected ${NAME}, found string "${"a".repeat(76)}...`],
    ],
    [
      "another runtime",
      "name: envstack\nruntime: python\n",
      [
        `runtime: expected nodejs: the gate runs Node.js programs under the Node.js SDK's mocks, found string "python"`,
      ],
    ],
    [
      "no runtime",
      "name: envstack\n",
      [
        "runtime: expected nodejs, or a map with name nodejs and options (the key is required), found nothing (the key is missing)",
      ],
    ],
    [
      "typescript as a string",
      'name: envstack\nruntime:\n  name: nodejs\n  options:\n    typescript: "yes"\n',
      [
        `runtime.options.typescript: expected true or false (whether to register ts-node for the program), found string "yes"`,
      ],
    ],
    [
      "Node.js arguments",
      "name: envstack\nruntime:\n  name: nodejs\n  options:\n    nodeargs: --max-old-space-size=4096\n",
      [
        `runtime.options.nodeargs: expected no Node.js arguments: the gate runs the program inside its own process, where they cannot apply, found string "--max-old-space-size=4096"`,
      ],
    ],
    [
      "an unknown package manager",
      "name: envstack\nruntime:\n  name: nodejs\n  options:\n    packagemanager: cargo\n",
      [
        `runtime.options.packagemanager: expected one of auto, npm, yarn, pnpm, bun, found string "cargo"`,
      ],
    ],
    [
      "a stack config directory",
      `name: envstack\n${NODEJS}stackConfigDir: config\n`,
      [
        `stackConfigDir: expected no stackConfigDir: the gate reads Pulumi.<stack>.yaml from --project-dir (point it at that directory, or use --config-file), found string "config"`,
      ],
    ],
    [
      "a main that is no path, and a bad name at once",
      `name: ""\n${NODEJS}main: 3\n`,
      [
        `name: expected ${NAME}, found string ""`,
        "main: expected the path of the program, a file or a directory, found number 3",
      ],
    ],
    [
      "a list",
      "- name: envstack\n",
      ["(document): expected a map of project settings, found a list of 1"],
    ],
  ])("refuses %s, naming the file, the key, expected and found", (_what, text, messages) => {
    const file = path.join(project({ "Pulumi.yaml": text }), "Pulumi.yaml");
    expect(() => readProjectFile(file)).toThrow(messages.map((m) => `${file}: ${m}`).join("\n"));
  });

  it("refuses YAML it cannot parse, and a project file not named Pulumi.yaml", () => {
    const broken = path.join(project({ "Pulumi.yaml": "name: [envstack\n" }), "Pulumi.yaml");
    expect(() => readProjectFile(broken)).toThrow(
      new RegExp(
        `^${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\(document\\): expected a YAML project file, found invalid YAML \\(`,
      ),
    );
    const yml = path.join(project({ "Pulumi.yml": `name: envstack\n${NODEJS}` }), "Pulumi.yml");
    expect(() => readProjectFile(yml)).toThrow(
      `${yml}: (file): expected a project file named Pulumi.yaml: the gate reads the stack files Pulumi.<stack>.yaml, which the engine reads beside a Pulumi.yaml, found Pulumi.yml`,
    );
    const missing = path.join(os.tmpdir(), "envstack-no-such-dir", "Pulumi.yaml");
    expect(() => readProjectFile(missing)).toThrow(
      `${missing}: (file): expected a readable project file, found ENOENT`,
    );
  });
});

describe("findProjectFile and locateProject", () => {
  it("finds the project file the engine would, JSON first", () => {
    const dir = project({ "Pulumi.yaml": "name: a\n", "Pulumi.json": "{}" });
    expect(findProjectFile(dir)).toBe(path.join(dir, "Pulumi.json"));
    expect(findProjectFile(project({ "Pulumi.dev.yaml": "config: {}\n" }))).toBeUndefined();
  });

  it("takes the directory's Pulumi.yaml, else the fallback's (a directory of stack files)", () => {
    const own = project({ "Pulumi.yaml": `name: own\n${NODEJS}` });
    const fallback = project({ "Pulumi.yaml": `name: packaged\n${NODEJS}` });
    const stacksOnly = project({ "Pulumi.stage.yaml": "config: {}\n" });
    expect(locateProject(own, fallback).name).toBe("own");
    expect(locateProject(stacksOnly, fallback).name).toBe("packaged");
    expect(() => locateProject(stacksOnly, stacksOnly)).toThrow(
      `${path.join(stacksOnly, "Pulumi.yaml")}: (file): expected a project file, here or in ${stacksOnly}, found nothing (no Pulumi.yaml)`,
    );
  });
});

describe("resolveProgram: the program the language host would start", () => {
  const resolve = (files: Record<string, string>) => {
    const dir = project({ "package.json": "{}", ...files });
    return { dir, entry: resolveProgram(readProjectFile(path.join(dir, "Pulumi.yaml"))) };
  };

  it("runs a main file in its own directory", () => {
    const { dir, entry } = resolve({
      "Pulumi.yaml": `name: p\n${NODEJS}main: bin/app.js\n`,
      "bin/app.js": "",
    });
    expect(entry).toEqual({
      pwd: path.join(dir, "bin"),
      program: path.join(dir, "bin", "app.js"),
      packageRoot: dir,
    });
  });

  it.each<[string, Record<string, string>, string]>([
    [
      "package.json main",
      { "package.json": '{"main": "lib/app.js"}', "lib/app.js": "" },
      "lib/app.js",
    ],
    [
      "package.json exports, before main",
      {
        "package.json": '{"exports": "lib/e.js", "main": "lib/app.js"}',
        "lib/e.js": "",
        "lib/app.js": "",
      },
      "lib/e.js",
    ],
    [
      'package.json exports["."].require',
      { "package.json": '{"exports": {".": {"require": "lib/r.js"}}}', "lib/r.js": "" },
      "lib/r.js",
    ],
    [
      "the directory itself when the manifest's main does not exist",
      { "package.json": '{"main": "lib/gone.js"}' },
      `${path.sep}`,
    ],
  ])("without main, takes %s", (_what, files, program) => {
    const { dir, entry } = resolve({ "Pulumi.yaml": `name: p\n${NODEJS}`, ...files });
    expect(entry).toEqual({ pwd: dir, program: path.join(dir, program), packageRoot: dir });
  });

  it("runs a main directory in itself; the nearest manifest above names its program", () => {
    const { dir, entry } = resolve({
      "Pulumi.yaml": `name: p\n${NODEJS}main: infra\n`,
      "infra/index.js": "",
    });
    expect(entry).toEqual({
      pwd: path.join(dir, "infra"),
      program: `${path.join(dir, "infra")}${path.sep}`,
      packageRoot: dir,
    });
  });

  it("registers ts-node with the tsconfig of the program's directory unless TypeScript is off", () => {
    const { dir, entry } = resolve({
      "Pulumi.yaml": "name: p\nruntime: nodejs\nmain: index.ts\n",
      "index.ts": "",
    });
    expect(entry.typescript).toEqual({ tsconfig: path.join(dir, "tsconfig.json") });
    const named = resolve({
      "Pulumi.yaml":
        "name: p\nruntime:\n  name: nodejs\n  options:\n    tsconfig: ts/build.json\nmain: src/index.ts\n",
      "src/index.ts": "",
      "src/ts/build.json": "{}",
    });
    expect(named.entry.typescript).toEqual({
      tsconfig: path.join(named.dir, "src", "ts", "build.json"),
    });
  });

  it.each<[string, Record<string, string>, (dir: string) => string]>([
    [
      "a main that does not exist",
      { "Pulumi.yaml": `name: p\n${NODEJS}main: dist/index.js\n` },
      (dir) =>
        `${dir}/Pulumi.yaml: main: expected the path of the program, a file or a directory, relative to the project, found nothing at ${dir}/dist/index.js`,
    ],
    [
      "a package of ES modules",
      {
        "Pulumi.yaml": `name: p\n${NODEJS}main: index.js\n`,
        "index.js": "",
        "package.json": '{"type": "module"}',
      },
      (dir) =>
        `${dir}/package.json: type: expected a CommonJS program: the gate runs it once per stack in one process, and an ES module cannot be loaded afresh, found string "module"`,
    ],
    [
      "an .mjs main",
      { "Pulumi.yaml": `name: p\n${NODEJS}main: index.mjs\n`, "index.mjs": "" },
      (dir) =>
        `${dir}/Pulumi.yaml: main: expected a CommonJS program: the gate runs it once per stack in one process, and an ES module cannot be loaded afresh, found the ES module ${dir}/index.mjs`,
    ],
    [
      "a tsconfig the options name that does not exist",
      {
        "Pulumi.yaml":
          "name: p\nruntime:\n  name: nodejs\n  options:\n    tsconfig: tsconfig.gone.json\nmain: index.ts\n",
        "index.ts": "",
      },
      (dir) =>
        `${dir}/Pulumi.yaml: runtime.options.tsconfig: expected a tsconfig file, relative to the program's directory ${dir}, found nothing at ${dir}/tsconfig.gone.json`,
    ],
    [
      "a program that would load another copy of the SDK",
      {
        "Pulumi.yaml": `name: p\n${NODEJS}main: index.js\n`,
        "index.js": "",
        "node_modules/@pulumi/pulumi/package.json":
          '{"name": "@pulumi/pulumi", "main": "index.js"}',
        "node_modules/@pulumi/pulumi/index.js": "",
      },
      (dir) =>
        `${dir}/Pulumi.yaml: main: expected a program that loads the SDK the gate runs with (${require.resolve("@pulumi/pulumi")}), on which it sets its mocks, found a program loading ${dir}/node_modules/@pulumi/pulumi/index.js`,
    ],
  ])("refuses %s, naming the file and key", (_what, files, message) => {
    const dir = project({ "package.json": "{}", ...files });
    expect(() => resolveProgram(readProjectFile(path.join(dir, "Pulumi.yaml")))).toThrow(
      message(dir),
    );
  });
});
