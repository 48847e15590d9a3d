// One link of the process-batch chain: keep up to `concurrency` items of one execution in
// flight, refilling a slot as soon as an item finishes (not in lock-step waves), until the
// claim window of the wall-clock budget closes; then hand the execution to the next link
// (pg_net, enqueued in SQL) and let the items already claimed finish. Everything a link does
// is idempotent: a duplicate link only finds nothing to claim.
import { log } from "../core/log.ts";
import { decryptApiKey } from "../secrets/secrets.ts";
import { type ClientKey, loadClientKey } from "./client-key.ts";
import {
  chainNextLink,
  type Claim,
  type ClaimedItem,
  claimItems,
  failItem,
  failItemModelUnavailable,
  type Job,
  loadJob,
  loadModelStatus,
} from "./ledger.ts";
import { enqueueSuccessor, successorWaitMs } from "./handoff.ts";
import { type ItemContext, processItem } from "./process-item.ts";
import { ProgressPublisher } from "./progress.ts";
import { reconcileStorage } from "./reconcile.ts";
import { type LinkReferences, loadReferences } from "./references.ts";
import { type LinkSettings, linkSettings, linkSlots } from "./settings.ts";
import { waitForSlot, wakeWaiters } from "./waitlist.ts";

export interface LinkReport {
  executionId: string;
  claimed: number;
  /** Items this link keeps in flight at most (the memory budget may make it < concurrency). */
  slots: number;
  /** Whether it asked for a helper link to share the execution's concurrency. */
  helperKicked: boolean;
  stoppedBecause: string;
  handedOff: boolean;
  /** Whether the successor was asked for before the claim window closed (overlapped). */
  handedOffEarly: boolean;
  /** Of `claimed`, the items claimed in the call that completed the slot's previous item. */
  claimedWithCompletion: number;
  ms: number;
  /** Decoded bytes of the reference images this link holds, and the Storage GETs they took. */
  referenceBytes?: number;
  referenceDownloads?: number;
}

/** While taking over from a predecessor, look for freed slots this often. */
const TAKEOVER_POLL_MS = 100;
/** Capped by the client or the global fair share while running: look for capacity this often. */
const CAPPED_POLL_MS = 100;
/** At the client's whole share, completions claim their own successors: the loop's poll. */
const AT_SHARE_POLL_MS = 2000;

async function apiKeyFor(job: Job, clientKey: ClientKey | null): Promise<string> {
  if (!job.model) throw new Error("The workflow has no model configured");
  if (job.uses_client_api_key && !job.api_key_ciphertext && clientKey) return clientKey.apiKey;
  if (job.uses_client_api_key) {
    if (!job.api_key_ciphertext) throw new Error("The execution's Gemini API key is missing");
    try {
      return await decryptApiKey(job.api_key_ciphertext, job.execution_id);
    } catch {
      throw new Error("The execution's Gemini API key cannot be decrypted");
    }
  }
  const key = Deno.env.get("GEMINI_API_KEY");
  if (!key) throw new Error("The platform has no Gemini API key configured (GEMINI_API_KEY)");
  return key;
}

/** Resolves on the next item completion (or one that happened since the last wait), or after ms. */
class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  wake(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.#pending && ms > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#resolve = resolve;
        if (Number.isFinite(ms)) timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.#resolve = undefined;
    }
    this.#pending = false;
  }
}

export async function runLink(
  executionId: string,
  settings: LinkSettings = linkSettings(),
): Promise<LinkReport> {
  const started = Date.now();
  const claimUntil = started + settings.budgetMs - settings.claimStopMs;
  const report: LinkReport = {
    executionId,
    claimed: 0,
    slots: 0,
    helperKicked: false,
    stoppedBecause: "",
    handedOff: false,
    handedOffEarly: false,
    claimedWithCompletion: 0,
    ms: 0,
  };
  const job = await loadJob(executionId);
  if (!job) {
    report.stoppedBecause = "missing";
    return report;
  }

  let apiKey = "";
  let setupProblem: string | null = null;
  // The catalogue says the run's model is gone (retired since the run started): calling
  // Google would only collect 404s. Asked again after every backoff wait, when time passed.
  let modelGone = job.model_unavailable;
  // The client's stored key, for a run on the client's key that brought none of its own.
  let clientKey: ClientKey | null = null;
  try {
    if (job.uses_client_api_key && !job.api_key_ciphertext) {
      clientKey = await loadClientKey(executionId);
    }
    apiKey = await apiKeyFor(job, clientKey);
  } catch (err) {
    setupProblem = (err as Error).message;
  }

  // Reference images: fetched once for the whole link (not per prompt), when its first claim
  // brings items (a duplicate or queued link fetches nothing), and kept until it ends. Their
  // stored size is known before (the job reads it), so the slots count them from the start.
  // If Storage cannot give them, claimed items fail transiently (their attempts and backoff
  // bound the cost) and a later link tries again.
  let references: LinkReferences | null = null;
  let referencesProblem: string | null = null;
  const ensureReferences = async () => {
    if (references || referencesProblem || job.reference_images.length === 0) return;
    try {
      references = await loadReferences(job);
      report.referenceDownloads = references.downloads;
    } catch (err) {
      referencesProblem = `Could not read the reference images: ${(err as Error).message}`;
    }
  };
  report.referenceBytes = job.reference_bytes ?? 0;

  // Trade-off: a 2K image costs a link ~17 MB while in flight, so a link holding the whole
  // execution's concurrency (10 by default) would pass Supabase's 256 MB per worker. A link
  // keeps at most what its memory budget allows and, when that is below the execution's
  // concurrency, asks once for a helper link (another worker, its own 256 MB): the claim SQL
  // counts slots per execution, so the links share them. The price is one more invocation per
  // helper and its start-up latency (a pg_net hop, ~100 ms) before it fills its slots.
  const slots = linkSlots(settings, job.concurrency, job.image_size, job.reference_bytes ?? 0);
  report.slots = slots;
  const inFlight = new Map<string, Promise<void>>();
  const wakeup = new Wakeup();
  // Live progress (Realtime): coalesced messages, published beside the items' transactions.
  const progress = new ProgressPublisher(executionId);
  let leaseMs = 180_000;
  let finalisedHere = false;
  let fatal = false;
  let reconcileNeeded = false;
  let backingOff = false;
  // Until when a predecessor may still hold slots it is handing over to this link (0: not
  // asked yet). Asked once, the first time every slot of the execution is held elsewhere.
  let takeoverUntil = 0;
  let earlyHandoffTried = false;
  // While the loop claims, a slot that frees asks for its next item in the completing call
  // (one transaction instead of two, no wait for the loop); the loop claims what that missed.
  let claiming = true;
  // The last claim found nothing queued: completions stop asking (retries that come back are
  // claimed by the loop, which still claims on every wake).
  let nothingQueued = false;
  // While capped with items in flight, the loop claims no sooner than this (0: at once).
  let cappedPollAt = 0;
  // Capped at the client's whole share with items in flight whose completions claim their own
  // successors: the loop polls only every AT_SHARE_POLL_MS, or when a completion says so.
  let parkedAtShare = false;
  // Items settled so far (a completion, failure or crash): tells the loop whether one settled
  // while it was claiming.
  let settled = 0;
  const claimWithCompletion = () =>
    claiming && !nothingQueued && !fatal && !modelGone && !setupProblem && !referencesProblem &&
      Date.now() < claimUntil
      ? 1
      : 0;
  const contextFor = (claim: Claim): ItemContext => {
    leaseMs = (claim.lease_seconds ?? 180) * 1000;
    return {
      job,
      apiKey,
      clientKey,
      settings,
      leaseMs,
      references: (references as LinkReferences | null)?.images ?? [],
      modelGone: () => modelGone,
      claimWithCompletion,
    };
  };

  // Whether a predecessor is handing this execution over (its items are this link's to take).
  const handingOver = async () => {
    if (takeoverUntil === 0) {
      const left = await successorWaitMs(executionId, settings.claimStopMs).catch(() => 0);
      takeoverUntil = Date.now() + left;
    }
    return Date.now() < takeoverUntil;
  };

  const start = (item: ClaimedItem, ctx: ItemContext) => {
    const work = modelGone
      ? failItemModelUnavailable(item, modelGone).then((o) => ({ ...o, fatal: true }))
      : setupProblem
      // Nothing can succeed without a key or model: one fatal outcome fails the whole run.
      ? failItem(item, "fatal", setupProblem).then((o) => ({ ...o, fatal: true }))
      : referencesProblem
      ? failItem(item, "transient", referencesProblem).then((o) => ({ ...o, fatal: false }))
      : processItem(item, ctx);
    const tracked = work
      .then((outcome) => {
        settled++;
        if (outcome.finalised) finalisedHere = true;
        if (outcome.fatal) fatal = true;
        const next = "next" in outcome ? outcome.next : undefined;
        if (next) nothingQueued = next.state !== "active" || next.pending === 0;
        // A slot freed without a claim in its call (failure, retry, claim error): the loop
        // claims for it at once.
        if (!next) cappedPollAt = 0;
        // Parked at the client's share: a completion that could not claim, or whose claim
        // finds the client below its share now, has the loop claim again.
        if (parkedAtShare && (!next || next.state !== "active" || !next.at_share)) {
          parkedAtShare = false;
          cappedPollAt = 0;
        }
        if (next?.state === "active" && next.items.length > 0) {
          const nextCtx = contextFor(next);
          for (const claimed of next.items) start(claimed, nextCtx);
          report.claimed += next.items.length;
          report.claimedWithCompletion += next.items.length;
        }
      })
      .catch((err) => {
        settled++;
        log("error", "batch item crashed", { item_id: item.id, error: String(err) });
      })
      .finally(() => {
        inFlight.delete(item.id);
        progress.touch();
        wakeup.wake();
      });
    inFlight.set(item.id, tracked);
  };

  while (!fatal) {
    if (Date.now() >= claimUntil) {
      report.stoppedBecause = "budget";
      break;
    }
    if (!earlyHandoffTried && Date.now() >= claimUntil - settings.handoffLeadMs) {
      // Overlap the pg_net hop with the rest of this claim window (see handoff.ts). Nothing
      // pending right now: the usual hand-off at the end of the window tries again.
      earlyHandoffTried = true;
      report.handedOff = await enqueueSuccessor(executionId, claimUntil - Date.now()).catch(
        (err) => {
          log("warn", "could not enqueue the next link early", { error: String(err) });
          return false;
        },
      );
      report.handedOffEarly = report.handedOff;
    }
    const free = slots - inFlight.size;
    let waitMs = Infinity;
    const pollInMs = cappedPollAt - Date.now();
    if (free > 0 && pollInMs > 0) {
      // Capped (client cap or fair share) while holding items whose completions claim their
      // own successors: the loop only polls for capacity freed elsewhere.
      waitMs = pollInMs;
    } else if (free > 0) {
      cappedPollAt = 0;
      parkedAtShare = false;
      const settledAtClaim = settled;
      const claim = await claimItems(executionId, free);
      nothingQueued = claim.state !== "active" || claim.pending === 0;
      if (claim.state !== "active") {
        report.stoppedBecause = claim.state;
        reconcileNeeded = claim.state === "finished" ||
          (claim.finalised === true && claim.reconciled === false);
        break;
      }
      if (claim.items.length > 0 && !setupProblem && !modelGone) await ensureReferences();
      const ctx = contextFor(claim);
      for (const item of claim.items) start(item, ctx);
      report.claimed += claim.items.length;
      if (claim.items.length > 0) progress.touch();
      if (
        slots < job.concurrency && !report.helperKicked && claim.items.length > 0 &&
        inFlight.size >= slots && (claim.pending ?? 0) > 0 && !claim.capped_by &&
        (claim.in_flight ?? 0) < job.concurrency
      ) {
        // Full, and the execution has slots and work left for another link (which does the
        // same once it is full: links fan out until the execution's concurrency is used).
        report.helperKicked = true;
        await chainNextLink(executionId).catch((err) =>
          log("warn", "could not enqueue a helper link", { error: String(err) })
        );
      }
      if (claim.items.length < free) {
        if (claim.capped_by === "execution" && (claim.pending ?? 0) > 0 && takeoverUntil === 0) {
          const left = await successorWaitMs(executionId, settings.claimStopMs).catch(() => 0);
          takeoverUntil = Date.now() + left;
        }
        if (claim.capped_by === "execution" && Date.now() < takeoverUntil) {
          // A predecessor is handing its slots over: take each one as soon as it frees.
          waitMs = TAKEOVER_POLL_MS;
        } else if (claim.pending === 0 || claim.capped_by === "execution") {
          // Nothing queued, or other links hold the execution's slots and refill them.
          if (inFlight.size === 0) {
            report.stoppedBecause = claim.pending === 0 ? "drained" : "owned-by-another-link";
            break;
          }
        } else if (
          claim.capped_by && inFlight.size === 0 && claim.at_share && (claim.in_flight ?? 0) > 0 &&
          !(await handingOver())
        ) {
          // A helper link whose client holds its whole share, the execution's items held by
          // another link (which refills them): nothing here to wait for. It polled every
          // 100 ms until its budget ended (bench/fleet.ts: one wait_for_batch_slot per item).
          report.stoppedBecause = "owned-by-another-link";
          break;
        } else if (claim.capped_by && inFlight.size === 0) {
          // A queued execution (client cap or fair share of the global one, nothing held):
          // one link per queued run polling under the claim locks was the cost of a flood.
          // It waits in the client's list instead, and the claim that frees a slot kicks it.
          const verdict = await waitForSlot(executionId);
          if (verdict === "queued" || verdict === "done") {
            report.stoppedBecause = verdict === "queued" ? "queued" : "drained";
            break;
          }
          // 'retry': a slot freed meanwhile; 'poll': a predecessor still holds its items.
          waitMs = verdict === "retry" ? 0 : 100;
        } else if (claim.at_share && inFlight.size > 0) {
          // The client holds its whole share of the global cap (or its cap): only its own
          // completions free a slot for it, and each one refills its slot in its call (or, if
          // it could not, wakes this loop to claim). Polling here every 100 ms, under the
          // global claim lock, was most of the claims of 50 clients at a share of 2
          // (bench/fleet.ts). A completion's claim that finds the client below its share
          // (fewer active clients) wakes the loop to claim the rest.
          // Parked only if no item settled since this claim (its slot would go unclaimed), and
          // for AT_SHARE_POLL_MS at most (a share that grew without a completion telling).
          if (claimWithCompletion() > 0 && settled === settledAtClaim) {
            parkedAtShare = true;
            cappedPollAt = Date.now() + AT_SHARE_POLL_MS;
          }
        } else if (claim.capped_by) {
          // Capped while running below its share (the global cap is full): poll for a freed slot. A claim is one short transaction,
          // and links that hold items are bounded by the caps themselves. A completion
          // refills its own slot in its call; without that, every completion's wake-up
          // would also send a claim the cap refuses (a second claim per item, each under
          // the client and global locks).
          waitMs = CAPPED_POLL_MS;
          if (claimWithCompletion() > 0) cappedPollAt = Date.now() + CAPPED_POLL_MS;
        } else {
          waitMs = Math.max(claim.next_due_in_ms ?? 1000, 10); // retries not yet due
          backingOff = true;
        }
      }
    }
    const nextDeadline = earlyHandoffTried ? claimUntil : claimUntil - settings.handoffLeadMs;
    await wakeup.wait(Math.min(waitMs, Math.max(nextDeadline - Date.now(), 0)));
    if (backingOff && !modelGone) {
      backingOff = false;
      modelGone = (await loadModelStatus(executionId).catch(() => null))?.model_unavailable ??
        null;
    }
  }

  claiming = false;

  if (report.stoppedBecause === "budget" && !report.handedOff) {
    // Hand over once a slot is free, so the next link can start claiming at once.
    if (inFlight.size >= slots) await wakeup.wait(Infinity);
    try {
      report.handedOff = (await chainNextLink(executionId)) !== null;
    } catch (err) {
      log("error", "could not enqueue the next link; the sweep will", { error: String(err) });
    }
  }
  if (fatal && !report.stoppedBecause) report.stoppedBecause = "fatal";
  // Items claimed with a completion join inFlight while we wait: wait until none is left.
  while (inFlight.size > 0) await Promise.all(inFlight.values());
  await progress.flush();
  // Slots this link's last items freed without a claim after them (budget, fatal, cancelled)
  // go to waiting executions now rather than at the sweep's next pass.
  if (report.claimed > 0) {
    await wakeWaiters(job.client_id).catch((err) =>
      log("warn", "could not wake waiting executions; the sweep will", { error: String(err) })
    );
  }

  if (finalisedHere || reconcileNeeded) {
    try {
      const removed = await reconcileStorage(executionId);
      if (removed > 0) {
        log("info", "removed orphan objects", { execution_id: executionId, removed });
      }
    } catch (err) {
      log("warn", "orphan check failed; the sweep will ask again", { error: String(err) });
    }
  }
  report.ms = Date.now() - started;
  log("info", "batch link done", { ...report });
  return report;
}
