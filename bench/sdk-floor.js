"use strict";
// The SDK's own floor at scale: <resources> plain registrations (aws.s3.Bucket, a few tags)
// through the SDK's mocks, with the runtime quieted as the gate runs programs, nothing judged:
// `node bench/sdk-floor.js <resources>`. No program the gate runs can register resources faster
// than this. Prints one JSON line: resources, program time, peak memory.
const path = require("node:path");

const ROOT = path.join(__dirname, "..");

async function main() {
  const size = Number(process.argv[2]);
  if (!Number.isInteger(size) || size < 1) throw new Error("usage: sdk-floor.js <resources>");
  const pulumi = require("@pulumi/pulumi");
  const aws = require("@pulumi/aws");
  const { quietProgramRuntime } = require(
    path.join(ROOT, "dist", "src", "engine", "program-runtime.js"),
  );
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "floor",
    "bench",
    true,
  );
  const restore = quietProgramRuntime(false);
  const started = process.hrtime.bigint();
  const buckets = Array.from(
    { length: size },
    (_, i) => new aws.s3.Bucket(`bucket-${i}`, { tags: { app: "floor", env: "bench" } }),
  );
  await new Promise((resolve) => pulumi.all(buckets.map((b) => b.id)).apply(resolve));
  const programMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  restore();
  process.stdout.write(
    `${JSON.stringify({
      resources: size,
      programMs,
      peakMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});
