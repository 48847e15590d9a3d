// The ledger steps of a process-batch link, each one call of a private.* SQL function in its
// own short transaction as service_role (the rules live in those functions; see the
// 2026112302xxxx migrations).
import { asService } from "../db/db.ts";

export interface ClaimedItem {
  id: string;
  batch_index: number;
  prompt: string;
  attempts: number;
  lease_token: string;
  /** Object name without extension this attempt uploads to. */
  storage_stem: string;
  /** Name a previous, unfinished attempt may have uploaded to (clean it first). */
  stale_stem: string | null;
}

export interface Claim {
  state:
    | "active"
    | "missing"
    | "finished"
    | "pending"
    | "processing"
    | "completed"
    | "failed"
    | "cancelled";
  items: ClaimedItem[];
  capped_by?: "execution" | "client" | "global" | null;
  /** The client holds its whole fair share of the global cap (or its cap), this claim included. */
  at_share?: boolean;
  pending?: number;
  in_flight?: number;
  next_due_in_ms?: number | null;
  lease_seconds?: number;
  max_attempts?: number;
  finalised?: boolean;
  reconciled?: boolean;
}

export interface Job {
  execution_id: string;
  client_id: string;
  status: string;
  /** The model the run snapshotted when it started (see private.execution_model). */
  model: string | null;
  /** Why the catalogue says that model cannot be called (unknown, retired), or null. */
  model_unavailable: string | null;
  workflow_type: string | null;
  concurrency: number;
  aspect_ratio: string | null;
  image_size: string | null;
  /** Stored references (fetched by the link once) or, from older clients, inline base64. */
  reference_images: ({ path: string; mime_type: string } | { mime_type: string; data: string })[];
  /** Decoded bytes of all reference images, as stored (the link's memory budget counts them). */
  reference_bytes?: number;
  uses_client_api_key: boolean;
  api_key_ciphertext: string | null;
  max_attempts: number;
}

export interface Outcome {
  committed: boolean;
  finalised?: boolean;
  status?: string;
}

async function call<T>(
  run: (tx: Parameters<Parameters<typeof asService>[0]>[0]) => Promise<{ r: T }[]>,
): Promise<T> {
  const [row] = await asService(run);
  return row.r;
}

export function loadJob(executionId: string): Promise<Job | null> {
  // The model (and whether it is still there) comes from the execution's own snapshot.
  return call<Job | null>((tx) =>
    tx`select private.execution_job(${executionId}) || private.execution_model(${executionId})
         || jsonb_build_object('reference_bytes', (
              select coalesce(sum(r.bytes), 0) from public.workflow_executions e,
                private.execution_references(e.input_data, e.client_id) r
              where e.id = ${executionId})) as r`
  );
}

export function claimItems(executionId: string, limit: number): Promise<Claim> {
  return call<Claim>((tx) => tx`select private.claim_batch_items(${executionId}, ${limit}) as r`);
}

export function completeItem(
  item: ClaimedItem,
  storagePath: string,
  processingTimeMs: number,
): Promise<Outcome> {
  return call<Outcome>((tx) =>
    tx`select private.complete_batch_item(${item.id}, ${item.lease_token}, ${storagePath},
         ${processingTimeMs}) as r`
  );
}

/** The completion, and the claim the link asked for with it (see complete_and_claim). */
export interface CompletionWithClaim extends Outcome {
  next?: Claim;
  claim_error?: string;
}

/**
 * Completes the item and, in the same transaction (a subtransaction that cannot undo the
 * completion), claims up to `claim` more items of its execution.
 */
export function completeItemAndClaim(
  item: ClaimedItem,
  storagePath: string,
  processingTimeMs: number,
  claim: number,
): Promise<CompletionWithClaim> {
  return call<CompletionWithClaim>((tx) =>
    tx`select private.complete_batch_item_and_claim(${item.id}, ${item.lease_token},
         ${storagePath}, ${processingTimeMs}, ${claim}) as r`
  );
}

export function failItem(
  item: ClaimedItem,
  kind: "transient" | "permanent" | "fatal",
  message: string,
  retryAfterMs?: number,
): Promise<Outcome> {
  return call<Outcome>((tx) =>
    tx`select private.fail_batch_item(${item.id}, ${item.lease_token}, ${kind}, ${message},
         ${retryAfterMs === undefined ? null : Math.round(retryAfterMs)}) as r`
  );
}

export function loadModelStatus(
  executionId: string,
): Promise<{ model: string | null; model_unavailable: string | null } | null> {
  return call((tx) => tx`select private.execution_model(${executionId}) as r`);
}

/** A fatal failure because the model is gone: the execution and its items get model_unavailable. */
export function failItemModelUnavailable(item: ClaimedItem, message: string): Promise<Outcome> {
  return call<Outcome>((tx) =>
    tx`select private.fail_batch_item_model_unavailable(${item.id}, ${item.lease_token},
         ${message}) as r`
  );
}

export function chainNextLink(executionId: string): Promise<string | null> {
  return call<string | null>((tx) => tx`select private.chain_next_link(${executionId}) as r`);
}

export function resultPaths(executionId: string): Promise<string[]> {
  return call<string[]>((tx) => tx`select private.execution_storage_paths(${executionId}) as r`);
}

export function markReconciled(executionId: string): Promise<boolean | null> {
  return call<boolean | null>((tx) =>
    tx`select private.mark_storage_reconciled(${executionId}) as r`
  );
}

export interface PublishResult {
  sent: boolean;
  seq?: number;
  more?: boolean;
  retry_in_ms?: number;
  unchanged?: boolean;
  finished?: boolean;
  missing?: boolean;
  /** Live progress is switched off (private.set_live_progress). */
  disabled?: boolean;
  /** After a sent message: the rate bound, ms until the next one may go. */
  next_in_ms?: number;
}

export function publishProgress(executionId: string): Promise<PublishResult> {
  return call<PublishResult>((tx) =>
    tx`select private.publish_execution_progress(${executionId}) as r`
  );
}
