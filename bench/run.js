#!/usr/bin/env node
"use strict";
// The gate's benchmark (not a test): `npm run build && node bench/run.js`.
// (a) the floor: one node process loading the four SDKs; (b) `envstack preview --all` against
// it; (c) synthetic stacks of 100, 1,000 and 10,000 resources through the analyze path.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function time(args, env = {}) {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
  }
  return { ms, stdout: run.stdout, status: run.status };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function measure(label, args) {
  time(args); // warm the file cache
  const samples = Array.from({ length: RUNS }, () => time(args).ms);
  const m = median(samples);
  console.log(
    `${label.padEnd(44)} median ${m.toFixed(0).padStart(6)} ms  (${samples.map((s) => s.toFixed(0)).join(", ")})`,
  );
  return m;
}

if (!fs.existsSync(path.join(ROOT, "dist", "src", "cli", "main.js"))) {
  console.error("bench: dist/ is missing: run `npm run build` first.");
  process.exit(2);
}

const cpu = os.cpus()[0]?.model ?? "unknown cpu";
console.log(
  `machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
);
console.log(`runs per figure: ${RUNS} (median)\n`);

const floor = measure("(a) floor: require pulumi+aws+github+policy", [
  "-e",
  'require("@pulumi/pulumi");require("@pulumi/aws");require("@pulumi/github");require("@pulumi/policy")',
]);
const preview = measure("(b) envstack preview --all", [
  path.join(ROOT, "bin", "envstack.js"),
  "preview",
  "--all",
  "--format",
  "json",
]);
console.log(`    ratio preview/floor: ${(preview / floor).toFixed(2)}x (goal <= 2.0x)\n`);

const sizes = [100, 1000, 10000];
const synthetic = {};
for (const size of sizes) {
  const runs = Array.from({ length: size >= 10000 ? 1 : 3 }, () =>
    JSON.parse(time([path.join(__dirname, "synthetic.js"), String(size)]).stdout),
  );
  const pick = runs.sort((a, b) => a.analyzeMs - b.analyzeMs)[Math.floor(runs.length / 2)];
  synthetic[size] = pick;
  console.log(
    `(c) ${String(size).padStart(6)} resources: analyze ${String(pick.analyzeMs).padStart(6)} ms, ${pick.diagnostics} diagnostics, peak memory gate ${pick.gatePeakMb} MB + pack ${pick.packPeakMb} MB`,
  );
}
const ratio = synthetic[10000].analyzeMs / synthetic[100].analyzeMs;
console.log(
  `    t(10,000)/t(100): ${ratio.toFixed(1)} (goal <= 2.0); per resource at 10,000: ${(synthetic[10000].analyzeMs / 10000).toFixed(2)} ms`,
);
console.log(
  `    peak memory at 10,000: ${synthetic[10000].gatePeakMb + synthetic[10000].packPeakMb} MB (gate + pack; goal < 500 MB)`,
);
