"use strict";
// One synthetic stack through the gate's analyze path, in a fresh process so that its peak
// memory is its own: `node bench/synthetic.js <resources>`; prints one JSON line.
const fs = require("node:fs");
const path = require("node:path");
const dist = path.join(__dirname, "..", "dist", "src");
const { runUnderMocks } = require(path.join(dist, "cli", "mock-run.js"));
const { PackProcess, analyzeStack } = require(path.join(dist, "cli", "analyzer.js"));
const { declareEnvironment } = require(path.join(dist, "program.js"));
const model = require(path.join(dist, "model", "index.js"));
const pulumi = require("@pulumi/pulumi");

const ROOT = path.join(__dirname, "..");
const STACK = "stage";

/** Copies of the stage stack's real registrations, renamed, until `size` resources. */
function synthesize(resources, size) {
  const out = [];
  for (let copy = 0; out.length < size; copy++) {
    const rename = (urn) => (urn && copy > 0 ? `${urn}-c${copy}` : urn);
    for (const r of resources) {
      if (out.length === size) break;
      out.push({
        ...r,
        urn: rename(r.urn),
        name: copy > 0 ? `${r.name}-c${copy}` : r.name,
        parent: rename(r.parent),
        dependencies: r.dependencies.map(rename),
      });
    }
  }
  return out;
}

function peakKb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function main() {
  const size = Number(process.argv[2]);
  const file = path.join(ROOT, `Pulumi.${STACK}.yaml`);
  const engineConfig = model.toEngineConfig(model.readStackConfigFile(file));
  const launch = {
    packDir: path.join(ROOT, "policies"),
    stack: STACK,
    project: "envstack",
    engineConfig,
  };
  const pack = new PackProcess(launch);
  const { resources } = await runUnderMocks({
    project: "envstack",
    stack: STACK,
    config: engineConfig,
    region: engineConfig["aws:region"],
    program: () =>
      declareEnvironment(
        model.loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig()),
      ),
  });
  const stack = synthesize(resources, size);
  const port = await pack.port;
  const started = process.hrtime.bigint();
  const { diagnostics } = await analyzeStack(port, launch, stack);
  const analyzeMs = Number(process.hrtime.bigint() - started) / 1e6;
  const packPeakKb = peakKb(pack.pid);
  pack.kill();
  process.stdout.write(
    `${JSON.stringify({
      size: stack.length,
      analyzeMs: Math.round(analyzeMs),
      diagnostics: diagnostics.length,
      gatePeakMb: Math.round(process.resourceUsage().maxRSS / 1024),
      packPeakMb: Math.round(packPeakKb / 1024),
    })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});
