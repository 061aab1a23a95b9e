import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The policy tests that `npm run test:mutation` runs against each mutant of policies/. The
 * program's resources do not change with a mutant of the pack, so each stack is run under mocks
 * once and its fixtures cached for every later test run (`stackFixtures` in
 * test/policies/harness.ts); program.test.ts, which runs the program in its tests, is left out.
 */
export default defineConfig({
  test: {
    include: ["test/policies/**/*.test.ts"],
    exclude: ["test/policies/program.test.ts"],
    env: {
      ENVSTACK_FIXTURES_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), "envstack-fixtures-")),
      // pack.test.ts's no-throw property covers every policy, so it runs for every mutant.
      ENVSTACK_PROPERTY_RUNS: "60",
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Stryker switches mutants at run time, so test files may share one module graph: without
    // a fresh one per file, each mutant's run costs its tests, not their imports.
    isolate: false,
  },
});
