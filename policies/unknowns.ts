import * as proxy from "@pulumi/policy/proxy";

/**
 * The SDK's unknown-value machinery. `@pulumi/policy` marks these internal (their declarations are
 * stripped) although the package exports them at runtime; this module gives them types once.
 */
interface ProxyRuntime {
  readonly UnknownValueError: new (sentinel: string, props: string[]) => Error;
  readonly unknownCheckingProxy: <T>(value: T) => T;
  readonly unknownBooleanValue: string;
  readonly unknownNumberValue: string;
  readonly unknownStringValue: string;
  readonly unknownArrayValue: string;
  readonly unknownObjectValue: string;
}

const runtime = proxy as unknown as ProxyRuntime;

export const UnknownValueError = runtime.UnknownValueError;
export const unknownCheckingProxy = runtime.unknownCheckingProxy;

/** The sentinels the engine sends for values computed during the update. */
export const UNKNOWN = {
  boolean: runtime.unknownBooleanValue,
  number: runtime.unknownNumberValue,
  string: runtime.unknownStringValue,
  array: runtime.unknownArrayValue,
  object: runtime.unknownObjectValue,
} as const;

export function isUnknownValueError(err: unknown): err is Error {
  return err instanceof UnknownValueError;
}
