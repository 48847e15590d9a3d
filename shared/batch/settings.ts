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
  return { budgetMs, generateTimeoutMs, uploadTimeoutMs, claimStopMs };
}
