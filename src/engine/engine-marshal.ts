import {
  specialOutputValueSig,
  specialResourceSig,
  specialSecretSig,
  specialSigKey,
  unknownValue,
} from "@pulumi/pulumi/runtime/rpc";

// What the engine hands a policy pack, from what the program sent it. The resource monitor keeps
// resource references, secrets, unknowns and output values when it reads a RegisterResource
// request:
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/deploy/source_eval.go#L2358-L2368
// Analyze, AnalyzeStack and the provider beside each resource then marshal the inputs with
// MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}, so
// KeepResources and KeepOutputValues are false:
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go#L306-L307
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go#L350-L351
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go#L771-L772
// MarshalPropertyValue under those options:
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/rpc.go#L94-L121
//   https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/rpc.go#L203-L263
// - a resource reference becomes its ID when it carries one (the unknown sentinel when that ID is
//   not known yet, as for a resource a preview would create), else its URN (a component);
// - an output value becomes its value, or the unknown sentinel, wrapped as a secret if secret;
// - secrets keep their signature; unknowns stay the unknown sentinel;
// - top-level keys starting with "__" are dropped (internal keys), nested ones kept.
// The pack's deserializer knows only assets, archives and secrets, and fails on any other
// signature; that is why references must not reach it as they left the program.

type Wire = Readonly<Record<string, unknown>>;

function secret(value: unknown): Wire {
  return { [specialSigKey]: specialSecretSig, value };
}

/** The ID of a reference as the engine read it: a string, or "" when unknown. */
function referenceId(id: unknown): string {
  if (typeof id === "string") return id === unknownValue ? "" : id;
  // A program that sends output values sends the ID as one; known only when it has a value.
  if (id && typeof id === "object" && (id as Wire)[specialSigKey] === specialOutputValueSig) {
    const value = (id as Wire)["value"];
    return typeof value === "string" ? value : "";
  }
  return "";
}

function analyzerValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(analyzerValue);
  if (!value || typeof value !== "object") return value;
  const object = value as Wire;
  switch (object[specialSigKey]) {
    case specialResourceSig: {
      if (!("id" in object)) return object["urn"];
      const id = referenceId(object["id"]);
      return id === "" ? unknownValue : id;
    }
    case specialOutputValueSig: {
      const inner = "value" in object ? analyzerValue(object["value"]) : unknownValue;
      return object["secret"] === true ? secret(inner) : inner;
    }
    case specialSecretSig:
      return secret(analyzerValue(object["value"]));
    case undefined:
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, analyzerValue(v)]));
    default:
      // Assets and archives: sent as they are.
      return object;
  }
}

/**
 * A resource's (or provider's) inputs as the engine sends them to Analyze and AnalyzeStack,
 * from the inputs as the program sent them to the engine (the RegisterResource Struct).
 */
export function analyzerProperties(wireInputs: Wire): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wireInputs)) {
    if (key.startsWith("__")) continue;
    out[key] = analyzerValue(value);
  }
  return out;
}
