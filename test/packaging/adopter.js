"use strict";
// Run by package.test.ts inside a fresh project that installed the envstack and
// envstack-policies tarballs: everything below resolves from that project's node_modules.
// Prints one JSON document: what importing the library and running the program registered, and
// the installed pack's diagnostics for stage under each way of giving it its baselines.
const fs = require("node:fs");
const path = require("node:path");

const [configFile, editedConfigFile, publishedPack] = process.argv.slice(2);
const installed = path.dirname(require.resolve("envstack/package.json"));
const packDir = path.dirname(require.resolve("envstack-policies/package.json"));
// The installed package's own harness, so the mocks are those of the SDK the program uses.
const { runUnderMocks } = require(path.join(installed, "dist/src/engine/mock-run.js"));
const { analyzeWithNewPack } = require(path.join(installed, "dist/src/engine/analyzer.js"));
const model = require(path.join(installed, "dist/src/model/index.js"));

const file = (stack) => path.resolve(`Pulumi.${stack}.yaml`);
const engineConfig = (stack) => model.toEngineConfig(model.readStackConfigFile(file(stack)));
const run = (stack, program) =>
  runUnderMocks({
    project: "adopter",
    stack,
    config: engineConfig(stack),
    region: model.loadSpecFromFile(file(stack), stack).region,
    program,
  });

async function main() {
  let library;
  const imported = await run("stage", () => {
    library = require("envstack");
    return {};
  });
  const declared = {};
  for (const stack of ["prod", "stage"]) {
    // A fresh program for each stack, as the engine starts one per run.
    for (const module of [
      path.resolve("index.js"),
      path.join(installed, "dist/src/program/main.js"),
    ])
      delete require.cache[module];
    declared[stack] = (await run(stack, () => require("./index.js"))).resources;
  }
  const judge = (dir, policyConfig) =>
    analyzeWithNewPack(
      { packDir: dir, stack: "stage", project: "adopter", engineConfig: engineConfig("stage") },
      declared.stage,
      policyConfig === undefined ? {} : { policyConfig },
    ).then(({ pack, diagnostics }) => ({
      pack: `${pack.name} ${pack.version}`,
      diagnostics: diagnostics.map((d) => ({
        policy: d.policy,
        enforcement: d.enforcement,
        message: d.message,
      })),
    }));
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  const edited = JSON.parse(fs.readFileSync(editedConfigFile, "utf8"));
  const [withEditedConfig, fromProjectFiles, publishedWithConfig, publishedWithout] =
    await Promise.all([
      judge(packDir, edited),
      judge(packDir),
      judge(publishedPack, config),
      judge(publishedPack),
    ]);
  return {
    packDir,
    registeredOnImport: imported.resources.length,
    exported: ["AppService", "Network", "Database", "declareEnvironment", "model"].map(
      (k) => `${k}: ${typeof library[k]}`,
    ),
    declared: Object.fromEntries(Object.entries(declared).map(([s, r]) => [s, r.length])),
    withEditedConfig,
    fromProjectFiles,
    publishedWithConfig,
    publishedWithout,
  };
}

main().then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exitCode = 3;
  },
);
