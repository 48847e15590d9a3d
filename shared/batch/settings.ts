// Knobs of a process-batch link that belong to the function's runtime (the database holds the
// ones it enforces: concurrency caps, attempts, backoff, lease; see private.batch_settings).

function intEnv(name: string, fallback: number, min: number): number {
  const raw = Deno.env.get(name);
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${name} must be a number >= ${min} (got ${raw})`);
  }
  return Math.floor(value);
}

export interface LinkSettings {
  /** Wall-clock budget of one link; Supabase stops a worker at 150 s (free) / 400 s (paid). */
  budgetMs: number;
  /** Timeout of one Gemini call. */
  generateTimeoutMs: number;
  /** Timeout of one Storage upload. */
  uploadTimeoutMs: number;
  /** Stop claiming this long before the budget ends, so claimed items can still finish. */
  claimStopMs: number;
  /** Memory the items in flight of one link may hold (MB; see itemMemoryMb). */
  maxInFlightMb: number;
  /** Ask for the next link this long before the claim window closes (covers a pg_net hop). */
  handoffLeadMs: number;
}

// Resident memory one item in flight costs a link, by output size: the answer streamed in,
// the decoded image, the upload's copies and the garbage they leave until the next GC. 2K is
// measured (bench/memory.ts: ~17 MB per image above the idle worker); 1K and 4K scale it by
// the image's pixel count (512 is a quarter of 1K). A request without a size gets 1K.
const itemMemoryMbBySize: Record<string, number> = { "512": 2, "1K": 5, "2K": 17, "4K": 60 };

export function itemMemoryMb(imageSize: string | null): number {
  return itemMemoryMbBySize[imageSize ?? "1K"] ?? itemMemoryMbBySize["4K"];
}

const MB = 1024 * 1024;

/**
 * What a link's reference images cost it, in MB: `shared` is held once for the link's lifetime
 * (their base64, 4/3 of the decoded bytes: the form every request streams them in), `perItem`
 * is what each Gemini call in flight adds: the request body is streamed from the shared bytes
 * in 64 KiB copies (shared/gemini/reference-body.ts), so a call holds a few chunks of it and the
 * JSON envelope, 1 MB counted to stay on the safe side. While the images are fetched (before
 * any item is claimed) the decoded bytes exist once too; nothing is in flight then.
 */
export function referenceMemoryMb(referenceBytes: number): { shared: number; perItem: number } {
  if (referenceBytes <= 0) return { shared: 0, perItem: 0 };
  return { shared: Math.ceil((Math.ceil(referenceBytes / 3) * 4) / MB), perItem: 1 };
}

/**
 * How many items one link keeps in flight: the execution's concurrency, unless the memory
 * budget allows fewer (never less than one). The reference images' shared bytes come off the
 * budget first and their per-call cost adds to each item's. A link below the execution's
 * concurrency asks for a helper link to share the execution (see link.ts).
 */
export function linkSlots(
  settings: LinkSettings,
  concurrency: number,
  imageSize: string | null,
  referenceBytes = 0,
) {
  const refs = referenceMemoryMb(referenceBytes);
  const budget = settings.maxInFlightMb - refs.shared;
  const byMemory = Math.max(1, Math.floor(budget / (itemMemoryMb(imageSize) + refs.perItem)));
  return Math.max(1, Math.min(concurrency, byMemory));
}

export function linkSettings(): LinkSettings {
  const budgetMs = intEnv("BATCH_LINK_BUDGET_MS", 140_000, 1_000);
  const generateTimeoutMs = intEnv("BATCH_GENERATE_TIMEOUT_MS", 60_000, 1_000);
  const uploadTimeoutMs = intEnv("BATCH_UPLOAD_TIMEOUT_MS", 15_000, 1_000);
  // Claim while an item claimed now can still finish inside the budget, but never for less
  // than a quarter of it (a link that claims nothing only costs an invocation).
  const claimStopMs = Math.min(
    generateTimeoutMs + uploadTimeoutMs,
    Math.floor(budgetMs * 0.75),
  );
  // A worker has 256 MB on Supabase and idles at ~70 MB (Deno, the SDKs, postgres.js): 60 MB
  // of images in flight keeps a link near half of the limit (3 images at 2K, 12 at 1K).
  const maxInFlightMb = intEnv("BATCH_LINK_MAX_IN_FLIGHT_MB", 60, 1);
  // pg_net sends a request committed while its worker is busy after the worker's 1 s pause;
  // 2 s covers that and the successor's start. Never more than half the claim window.
  const handoffLeadMs = Math.min(2000, Math.floor((budgetMs - claimStopMs) / 2));
  return {
    budgetMs,
    generateTimeoutMs,
    uploadTimeoutMs,
    claimStopMs,
    maxInFlightMb,
    handoffLeadMs,
  };
}
