// Live progress from a process-batch link: after its claims and item outcomes the link asks
// the database to publish a coalesced progress message (private.publish_execution_progress
// decides whether something changed and enforces the rate bound across every link of the
// execution). Each call is its own short transaction, off the items' path; a failure is logged
// and left to the pg_cron flush. The finished event needs no call: the finalising
// transaction sends it.
import { log } from "../core/log.ts";
import { publishProgress } from "./ledger.ts";

/** A publisher still holding the row: try again this soon. */
const BUSY_RETRY_MS = 50;

export class ProgressPublisher {
  #dirty = false;
  #running: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done = false;
  /** Date.now() before which the rate bound refuses a message (told by the last sent one). */
  #notBefore = 0;

  constructor(readonly executionId: string) {}

  /** Something changed (a claim, an outcome): publish now or as soon as the bound allows. */
  touch(): void {
    if (this.#done) return;
    this.#dirty = true;
    if (this.#running || this.#timer !== undefined) return;
    const waitMs = this.#notBefore - Date.now();
    if (waitMs > 0) this.#later(waitMs);
    else this.#run();
  }

  #later(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty && !this.#running) this.#run();
    }, ms);
  }

  #run(): void {
    this.#running = this.#publish().finally(() => this.#running = null);
  }

  async #publish(): Promise<void> {
    this.#dirty = false;
    let retryMs: number | null = null;
    try {
      const result = await publishProgress(this.executionId);
      if (result.finished || result.missing || result.disabled) {
        this.#done = true;
        return;
      }
      if (result.sent && typeof result.next_in_ms === "number") {
        this.#notBefore = Date.now() + result.next_in_ms;
      }
      if (typeof result.retry_in_ms === "number") {
        this.#dirty = true;
        retryMs = Math.max(result.retry_in_ms, 1);
      } else if (result.more) {
        this.#dirty = true;
        retryMs = BUSY_RETRY_MS;
      }
    } catch (err) {
      log("warn", "progress not published; the flush job will", {
        execution_id: this.executionId,
        error: String(err),
      });
      return;
    }
    if (this.#dirty && !this.#done) {
      this.#later(Math.max(retryMs ?? 0, this.#notBefore - Date.now(), 0));
    }
  }

  /** Waits until what this link changed has been published (or handed to the flush job). */
  async flush(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#done && Date.now() < deadline && (this.#dirty || this.#running)) {
      if (this.#running) await this.#running;
      else if (this.#timer === undefined) this.#run();
      else await new Promise((r) => setTimeout(r, 10));
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#done = true;
  }
}
