#!/usr/bin/env node
"use strict";
// The CLI runs compiled (npm ci runs `prepare`, which builds dist/).
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!fs.existsSync(entry)) {
  process.stderr.write(
    `envstack: ${path.relative(process.cwd(), entry) || entry} is missing: run \`npm run build\` first (npm ci runs it through \`prepare\`).\n`,
  );
  process.exit(2);
}
require(entry).cli();
