"use strict";
// One stack of about <resources> resources through the gate, end to end, in a fresh process so
// that its time and peak memory are its own: `node bench/scale.js <resources> <judge>`.
// The program is real: the stage environment's program (declareEnvironment, every component),
// declared once per copy of the application (app names `<app>`, `<app>1`, ...), so every
// resource goes through the SDK's mocks as the gate runs programs. Its resources are then
// judged by the pack as the gate judges a stack (judgeStack: the gate's pack config, floors and
// classification). Prints one JSON line: resources, diagnostics, where the time went, peak
// memory (this process once the program ran and at the end, and the pack processes it started).
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const dist = path.join(ROOT, "dist", "src");
const STACK = "stage";

/** The largest VmHWM (peak resident memory) seen among this process's children, in kB. */
let childPeakKb = 0;
function sampleChildren() {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      childPeakKb = Math.max(childPeakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // Gone meanwhile.
    }
  }
}

async function main() {
  const size = Number(process.argv[2]);
  const judgeMode = process.argv[3] ?? "in-process";
  if (!Number.isInteger(size) || size < 1) throw new Error("usage: scale.js <resources> <judge>");
  const started = process.hrtime.bigint();
  const since = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  const sampler = fs.existsSync("/proc/self/status") ? setInterval(sampleChildren, 50) : undefined;
  sampler?.unref();

  const model = require(path.join(dist, "model", "index.js"));
  const { judgeStack } = require(path.join(dist, "engine", "gate.js"));
  const { startJudge } = require(path.join(dist, "engine", "judge.js"));
  const file = path.join(ROOT, `Pulumi.${STACK}.yaml`);
  const engineConfig = model.toEngineConfig(model.readStackConfigFile(file));
  const target = { stack: STACK, file, engineConfig, region: engineConfig["aws:region"] };
  const judge = startJudge(judgeMode, path.join(ROOT, "policies"), [
    { stack: STACK, project: "envstack", engineConfig },
  ]);
  try {
    const { runUnderMocks } = require(path.join(dist, "engine", "mock-run.js"));
    const { declareEnvironment } = require(path.join(dist, "program", "index.js"));
    const pulumi = require("@pulumi/pulumi");
    const loadedMs = since();
    const { quietProgramRuntime } = require(path.join(dist, "engine", "program-runtime.js"));
    const restoreRuntime = quietProgramRuntime(false); // as runGate runs programs
    const programStarted = since();
    let copies = 0;
    const { resources } = await runUnderMocks({
      project: "envstack",
      stack: STACK,
      config: engineConfig,
      region: target.region,
      program: () => {
        const spec = model.loadSpecFromEngineConfig(pulumi.getStack(), pulumi.runtime.allConfig());
        // One copy declares about 124 resources; as many copies as reach the size.
        copies = Math.max(1, Math.round(size / 124));
        return Array.from({ length: copies }, (_, i) =>
          declareEnvironment({ ...spec, app: i === 0 ? spec.app : `${spec.app}${i}` }),
        );
      },
    });
    restoreRuntime();
    const programMs = since() - programStarted;
    const programPeakMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const verdict = await judgeStack(judge, target, resources, programMs, {
      projectDir: ROOT,
      projectName: "envstack",
    });
    sampleChildren();
    process.stdout.write(
      `${JSON.stringify({
        judge: judgeMode,
        resources: resources.length,
        copies,
        violations: verdict.violations.length,
        suppressions: verdict.suppressions.length,
        loadMs: loadedMs,
        programMs,
        judgeMs: verdict.timings.analyzeMs,
        totalMs: since(),
        programPeakMb,
        peakMb: Math.round(process.resourceUsage().maxRSS / 1024),
        packPeakMb: Math.round(childPeakKb / 1024),
      })}\n`,
    );
  } finally {
    judge.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});
