import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackConfigKey } from "../../policies/baselines";
import { environments, loadSpecFromFile } from "../../src/model";
import { ROOT } from "../cli/helpers";
import { analyzeWithNewPack } from "../../src/engine/analyzer";

/**
 * The two packages as `npm pack` makes them (the build already ran: `npm test` builds first):
 * envstack (library, program, CLI) and the self-contained policy pack dist/pack
 * (envstack-policies, what `pulumi policy publish` uploads), installed into a fresh project as an
 * application adopting envstack would install them, offline. The npm cache holds the tarballs
 * `npm ci` fetched for this checkout, not the registry's package documents, so a lock-less
 * `npm install --offline` stops at ENOTCACHED; the project gets a lockfile made from this
 * checkout's (every production dependency at its locked version, tarball URL and integrity) and
 * `npm ci --offline` installs both tarballs and their dependencies from the cache. Nothing is
 * linked from this checkout's node_modules.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without what `npm test` sets for itself (npm_*), which would steer npm. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.toLowerCase().startsWith("npm_") && k !== "ENVSTACK_STACK_FILES",
    ),
  );

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const hasNpm = spawnSync(npm, ["--version"], { env: cleanEnv() }).status === 0;
const PACK_DIR = path.join(ROOT, "dist", "pack");

interface Packed {
  readonly tarball: string;
  readonly files: string[];
  readonly manifest: { dependencies: Record<string, string>; main: string; name: string };
}

async function pack(dir: string, destination: string): Promise<Packed> {
  const packed = await run(
    npm,
    ["pack", "--json", "--ignore-scripts", "--pack-destination", destination],
    dir,
  );
  expect([dir, packed.code, packed.stderr.replace(/^npm warn .*\n/gm, "")]).toEqual([dir, 0, ""]);
  const report = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  return {
    tarball: path.join(destination, report[0]!.filename),
    files: report[0]!.files.map((f) => f.path),
    manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as never,
  };
}

interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

/** A lockfile for a project depending on the two tarballs: this checkout's locked versions. */
function adopterLock(dependencies: Record<string, string>, tarballs: readonly Packed[]) {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    "": { name: "adopter", version: "1.0.0", dependencies },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key.startsWith("node_modules/") && !entry.dev && !entry.link) packages[key] = entry;
  }
  for (const t of tarballs) {
    packages[`node_modules/${t.manifest.name}`] = {
      version: "0.1.0",
      resolved: dependencies[t.manifest.name],
      dependencies: t.manifest.dependencies,
    };
  }
  return { name: "adopter", version: "1.0.0", lockfileVersion: 3, requires: true, packages };
}

let root: Packed;
let policyPack: Packed;
let out = "";
let project = "";
let published = "";

const describeWithNpm = hasNpm ? describe : describe.skip;
const title = hasNpm
  ? "npm pack of envstack and of its policy pack, installed offline in a fresh project"
  : "npm pack of envstack and of its policy pack (skipped: npm is not on PATH)";

describeWithNpm(title, () => {
  beforeAll(async () => {
    if (!fs.existsSync(path.join(PACK_DIR, "package.json")))
      throw new Error(`${PACK_DIR} is missing: run \`npm run build\` first`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-pack-"));
    [root, policyPack] = await Promise.all([pack(ROOT, out), pack(PACK_DIR, out)]);
    project = path.join(out, "adopter");
    fs.mkdirSync(project);
    const dependencies = Object.fromEntries(
      [root, policyPack].map((p) => [p.manifest.name, `file:../${path.basename(p.tarball)}`]),
    );
    const manifest = { name: "adopter", version: "1.0.0", private: true, dependencies };
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(
      path.join(project, "package-lock.json"),
      JSON.stringify(adopterLock(dependencies, [root, policyPack]), null, 2),
    );
    const installed = await run(
      npm,
      ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
      project,
    );
    expect([installed.code, installed.stderr.replace(/^npm warn .*\n/gm, "")]).toEqual([0, ""]);
    // The application: its stack files, and a program that is envstack's.
    for (const stack of environments().names)
      fs.copyFileSync(
        path.join(ROOT, `Pulumi.${stack}.yaml`),
        path.join(project, `Pulumi.${stack}.yaml`),
      );
    fs.writeFileSync(
      path.join(project, "Pulumi.yaml"),
      // As README.md, "Adopting it", writes it.
      "name: adopter\nruntime: { name: nodejs, options: { typescript: false } }\nmain: index.js\n",
    );
    fs.writeFileSync(
      path.join(project, "index.js"),
      'module.exports = require("envstack/program");\n',
    );
    // The pack as the CLI installs a published one: the tarball's `package` directory, outside any
    // project, its dependencies installed beside it (here: the project's, through a link).
    published = path.join(out, "published");
    fs.mkdirSync(published);
    const extracted = await run("tar", ["-xzf", policyPack.tarball, "-C", published], out);
    expect(extracted.code).toBe(0);
    published = path.join(published, "package");
    fs.symlinkSync(path.join(project, "node_modules"), path.join(published, "node_modules"), "dir");
  }, 120_000);

  // The installed project is some 200 MB.
  afterAll(() => {
    if (out !== "") fs.rmSync(out, { recursive: true, force: true });
  });

  it("envstack holds the compiled library, program, CLI and local pack; no sources or tests", () => {
    for (const f of [
      "package.json",
      "Pulumi.yaml",
      "bin/envstack.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/program/main.js",
      "dist/src/cli/main.js",
      "dist/policies/index.js",
      "policies/PulumiPolicy.yaml",
      "policies/package.json",
    ])
      expect(root.files).toContain(f);
    expect(
      root.files.filter(
        (f) => /^(src|test|bench|scripts|dist\/pack)\//.test(f) || f.endsWith(".test.js"),
      ),
    ).toEqual([]);
    expect(root.files.filter((f) => /^Pulumi\.[^/]+\.yaml$/.test(f))).toEqual([]);
  });

  it("the pack holds its PulumiPolicy.yaml, its own main, the model it imports, and nothing else", () => {
    expect(policyPack.manifest.name).toBe("envstack-policies");
    expect(policyPack.files).toContain("PulumiPolicy.yaml");
    expect(policyPack.files).toContain("suppressions.yaml");
    expect(policyPack.files).toContain(policyPack.manifest.main);
    expect(policyPack.files).toContain("src/model/index.js");
    expect(
      policyPack.files.filter(
        (f) =>
          !/^(policies(\/[a-z0-9-]+)?|src\/model)\/[a-z0-9-]+\.js$/.test(f) && !f.endsWith(".yaml"),
      ),
    ).toEqual(["package.json"]);
    expect(Object.keys(policyPack.manifest.dependencies).sort()).toEqual([
      "@pulumi/policy",
      "@pulumi/pulumi",
      "yaml",
      "zod",
    ]);
  });

  it("npm pack of policies/, which runs only inside the project, stops and names dist/pack", async () => {
    const packed = await run(npm, ["pack", "--dry-run"], path.join(ROOT, "policies"));
    expect(packed.code).not.toBe(0);
    expect(packed.stderr).toContain(
      "policies/ runs from the project (its main is ../dist/policies/index.js): publish the self-contained pack instead: npm run build, then pulumi policy publish in dist/pack",
    );
  });

  it("no file of the installed pack requires a path outside it", () => {
    const dir = path.join(project, "node_modules", "envstack-policies");
    const leaving: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory() && e.name !== "node_modules") walk(f);
        if (!e.name.endsWith(".js")) continue;
        for (const [, spec] of fs.readFileSync(f, "utf8").matchAll(/\brequire\("(\.[^"]*)"\)/g)) {
          const target = path.resolve(path.dirname(f), spec!);
          if (path.relative(dir, target).startsWith("..")) leaving.push(`${f}: ${spec}`);
        }
      }
    };
    walk(dir);
    expect(fs.existsSync(path.join(dir, policyPack.manifest.main))).toBe(true);
    expect(leaving).toEqual([]);
  });

  describe("in the adopting project", () => {
    let result: {
      packDir: string;
      registeredOnImport: number;
      exported: string[];
      declared: Record<string, number>;
      [judged: string]: unknown;
    };
    type Judged = {
      pack: string;
      diagnostics: { policy: string; enforcement: string; message: string }[];
    };
    const mandatory = (j: unknown) =>
      (j as Judged).diagnostics.filter((d) => d.enforcement === "mandatory");
    let storageGb = 0;

    beforeAll(async () => {
      const cli = path.join(project, "node_modules", "envstack", "bin", "envstack.js");
      const printed = await run(
        process.execPath,
        [cli, "policies", "--config", "--project-dir", "."],
        project,
      );
      expect([printed.code, printed.stderr]).toEqual([0, ""]);
      const config = JSON.parse(printed.stdout) as Record<string, Record<string, unknown>>;
      // The same config with prod's database one gigabyte larger than stage's.
      storageGb = loadSpecFromFile(path.join(project, "Pulumi.stage.yaml"), "stage").database
        .storageGb;
      const edited = structuredClone(config);
      for (const entry of Object.values(edited)) {
        const prod = entry[stackConfigKey("prod")] as Record<string, Record<string, unknown>>;
        prod["envstack:database"] = { ...prod["envstack:database"], storageGb: storageGb + 1 };
      }
      fs.writeFileSync(path.join(project, "baselines.json"), printed.stdout);
      fs.writeFileSync(path.join(project, "edited.json"), JSON.stringify(edited));
      const script = path.join(project, "adopter.js");
      fs.copyFileSync(path.join(__dirname, "adopter.js"), script);
      const judged = await run(
        process.execPath,
        [script, "baselines.json", "edited.json", published],
        project,
      );
      expect([judged.code, judged.stderr]).toEqual([0, ""]);
      result = JSON.parse(judged.stdout) as typeof result;
    }, 120_000);

    it("require('envstack') declares nothing and gives the components; envstack/program declares the stack", () => {
      expect(result.registeredOnImport).toBe(0);
      expect(result.exported).toEqual([
        "AppService: function",
        "Network: function",
        "Database: function",
        "declareEnvironment: function",
        "model: object",
      ]);
      // The guards stack reads every stack file: the project's, not the installed package's.
      expect(result.declared["prod"]).toBeGreaterThan(result.declared["stage"]!);
      expect(result.declared["stage"]).toBeGreaterThan(50);
    });

    it("published (outside any project), the pack judges stage against the baselines its config gives", () => {
      expect((result["publishedWithConfig"] as Judged).pack).toBe("envstack-policies 0.1.0");
      expect(mandatory(result["publishedWithConfig"])).toEqual([]);
      // The same diagnostics as from the project's files, which the config copies.
      expect((result["publishedWithConfig"] as Judged).diagnostics).toEqual(
        (result["fromProjectFiles"] as Judged).diagnostics,
      );
    });

    it("published, without its config, it says on each policy what to give, and judges nothing against it", () => {
      const missing = mandatory(result["publishedWithout"]);
      expect(missing.length).toBeGreaterThan(0);
      for (const d of missing)
        expect(d.message).toMatch(
          /^Give the policy the (dev|stage|prod) baseline before this check can run: the pack runs outside a project \(no Pulumi\.yaml above .*\), so it has no Pulumi\.(dev|stage|prod)\.yaml to read\. Set (dev|stage|prod)Stack in the policy config/,
        );
      expect(missing.map((d) => d.policy)).toContain("stage-mirrors-prod");
    });

    it("installed in the project, the pack prefers the baseline its config gives to the project's file", () => {
      expect(fs.realpathSync(result.packDir)).toBe(
        fs.realpathSync(path.join(project, "node_modules", "envstack-policies")),
      );
      expect(mandatory(result["withEditedConfig"]).map((d) => [d.policy, d.message])).toEqual([
        [
          "stage-mirrors-prod",
          expect.stringMatching(new RegExp(`^Set database\\.storageGb to ${storageGb + 1} on `)),
        ],
      ]);
    });

    it("installed in the project and given no config, the pack reads the project's stack files", () => {
      expect((result["fromProjectFiles"] as Judged).pack).toBe("envstack-policies 0.1.0");
      expect(mandatory(result["fromProjectFiles"])).toEqual([]);
      expect(
        (result["fromProjectFiles"] as Judged).diagnostics.filter((d) =>
          d.message.includes("baseline before this check can run"),
        ),
      ).toEqual([]);
    });

    it("the installed CLI previews the project with the installed pack", async () => {
      const cli = path.join(project, "node_modules", "envstack", "bin", "envstack.js");
      const preview = await run(
        process.execPath,
        [
          cli,
          "preview",
          "--project-dir",
          project,
          "--stack",
          "stage",
          "--policy-pack",
          path.join(project, "node_modules", "envstack-policies"),
          "--format",
          "json",
        ],
        project,
      );
      expect([preview.code, preview.stderr]).toEqual([0, ""]);
      const report = JSON.parse(preview.stdout) as {
        stacks: { stack: string; resources: unknown[] }[];
      };
      expect(report.stacks.map((s) => [s.stack, s.resources.length])).toEqual([
        ["stage", result.declared["stage"]],
      ]);
    });

    it("published, the pack knows the chain of the envstack.yaml beside its PulumiPolicy.yaml", async () => {
      // A chain whose names are none of the default's: the published pack alone does not know it.
      const chain =
        "environments:\n  - { name: sandbox, role: development, branches: [develop] }\n" +
        "  - { name: preprod, role: production-like, branches: [preprod] }\n" +
        "  - { name: live, role: production, branches: [live] }\n";
      const launch = (packDir: string) =>
        analyzeWithNewPack({ packDir, stack: "preprod", project: "adopter", engineConfig: {} }, []);
      await expect(launch(published)).rejects.toThrow(
        new RegExp(
          `stack: expected one of ${environments().names.join(", ")}, found "preprod": a published pack knows the chain of the envstack.yaml beside its PulumiPolicy.yaml`,
        ),
      );
      const withChain = path.join(out, "published-with-chain");
      fs.cpSync(published, withChain, { recursive: true, verbatimSymlinks: true });
      fs.writeFileSync(path.join(withChain, "envstack.yaml"), chain);
      const analysed = await launch(withChain);
      expect(`${analysed.pack.name} ${analysed.pack.version}`).toBe("envstack-policies 0.1.0");
    });

    it("the installed CLI works on the project around the current directory, not on itself", async () => {
      const cli = path.join(project, "node_modules", "envstack", "bin", "envstack.js");
      const nested = path.join(project, "infra");
      fs.mkdirSync(nested, { recursive: true });
      const [given, found] = await Promise.all([
        run(process.execPath, [cli, "policies", "--config", "--project-dir", project], project),
        run(process.execPath, [cli, "policies", "--config"], nested),
      ]);
      expect([found.code, found.stderr]).toEqual([0, ""]);
      expect(found.stdout).toBe(given.stdout);
    });

    it("the installed CLI writes the project's deploy workflows, which --check then finds current", async () => {
      const cli = path.join(project, "node_modules", "envstack", "bin", "envstack.js");
      const written = await run(
        process.execPath,
        [cli, "workflows", "--project-dir", project],
        project,
      );
      expect([written.code, written.stderr]).toEqual([0, ""]);
      expect(fs.readdirSync(path.join(project, ".github", "workflows")).sort()).toEqual(
        environments()
          .names.map((s) => `deploy-${s}.yml`)
          .sort(),
      );
      const checked = await run(
        process.execPath,
        [cli, "workflows", "--check", "--project-dir", project],
        project,
      );
      expect([checked.code, checked.stderr]).toEqual([0, ""]);
    });
  });
});
