// A prompt `setImmediate` for npm code on Deno 2.1, the minor the hosted Edge Runtime runs.
// There, node's setImmediate (which npm packages see) is a timer of at least 1 ms, and
// postgres.js hands every statement to setImmediate before writing it to the socket (to batch
// the messages of one tick): each statement waited ~1.2 ms before it was even sent, ~5 ms on a
// four-statement request transaction (measured: `select 1` p50 1.65 ms on Deno 2.1.10 vs
// 0.21 ms on 2.9.6; the transaction of a request 8.6 ms vs 1.1 ms; the same with this shim
// 1.1 ms). Deno releases whose user code sees a global setImmediate already have a fast one, so
// the shim installs only where it is missing.
//
// Callbacks run as microtasks, after the synchronous code that scheduled them (so writes of one
// tick are still batched). A run of microtask immediates is capped per macrotask turn: past
// MAX_STREAK they fall back to a 0 ms timer, so a loop that yields through setImmediate
// cannot starve I/O.
type Callback = (...args: unknown[]) => void;

interface Handle {
  cancelled: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

const MAX_STREAK = 64;

let streak = 0;
let resetQueued = false;

export function setImmediateShim(fn: Callback, ...args: unknown[]): Handle {
  const handle: Handle = { cancelled: false };
  const run = () => {
    if (!handle.cancelled) fn(...args);
  };
  if (streak < MAX_STREAK) {
    streak++;
    if (!resetQueued) {
      resetQueued = true;
      setTimeout(() => {
        streak = 0;
        resetQueued = false;
      }, 0);
    }
    queueMicrotask(run);
  } else {
    handle.timer = setTimeout(run, 0);
  }
  return handle;
}

export function clearImmediateShim(handle: Handle | null | undefined): void {
  if (!handle) return;
  handle.cancelled = true;
  if (handle.timer !== undefined) clearTimeout(handle.timer);
}

/** Installs the shim unless the runtime already gives user code a setImmediate. */
export function installPromptImmediate(): boolean {
  const scope = globalThis as unknown as Record<string, unknown>;
  if (typeof scope.setImmediate === "function") return false;
  scope.setImmediate = setImmediateShim;
  scope.clearImmediate = clearImmediateShim;
  return true;
}
