// The two pieces of shared state upstream's pg_net worker sleeps on (src/worker.c):
// - a latch: WaitLatch(timeout) returns when it is set or the timeout passes, then resets it;
// - the should_wake flag: a committing transaction that called net.wake() sets it with a
//   compare-and-swap from 0 to 1 and sets the latch only when that swap succeeds, so while the
//   flag is already 1 (the worker is inside its busy loop) later commits do not wake it again:
//   their requests wait for the current 1 s pause to run out.

export class Latch {
  #set = false;
  #wakeUp: (() => void) | undefined;

  set(): void {
    this.#set = true;
    this.#wakeUp?.();
  }

  /** Waits until the latch is set or `ms` passes (Infinity: no timeout), then resets it. */
  async wait(ms: number): Promise<void> {
    if (!this.#set) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wakeUp = resolve;
        if (Number.isFinite(ms)) timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.#wakeUp = undefined;
    }
    this.#set = false;
  }
}

export class WakeFlag {
  // Upstream initialises should_wake to 1, so a starting worker looks at the queue once.
  #value = true;

  constructor(private readonly latch: Latch) {}

  /** A commit that called net.wake(): CAS 0 -> 1, and set the latch only if it succeeded. */
  commit(): void {
    if (this.#value) return;
    this.#value = true;
    this.latch.set();
  }

  /** The worker's CAS 1 -> 0 before a busy loop; false when nobody asked for a wake. */
  take(): boolean {
    if (!this.#value) return false;
    this.#value = false;
    return true;
  }

  /** A restarted worker starts with a wake pending (upstream's net_on_exit sets it). */
  force(): void {
    this.#value = true;
    this.latch.set();
  }
}
