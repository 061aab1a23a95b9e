#!/usr/bin/env node
"use strict";
// The gate's benchmark (not a test): `npm run build && npm run bench`. Figures are printed,
// never asserted.
// (a) the floor: one node process loading the four SDKs the gate needs;
// (b) `envstack preview --all`, with each judge, and its ratio to the floor;
// (c) one stack of a real program at scale (bench/scale.js: the stage program declared for
//     many copies of the app, run through the SDK's mocks and judged as the gate judges),
//     whole runs at 100, 1,000 and 10,000 resources, with each judge: t(10,000)/t(100) and
//     the peak memory at 10,000.
// (d) the SDK's own floor at scale (bench/sdk-floor.js): plain registrations through its mocks.
// BENCH_RUNS sets the runs per figure in (a) and (b) (median; default 5); BENCH_SIZES the sizes
// of (c) (default 100,1000,10000); BENCH_JUDGES the judges (default in-process,pack-process).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? "100,1000,10000").split(",").map(Number);
const JUDGES = (process.env.BENCH_JUDGES ?? "in-process,pack-process").split(",");

function time(args) {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
  }
  return { ms, stdout: run.stdout };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (ms) => `${Math.round(ms).toLocaleString("en-US")} ms`;

if (!fs.existsSync(path.join(ROOT, "dist", "src", "cli", "main.js"))) {
  console.error("bench: dist/ is missing: run `npm run build` first.");
  process.exit(2);
}

const cpu = os.cpus()[0]?.model ?? "unknown cpu";
console.log(
  `machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`runs per figure in (a) and (b): ${RUNS} (median), interleaved\n`);

// (a) and (b) interleaved, so that both sides of each ratio see the same load.
const FLOOR = [
  "-e",
  'require("@pulumi/pulumi");require("@pulumi/aws");require("@pulumi/github");require("@pulumi/policy")',
];
const previewArgs = (judge) => [
  path.join(ROOT, "bin", "envstack.js"),
  "preview",
  "--all",
  "--format",
  "json",
  "--judge",
  judge,
];
const samples = { floor: [], ...Object.fromEntries(JUDGES.map((j) => [j, []])) };
time(FLOOR); // warm the file cache
JUDGES.forEach((j) => time(previewArgs(j)));
for (let i = 0; i < RUNS; i++) {
  samples.floor.push(time(FLOOR).ms);
  for (const j of JUDGES) samples[j].push(time(previewArgs(j)).ms);
}
const floor = median(samples.floor);
const show = (label, values) =>
  console.log(
    `${label.padEnd(48)} median ${fmt(median(values)).padStart(9)}  (${values.map((s) => s.toFixed(0)).join(", ")})`,
  );
show("(a) floor: require pulumi+aws+github+policy", samples.floor);
for (const j of JUDGES) {
  show(`(b) preview --all --judge ${j}`, samples[j]);
  console.log(
    `    ratio to the floor: ${(median(samples[j]) / floor).toFixed(2)}x${j === "in-process" ? " (goal <= 2.0x)" : ""}`,
  );
}
console.log("");

// (c) whole runs at scale, each in a fresh process.
for (const j of JUDGES) {
  const runs = {};
  for (const size of SIZES) {
    const { ms, stdout } = time([path.join(__dirname, "scale.js"), String(size), j]);
    const r = JSON.parse(stdout);
    runs[size] = { ...r, wallMs: ms };
    console.log(
      `(c) ${j.padEnd(12)} ${String(r.resources).padStart(6)} resources: whole run ${fmt(ms).padStart(10)} (load ${fmt(r.loadMs)}, program ${fmt(r.programMs)}, judging ${fmt(r.judgeMs)}), violations ${r.violations}, peak memory ${r.peakMb} MB${r.packPeakMb ? ` + pack ${r.packPeakMb} MB` : ""}`,
    );
  }
  const [small, large] = [runs[SIZES[0]], runs[SIZES[SIZES.length - 1]]];
  if (small && large && small !== large) {
    console.log(
      `    t(${large.resources})/t(${small.resources}): ${(large.wallMs / small.wallMs).toFixed(1)}${j === "in-process" ? " (goal <= 1.5)" : ""}; per resource at ${large.resources}: program ${(large.programMs / large.resources).toFixed(2)} ms, judging ${(large.judgeMs / large.resources).toFixed(2)} ms`,
    );
    console.log(
      `    peak memory at ${large.resources}: ${large.peakMb + large.packPeakMb} MB${j === "in-process" ? " (goal <= 300 MB)" : " (gate + pack)"}`,
    );
  }
}

// (d) the SDK's own floor at the same sizes: plain registrations through its mocks, nothing
// judged. The goals of (c) are to be read against it.
const floorRuns = {};
for (const size of SIZES) {
  const { ms, stdout } = time([path.join(__dirname, "sdk-floor.js"), String(size)]);
  const r = JSON.parse(stdout);
  floorRuns[size] = { ...r, wallMs: ms };
  console.log(
    `(d) the SDK alone   ${String(r.resources).padStart(6)} resources: whole run ${fmt(ms).padStart(10)} (registrations ${fmt(r.programMs)}), peak memory ${r.peakMb} MB`,
  );
}
const [floorSmall, floorLarge] = [floorRuns[SIZES[0]], floorRuns[SIZES[SIZES.length - 1]]];
if (floorSmall && floorLarge && floorSmall !== floorLarge) {
  console.log(
    `    t(${floorLarge.resources})/t(${floorSmall.resources}): ${(floorLarge.wallMs / floorSmall.wallMs).toFixed(1)}; per resource: ${(floorLarge.programMs / floorLarge.resources).toFixed(2)} ms`,
  );
}
