import { Worker } from "node:worker_threads";

/** How long past a call's own limit the watchdog waits before it ends a stuck execution. */
export const WATCHDOG_GRACE_MS = 1_000;
/** How often the watchdog looks. */
const WATCHDOG_TICK_MS = 100;

// The watchdog's thread. It shares three counters with the gate's thread: calls begun or ended
// (any progress), calls in flight, and the calls' time limit. When calls are in flight and
// nothing has moved for longer than the limit plus the grace, the gate's thread is stuck in
// synchronous code (a timer there would have fired): the thread asks the inspector, connected to
// the main thread, to terminate the current execution (the Chrome DevTools Protocol's
// Runtime.terminateExecution, https://chromedevtools.github.io/devtools-protocol/tot/Runtime/#method-terminateExecution;
// a worker reaches the main thread's inspector with Session.connectToMainThread,
// https://nodejs.org/api/inspector.html#sessionconnecttomainthread). The stuck call's own timer
// then fails it, naming the call, as a call to a pack process fails.
const WORKER = `
const { workerData } = require("node:worker_threads");
const inspector = require("node:inspector");
const state = workerData.state;
const session = new inspector.Session();
session.connectToMainThread();
let seen = -1;
let since = Date.now();
setInterval(() => {
  const progress = Atomics.load(state, 0);
  if (progress !== seen || Atomics.load(state, 1) === 0) {
    seen = progress;
    since = Date.now();
    return;
  }
  if (Date.now() - since > Atomics.load(state, 2) + workerData.graceMs) {
    session.post("Runtime.terminateExecution");
    since = Date.now();
  }
}, workerData.tickMs);
`;

/**
 * Ends a call into code running on the gate's own thread (a policy judged in process) that is
 * stuck in a synchronous loop, which no timer on that thread can interrupt. Its thread starts
 * with `start` (so that it boots while the gate loads the SDK) or on the first call; it keeps
 * nothing alive.
 */
export class Watchdog {
  private readonly state = new Int32Array(new SharedArrayBuffer(3 * 4));
  private worker: Worker | undefined;

  begin(limitMs: number): void {
    this.start();
    Atomics.store(this.state, 2, limitMs);
    Atomics.add(this.state, 1, 1);
    Atomics.add(this.state, 0, 1);
  }

  end(): void {
    Atomics.sub(this.state, 1, 1);
    Atomics.add(this.state, 0, 1);
  }

  stop(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  start(): void {
    if (this.worker) return;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { state: this.state, graceMs: WATCHDOG_GRACE_MS, tickMs: WATCHDOG_TICK_MS },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    // A watchdog that cannot start (no inspector in this build of Node) leaves the time limits
    // to the timers, which end every call that is not stuck in a synchronous loop.
    this.worker.on("error", () => undefined);
  }
}
