import * as fs from "node:fs";
import * as path from "node:path";
import { projectDirAbove } from "../model";

/**
 * The envstack package root (holds Pulumi.yaml, the stack files and policies/). The CLI runs
 * compiled from dist/src/cli, three levels below it.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "policies")))
      return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, "..", "..", "..");
}

/**
 * The project a command works on when --project-dir is not given: the nearest directory holding
 * a Pulumi.yaml from the current one up (outside node_modules), as `pulumi` finds its project;
 * else this package (whose own stacks are the sample). Never the installed package when run
 * from an application's project.
 */
export function defaultProjectDir(): string {
  return projectDirAbove(process.cwd()) ?? packageRoot();
}

/** The default policy pack directory: `<package root>/policies`. */
export function defaultPackDir(): string {
  return path.join(packageRoot(), "policies");
}

/** A path for messages: relative to the working directory when it is inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** Options every gate-running command takes (preview, promote), for node:util parseArgs. */
export const GATE_OPTIONS = {
  "policy-config": { type: "string" },
  "policy-pack": { type: "string" },
  "project-dir": { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

/** The pack and project directories those options name, resolved, with their defaults. */
export function gateDirectories(values: {
  readonly "policy-pack"?: string;
  readonly "project-dir"?: string;
}): { readonly packDir: string; readonly projectDir: string } {
  return {
    packDir: path.resolve(values["policy-pack"] ?? defaultPackDir()),
    projectDir: path.resolve(values["project-dir"] ?? defaultProjectDir()),
  };
}
