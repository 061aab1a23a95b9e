import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts", "policies/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Much of the suite waits on the processes it starts (programs, packs, git): two files at a
    // time keep even a 2-core runner busy, where vitest's default (cores - 1) would run one
    // (https://vitest.dev/config/#maxworkers).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
