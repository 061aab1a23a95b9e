import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  describeTarget,
  expiredMessage,
  hasMatched,
  isExpired,
  latestExpiry,
  loadSuppressions,
  namesViolation,
  parseSuppressedMessage,
  parseSuppressions,
  recordMatch,
  staleMessage,
  stackOf,
  suppressedMessage,
  today,
  type Suppression,
} from "../../policies/suppressions";

/*
 * The suppressions file's rules, read off the schema one by one: each is what keeps an
 * exception to one resource, one stack, one attribute and one year.
 */

const ON = "2026-03-15";
const FILE = "policies/suppressions.yaml";
const TYPE_NAME = "aws:rds/instance:Instance::database-primary";
const URN = "urn:pulumi:prod::envstack::aws:rds/instance:Instance::database-primary";

const entry = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  policy: "database-backup-retention",
  stack: "prod",
  resource: TYPE_NAME,
  reason: "Restored from a snapshot; retention raised next window.",
  owner: "@dba-team",
  expires: "2026-12-31",
  ...extra,
});

/** The errors a list of entries gives, as `key: expected …, found …`. */
function errorsOf(entries: unknown, on = ON): string[] {
  return parseSuppressions(FILE, { suppressions: entries }, on).errors.map((e) =>
    e.message.slice(`${FILE}: `.length),
  );
}

const parsed = (extra: Record<string, unknown> = {}): Suppression => {
  const r = parseSuppressions(FILE, { suppressions: [entry(extra)] }, ON);
  expect(r.errors).toEqual([]);
  return r.entries[0]!;
};

describe("expiry", () => {
  it("runs to the same day a year ahead, inclusive", () => {
    expect(latestExpiry("2026-03-15")).toBe("2027-03-15");
    expect(latestExpiry("2026-12-31")).toBe("2027-12-31");
    // No 29 February next year: the day after 28 February.
    expect(latestExpiry("2028-02-29")).toBe("2029-03-01");
    expect(errorsOf([entry({ expires: "2027-03-15" })])).toEqual([]);
    expect(errorsOf([entry({ expires: "2027-03-16" })])).toEqual([
      'suppressions[0].expires: expected an expiry at most one year ahead (on or before 2027-03-15), found string "2027-03-16"',
    ]);
  });

  it.each(["2026-02-30", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026-01-01x", ""])(
    "refuses %j as a date",
    (date) => {
      expect(errorsOf([entry({ expires: date })])).toEqual([
        `suppressions[0].expires: expected an expiry date written YYYY-MM-DD, found string ${JSON.stringify(date)}`,
      ]);
    },
  );

  it("is in force through its last day and expired the day after", () => {
    const s = parsed({ expires: "2026-06-30" });
    expect(isExpired(s, "2026-06-29")).toBe(false);
    expect(isExpired(s, "2026-06-30")).toBe(false);
    expect(isExpired(s, "2026-07-01")).toBe(true);
    expect(today()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(today()).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe("what an entry names", () => {
  it("names one resource exactly: no wildcard or pattern character", () => {
    for (const c of ["*", "?", "[", "]", "(", ")", "|", "^", "+", "{", "}", "\\"]) {
      expect(errorsOf([entry({ resource: `${TYPE_NAME}${c}` })])).toEqual([
        `suppressions[0].resource: expected one resource named exactly (no wildcards or patterns), found string ${JSON.stringify(`${TYPE_NAME}${c}`)}`,
      ]);
      expect(errorsOf([entry({ attribute: `database.${c}` })])).toEqual([
        `suppressions[0].attribute: expected one attribute named exactly (no wildcards or patterns), found string ${JSON.stringify(`database.${c}`)}`,
      ]);
    }
  });

  it.each([
    "database-primary",
    "aws:rds::database-primary",
    "rds/instance:Instance::database-primary",
    "::database-primary",
    "aws:rds/instance:Instance::",
  ])("refuses %j as a resource", (resource) => {
    const errors = errorsOf([entry({ resource, stack: "prod" })]);
    expect(errors[0]).toBe(
      `suppressions[0].resource: expected a resource URN or <type>::<name>, found string ${JSON.stringify(resource)}`,
    );
  });

  it("takes a URN, whose stack it applies in, or <type>::<name> with a stack", () => {
    expect(stackOf(parsed({ resource: URN, stack: undefined }))).toBe("prod");
    expect(stackOf(parsed({ resource: URN.replace(":prod:", ":stage:"), stack: "stage" }))).toBe(
      "stage",
    );
    expect(stackOf(parsed({ stack: "dev" }))).toBe("dev");
    expect(stackOf(parsed({ resource: "pulumi:providers:aws::default", stack: "dev" }))).toBe(
      "dev",
    );
  });

  it("needs the stack of a <type>::<name>, and a URN's own stack if any", () => {
    expect(errorsOf([entry({ stack: undefined })])).toEqual([
      "suppressions[0].stack: expected the stack the resource is in (dev, stage, prod): <type>::<name> names a resource in every stack, found nothing (the key is missing)",
    ]);
    expect(errorsOf([entry({ resource: URN, stack: "stage" })])).toEqual([
      'suppressions[0].stack: expected "prod", the stack the resource\'s URN names (or no stack key), found string "stage"',
    ]);
    expect(errorsOf([entry({ stack: "qa" })])).toEqual([
      'suppressions[0].stack: expected one of dev, stage, prod, found string "qa"',
    ]);
  });

  it("refuses a policy name that is not one, a short reason, no owner", () => {
    expect(
      errorsOf([entry({ policy: "Database_Backup", reason: " too short           ", owner: " " })]),
    ).toEqual([
      'suppressions[0].policy: expected a policy name (kebab-case), found string "Database_Backup"',
      'suppressions[0].reason: expected a reason of at least 20 characters, found string " too short           "',
      'suppressions[0].owner: expected an owner (a team or @login), found string " "',
    ]);
  });

  it("names unknown keys, wrong types and entries that are not maps", () => {
    expect(errorsOf([entry({ resources: [TYPE_NAME], owner: 7 }), "x", null])).toEqual([
      "suppressions[0].owner: expected a string, found number 7",
      "suppressions[0].resources: expected one of policy, stack, resource, attribute, reason, owner, expires, found unknown key with a list of 1",
      'suppressions[1]: expected a map with policy, stack, resource, attribute, reason, owner, expires, found string "x"',
      "suppressions[2]: expected a map with policy, stack, resource, attribute, reason, owner, expires, found null",
    ]);
  });

  it("keeps the valid entries of a file with broken ones: only those suppress", () => {
    const r = parseSuppressions(FILE, { suppressions: [entry(), entry({ owner: "" })] }, ON);
    expect(r.entries).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(r.file).toBe(FILE);
  });

  it("wants a list under the suppressions key", () => {
    for (const [root, found] of [
      [[entry()], "nothing (the key is missing)"],
      [{}, "nothing (the key is missing)"],
      [{ suppressions: {} }, "a map"],
      [{ suppressions: "none" }, 'string "none"'],
      [null, "null"],
      [3, "number 3"],
    ] as const) {
      expect(parseSuppressions(FILE, root, ON)).toEqual({
        file: FILE,
        entries: [],
        errors: [
          expect.objectContaining({
            message: `${FILE}: suppressions: expected a list of suppressions, found ${found}`,
          }),
        ],
      });
    }
  });
});

describe("which violation an entry waives", () => {
  const byName = parsed();
  const byUrn = parsed({ resource: URN, stack: undefined });
  const target = {
    stack: "prod",
    urn: URN,
    type: "aws:rds/instance:Instance",
    name: "database-primary",
  };

  it("the same resource, by URN or by type and name, in its stack", () => {
    expect(namesViolation(byName, target)).toBe(true);
    expect(namesViolation(byUrn, target)).toBe(true);
    expect(namesViolation(byUrn, { stack: "prod", urn: URN })).toBe(true);
    expect(namesViolation(byName, { stack: "prod", urn: URN })).toBe(false);
    expect(namesViolation(byName, { ...target, stack: "stage" })).toBe(false);
    expect(namesViolation(byUrn, { ...target, stack: "stage" })).toBe(false);
    expect(namesViolation(byName, { ...target, name: "database-replica" })).toBe(false);
    expect(namesViolation(byName, { ...target, type: "aws:rds/cluster:Cluster" })).toBe(false);
    expect(namesViolation(byUrn, { ...target, urn: `${URN}-2` })).toBe(false);
    expect(namesViolation(byName, { stack: "prod" })).toBe(false);
  });

  it("an entry with an attribute waives that attribute only; one without, none", () => {
    const colour = parsed({ attribute: "database.instanceClass" });
    expect(namesViolation(colour, { ...target, attribute: "database.instanceClass" })).toBe(true);
    expect(namesViolation(colour, { ...target, attribute: "database.multiAz" })).toBe(false);
    expect(namesViolation(colour, target)).toBe(false);
    expect(namesViolation(byName, { ...target, attribute: "database.instanceClass" })).toBe(false);
  });

  it("remembers per stack which entries matched", () => {
    const s = parsed({ stack: "dev", owner: "@matched-test" });
    expect(hasMatched("dev", s)).toBe(false);
    recordMatch("dev", s);
    expect(hasMatched("dev", s)).toBe(true);
    expect(hasMatched("stage", s)).toBe(false);
    expect(hasMatched("dev", parsed({ stack: "dev" }))).toBe(false);
  });
});

describe("messages", () => {
  const s = parsed({ reason: "Restored from a snapshot; raised next window..." });

  it("says what a suppressed violation was, and reads it back", () => {
    const message = suppressedMessage(s, "Set backupRetentionPeriod to 7.");
    expect(message).toBe(
      "Suppressed (owner @dba-team, expires 2026-12-31): Restored from a snapshot; raised next window. Original: Set backupRetentionPeriod to 7.",
    );
    expect(parseSuppressedMessage(message)).toEqual({
      owner: "@dba-team",
      expires: "2026-12-31",
      reason: "Restored from a snapshot; raised next window",
      original: "Set backupRetentionPeriod to 7.",
    });
    expect(parseSuppressedMessage(`Checks whether x.\n${message}`)?.owner).toBe("@dba-team");
    expect(parseSuppressedMessage(`Not at the start: ${message}`)).toBeUndefined();
    expect(parseSuppressedMessage("Suppressed (owner x, expires soon): r. Original: y")).toBe(
      undefined,
    );
  });

  it("names the target by URN, or by type and name with its stack, and the attribute", () => {
    expect(describeTarget(s)).toBe(`${TYPE_NAME} in prod`);
    expect(describeTarget(parsed({ resource: URN, stack: undefined }))).toBe(URN);
    expect(describeTarget(parsed({ attribute: "database.multiAz" }))).toBe(
      `database.multiAz of ${TYPE_NAME} in prod`,
    );
  });

  it("asks to renew an expired entry and to remove a stale one", () => {
    expect(expiredMessage(s)).toBe(
      `Renew or remove the suppression for ${TYPE_NAME} in prod: it expired on 2026-12-31 (owner @dba-team), so the violation is enforced again.`,
    );
    expect(staleMessage(s, "suppressions.yaml: suppressions[0]")).toBe(
      `Remove the suppression of database-backup-retention for ${TYPE_NAME} in prod (suppressions.yaml: suppressions[0]): it matches no violation in prod, so it suppresses nothing.`,
    );
  });
});

describe("reading the file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-suppressions-"));
  const write = (name: string, text: string, secondsLater = 0) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    if (secondsLater > 0) {
      const t = new Date(fs.statSync(file).mtimeMs + secondsLater * 1000);
      fs.utimesSync(file, t, t);
    }
    return file;
  };
  const expires = latestExpiry(today());

  it("reports a missing file, a directory and broken YAML, suppressing nothing", () => {
    const missing = path.join(dir, "missing.yaml");
    expect(loadSuppressions(missing).errors.map((e) => e.message)).toEqual([
      `${missing}: (file): expected a readable suppressions file, found ENOENT`,
    ]);
    const asDir = loadSuppressions(dir);
    expect(asDir.entries).toEqual([]);
    expect(asDir.errors[0]!.message).toMatch(
      new RegExp(`^${dir}: \\(file\\): expected a readable suppressions file, found .*director`),
    );
    const broken = write("broken.yaml", "suppressions: [\n  - policy: x\n");
    const r = loadSuppressions(broken);
    expect(r.entries).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(
      new RegExp(`^${broken}: \\(document\\): expected valid YAML, found [A-Z_]+: [^\\n]+$`),
    );
  });

  it("reads the file again once it changed, and only then", () => {
    const file = write("s.yaml", JSON.stringify({ suppressions: [entry({ expires })] }));
    const first = loadSuppressions(file);
    expect(first.entries).toHaveLength(1);
    expect(loadSuppressions(file)).toBe(first);
    write("s.yaml", JSON.stringify({ suppressions: [] }), 5);
    expect(loadSuppressions(file).entries).toEqual([]);
  });
});
