import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  expectProp,
  fsbp,
  isRecord,
  isReplica,
  isSet,
  isTrue,
  isUnknown,
  ofType,
  packDir,
  packPath,
  parseJson,
  parseUrn,
  read,
  scorecard,
  show,
  toEnforcement,
  toNumber,
  whenKnown,
  type Report,
} from "../../policies/support";
import { UNKNOWN, unknownCheckingProxy } from "../../policies/unknowns";
import { ROOT } from "../cli/helpers";

/** Props as the SDK hands them to a policy: behind the unknown-checking proxy. */
const props = (value: Record<string, unknown>) => unknownCheckingProxy(value) as unknown;

function reports(run: (report: Report) => void) {
  const out: { message: string; options?: Parameters<Report>[1] }[] = [];
  run((message, options) => out.push(options === undefined ? { message } : { message, options }));
  return out;
}

describe("reading props", () => {
  const p = props({
    a: { b: [1, { c: "x" }] },
    pending: UNKNOWN.string,
    nested: { d: UNKNOWN.object },
  });

  it("reads a dotted path, absent parts as undefined", () => {
    expect(read(p, "a.b.1.c")).toEqual({ known: true, value: "x" });
    expect(read(p, "a.missing")).toEqual({ known: true, value: undefined });
    expect(read(p, "a.missing.deeper")).toEqual({ known: true, value: undefined });
  });

  it("reads an unknown value as not known, with the SDK's reason", () => {
    const r = read(p, "pending");
    expect(r.known).toBe(false);
    expect(isUnknown(r)).toBe(true);
    expect((r as { reason: string }).reason).not.toBe("");
    expect(read(p, "nested.d").known).toBe(false);
  });

  it("turns an unknown read inside a function into a returned Unknown, and rethrows others", () => {
    expect(whenKnown(() => 5)).toBe(5);
    const r = whenKnown(() => String((p as Record<string, unknown>)["pending"]));
    expect(isUnknown(r)).toBe(true);
    expect(() =>
      whenKnown(() => {
        throw new RangeError("other");
      }),
    ).toThrow("other");
    expect(() =>
      read(
        {
          get a(): unknown {
            throw new RangeError("getter");
          },
        },
        "a",
      ),
    ).toThrow("getter");
  });

  it("tells an Unknown from values that merely look like one", () => {
    expect(isUnknown({ known: false, reason: "r" })).toBe(true);
    expect(isUnknown({ known: false })).toBe(false);
    expect(isUnknown({ known: true, reason: "r" })).toBe(false);
    expect(isUnknown({ known: "false", reason: "r" })).toBe(false);
    expect(isUnknown(null)).toBe(false);
    expect(isUnknown("unknown")).toBe(false);
  });
});

describe("checking one property", () => {
  const p = props({ encrypted: true, pending: UNKNOWN.boolean });

  it("reports the message when the value fails, nothing when it passes", () => {
    expect(reports((r) => expectProp(r, p, "encrypted", (v) => v === true, "Encrypt it."))).toEqual(
      [],
    );
    expect(
      reports((r) => expectProp(r, p, "encrypted", (v) => v === false, "Decrypt it.")),
    ).toEqual([{ message: "Decrypt it." }]);
  });

  it("notes an unknown value as advisory by default, or lets it pass", () => {
    const noted = reports((r) => expectProp(r, p, "pending", () => false, "Fix it."));
    expect(noted).toHaveLength(1);
    expect(noted[0]!.message).toMatch(/^Cannot check pending during preview: .+\.$/);
    expect(noted[0]!.options).toEqual({ level: "advisory" });
    expect(reports((r) => expectProp(r, p, "pending", () => false, "Fix it.", "passes"))).toEqual(
      [],
    );
  });
});

describe("values", () => {
  it("shows strings bare, others as JSON, absent as nothing", () => {
    expect(show("x y")).toBe("x y");
    expect(show(3)).toBe("3");
    expect(show(false)).toBe("false");
    expect(show(["a", 1])).toBe('["a",1]');
    expect(show({ a: 1 })).toBe('{"a":1}');
    expect(show(undefined)).toBe("nothing");
    expect(show(null)).toBe("nothing");
    expect(show("")).toBe("");
  });

  it("parses JSON strings, passes other values through, and gives up quietly", () => {
    expect(parseJson('{"Statement":[]}')).toEqual({ Statement: [] });
    expect(parseJson("[1]")).toEqual([1]);
    const object = { a: 1 };
    expect(parseJson(object)).toBe(object);
    expect(parseJson(7)).toBe(7);
    expect(parseJson("{not json")).toBeUndefined();
  });

  it("knows a record from a list, null and scalars", () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord([])).toBe(false);
    expect(isRecord(null)).toBe(false);
    expect(isRecord("x")).toBe(false);
  });

  it("reads true and set as the engine may send them", () => {
    expect([true, "true", false, "false", 1, "TRUE", undefined].map(isTrue)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([undefined, null, "", "x", 0, false, []].map(isSet)).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  it("reads numbers from numbers and numeric strings only", () => {
    expect(toNumber(5)).toBe(5);
    expect(toNumber("7")).toBe(7);
    expect(toNumber(" 8 ")).toBe(8);
    expect(toNumber("")).toBeNaN();
    expect(toNumber("  ")).toBeNaN();
    expect(toNumber("x")).toBeNaN();
    expect(toNumber(true)).toBeNaN();
    expect(toNumber(null)).toBeNaN();
  });

  it("takes a database with a source, even one still unknown, as a replica", () => {
    expect(isReplica(props({ replicateSourceDb: "database-primary" }))).toBe(true);
    expect(isReplica(props({ replicateSourceDb: UNKNOWN.string }))).toBe(true);
    expect(isReplica(props({ replicateSourceDb: "" }))).toBe(false);
    expect(isReplica(props({}))).toBe(false);
  });
});

describe("URNs and resources", () => {
  it("reads stack, type and name from a URN, the last type of a parent chain", () => {
    expect(parseUrn("urn:pulumi:prod::envstack::aws:s3/bucket:Bucket::assets")).toEqual({
      stack: "prod",
      type: "aws:s3/bucket:Bucket",
      name: "assets",
    });
    expect(
      parseUrn("urn:pulumi:stage::envstack::envstack:aws:Network$aws:ec2/vpc:Vpc::net::vpc"),
    ).toEqual({ stack: "stage", type: "aws:ec2/vpc:Vpc", name: "net::vpc" });
    expect(parseUrn("urn:pulumi:prod::envstack::assets")).toBeUndefined();
    expect(parseUrn("urn:other:prod::envstack::aws:s3/bucket:Bucket::assets")).toBeUndefined();
  });

  it("picks resources of one type in declaration order", () => {
    const r = (type: string, name: string) => ({ type, name }) as never;
    const all = [r("a:b:C", "1"), r("x:y:Z", "2"), r("a:b:C", "3")];
    expect(ofType(all, "a:b:C").map((x: { name: string }) => x.name)).toEqual(["1", "3"]);
  });

  it("resolves pack paths against the pack directory, absolute ones as given", () => {
    expect(packDir()).toBe(path.join(ROOT, "policies"));
    expect(packPath("../Pulumi.prod.yaml")).toBe(path.join(ROOT, "Pulumi.prod.yaml"));
    expect(packPath("/tmp/x.yaml")).toBe("/tmp/x.yaml");
  });
});

describe("frameworks and levels", () => {
  it("names the frameworks with their versions", () => {
    expect(scorecard("Branch-Protection", "spec")).toEqual({
      name: "OpenSSF Scorecard",
      version: "5",
      reference: "Branch-Protection",
      specification: "spec",
    });
    expect(fsbp("RDS.5", "spec")).toEqual({
      name: "AWS Foundational Security Best Practices",
      version: "1.0.0",
      reference: "RDS.5",
      specification: "spec",
    });
    expect(toEnforcement("advisory")).toBe("advisory");
    expect(toEnforcement("disabled")).toBe("disabled");
  });
});
