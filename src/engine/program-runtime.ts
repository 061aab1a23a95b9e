/**
 * What the SDK does for every promise it tracks, and the gate turns off while programs run.
 *
 * `debuggablePromise` wraps each promise the runtime creates for a registration, an output or an
 * RPC: it formats a stack trace for it (`new Error().stack`), defines three properties on it, adds
 * it to a set of leak candidates and chains two more promises to take it out again, all for a
 * message printed at exit about promises still pending:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/runtime/debuggable.ts#L282-L335
 * The gate reads none of it: a run that cannot finish fails naming what it waits for
 * (runUnderMocks), and that message at exit would set the exit code to 1, the gate's code for a
 * mandatory violation. So while programs run the wrapper returns the promise itself. Stack traces
 * are off too (Error.stackTraceLimit 0), unless asked for (--verbose): besides that wrapper, the
 * SDK takes one for each registration to report errors with. The registrations' source positions
 * are kept: the SDK lifts the limit while it takes them (Resource.callsites):
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/resource.ts#L342-L380
 *
 * Returns what puts both back.
 */
export function quietProgramRuntime(keepStackTraces: boolean): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise?: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
  };
  const wrap = debuggable.debuggablePromise;
  const limit = Error.stackTraceLimit;
  if (typeof wrap === "function") debuggable.debuggablePromise = (p) => p;
  if (!keepStackTraces) Error.stackTraceLimit = 0;
  return () => {
    if (typeof wrap === "function") debuggable.debuggablePromise = wrap;
    Error.stackTraceLimit = limit;
  };
}
