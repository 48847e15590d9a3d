// One leased ledger item: generate, upload under the name recorded at claim time, commit with
// the lease token. Never throws: every outcome is written to the ledger, and if even that
// fails the lease runs out and the item is claimed again.
import { generateImage, type ReferenceImageBytes } from "../gemini/gemini.ts";
import { log } from "../core/log.ts";
import { extensionFor, removeResults, resultExtensions, uploadResult } from "../storage/results.ts";
import {
  type Claim,
  type ClaimedItem,
  completeItem,
  completeItemAndClaim,
  failItem,
  failItemModelUnavailable,
  type Job,
  type Outcome,
} from "./ledger.ts";
import type { LinkSettings } from "./settings.ts";
import { type ClientKey, reportRejectedClientKey } from "./client-key.ts";

export interface ItemContext {
  job: Job;
  apiKey: string;
  /** Set when apiKey is the client's stored key (Google's refusal then marks it rejected). */
  clientKey?: ClientKey | null;
  settings: LinkSettings;
  leaseMs: number;
  /** The run's reference images, fetched once by the link and shared by every call. */
  references?: ReferenceImageBytes[];
  /** Why the run's model is gone, if the link learnt it while this item was in flight. */
  modelGone?: () => string | null;
  /** How many items the link wants claimed along with this item's completion (0: none). */
  claimWithCompletion?: () => number;
}

function stemVariants(stem: string): string[] {
  return resultExtensions.map((ext) => `${stem}.${ext}`);
}

type Recorded = Outcome & {
  unknown?: boolean;
  fatal?: boolean;
  /** Items claimed in the completing call, for the link to start (see claimWithCompletion). */
  next?: Claim;
};

async function record(
  item: ClaimedItem,
  write: () => Promise<Outcome>,
): Promise<Recorded> {
  try {
    return await write();
  } catch (err) {
    log("error", "batch item outcome not recorded; its lease will expire", {
      item_id: item.id,
      error: String(err),
    });
    // Unknown, not refused: the write may have committed before the connection broke.
    return { committed: false, unknown: true };
  }
}

export async function processItem(item: ClaimedItem, ctx: ItemContext): Promise<Recorded> {
  const claimedAt = Date.now();
  const { job } = ctx;
  if (item.stale_stem) {
    // A previous attempt died after choosing this name: remove what it may have stored.
    await removeResults(stemVariants(item.stale_stem)).catch((err) =>
      log("warn", "could not remove a stale attempt's object", { error: String(err) })
    );
  }

  const result = await generateImage({
    apiKey: ctx.apiKey,
    model: job.model ?? "",
    prompt: item.prompt,
    referenceImages: ctx.references ?? [],
    aspectRatio: job.aspect_ratio ?? undefined,
    imageSize: job.image_size ?? undefined,
    timeoutMs: ctx.settings.generateTimeoutMs,
  });
  const gone = !result.ok && result.kind === "transient" ? ctx.modelGone?.() : null;
  if (!result.ok && (gone || (result.kind === "fatal" && result.code === "model_unavailable"))) {
    // A retry would only wait for a model that is not coming back.
    const message = gone || result.message;
    const outcome = await record(item, () => failItemModelUnavailable(item, message));
    return { ...outcome, fatal: true };
  }
  if (!result.ok) {
    const outcome = await record(
      item,
      () =>
        failItem(
          item,
          result.kind,
          result.message,
          result.kind === "transient" ? result.retryAfterMs : undefined,
        ),
    );
    if (result.kind === "fatal" && result.code === "api_key_rejected" && ctx.clientKey) {
      await reportRejectedClientKey(ctx.clientKey, result.message);
    }
    return { ...outcome, fatal: result.kind === "fatal" };
  }

  const ext = extensionFor(result.mimeType);
  if (!ext) {
    return await record(
      item,
      () =>
        failItem(
          item,
          "permanent",
          `Gemini returned an unsupported image type (${result.mimeType})`,
        ),
    );
  }
  // Upload only while no one can have taken the item over: a re-claimer cleans this name up
  // when it starts, so an upload after the lease end could outlive that cleanup.
  // With short leases (tests, tuning) the upload gets at most half of the lease.
  const uploadTimeoutMs = Math.min(ctx.settings.uploadTimeoutMs, Math.floor(ctx.leaseMs / 2));
  if (Date.now() - claimedAt + uploadTimeoutMs >= ctx.leaseMs) {
    return await record(
      item,
      () => failItem(item, "transient", "Generation outlasted the item's lease; retrying"),
    );
  }

  const path = `${item.storage_stem}.${ext}`;
  try {
    await uploadResult(path, result.bytes, result.mimeType, uploadTimeoutMs);
  } catch (err) {
    await removeResults([path]).catch(() => {});
    return await record(
      item,
      () => failItem(item, "transient", `Could not store the image: ${(err as Error).message}`),
    );
  }

  const along = ctx.claimWithCompletion?.() ?? 0;
  const outcome = await record(
    item,
    () =>
      along > 0
        ? completeItemAndClaim(item, path, Date.now() - claimedAt, along).then((o) => {
          if (o.claim_error) {
            log("warn", "claim with the completion failed; the link claims", {
              item_id: item.id,
              error: o.claim_error,
            });
          }
          return o;
        })
        : completeItem(item, path, Date.now() - claimedAt),
  );
  if (!outcome.committed && !outcome.unknown) {
    // Our lease was taken over (or the commit failed): this object must not stay behind.
    await removeResults([path]).catch((err) =>
      log("warn", "could not remove an uncommitted upload", { path, error: String(err) })
    );
  }
  return outcome;
}
