// How an execution is shown to its client's members: the row (never the reference image data,
// never anything about the API key but whether one was used), progress counts by status, cost
// so far from the price snapshot, and optionally every prompt's result with a signed URL.
// Signed URLs are stable: made with the caller's token, valid signedUrlSeconds(), and the same
// URL is answered again (private.signed_url_cache) while at least a quarter of its lifetime
// remains, so a frontend following an execution keeps its images cached.
import { timestampOf } from "../../../shared/core/time.ts";
import { asUser, type Claims, type Tx } from "../../../shared/db/db.ts";
import { signedUrlsAsUser } from "../../../shared/storage/results.ts";

// A signed URL is a bearer capability: Storage checks RLS when it signs, never when it serves.
// A member removed from the client keeps every URL already handed out until it expires, so
// the lifetime is short (5 minutes by default: enough to show a page of results; a frontend
// that needs more asks again and gets fresh URLs, which RLS decides anew). Deployments that
// prefer longer-lived links set RESULT_SIGNED_URL_SECONDS (10 to 3600).
export function signedUrlSeconds(): number {
  const raw = Deno.env.get("RESULT_SIGNED_URL_SECONDS");
  const value = raw === undefined || raw === "" ? 300 : Number(raw);
  if (!Number.isInteger(value) || value < 10 || value > 3600) {
    throw new Error(
      `RESULT_SIGNED_URL_SECONDS must be an integer from 10 to 3600 (got ${raw})`,
    );
  }
  return value;
}

// The same URL is handed out again while at least a quarter of its lifetime remains, so a
// frontend watching an execution can cache images instead of re-downloading on every poll.
export function signedUrlReuseSeconds(): number {
  return Math.ceil(signedUrlSeconds() / 4);
}

export interface ExecutionRow {
  id: string;
  workflow_id: string;
  client_id: string;
  triggered_by_user_id: string | null;
  status: string;
  input: Record<string, unknown>;
  output_data: unknown;
  concurrency: number;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  error_message: string | null;
  /** Machine-readable reason of a failed run (e.g. model_unavailable). */
  error_code: string | null;
  /** The model the run generates with, snapshotted when it started. */
  model: string | null;
  created_at: string;
  billed_image_size: string | null;
  unit_revenue: string;
  /** The execution whose failed/cancelled items this one re-runs, if it is a retry. */
  retry_of: string | null;
}

/** What only admins get back from private.execution_provider_costs (nothing for members). */
export interface ProviderCost {
  execution_id: string;
  unit_cost: string;
  provider_cost: string | null;
}

/** Provider costs of `ids` as the caller may see them: the database answers admins only. */
export async function providerCosts(
  tx: Tx,
  ids: string[],
): Promise<Map<string, ProviderCost>> {
  if (ids.length === 0) return new Map();
  const rows = await tx<ProviderCost[]>`
    select execution_id, unit_cost::text, provider_cost::text
    from private.execution_provider_costs(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.execution_id, r]));
}

export interface Counts {
  total: number;
  pending: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

interface ResultRow {
  batch_index: number;
  prompt: string;
  status: string;
  attempts: number;
  error_message: string | null;
  error_code: string | null;
  processing_time_ms: number | null;
  completed_at: string | null;
  storage_path: string | null;
}

interface CachedUrl {
  object_path: string;
  signed_url: string;
  expires_at: string;
}

/**
 * Columns of the list and detail views; input_data is summarised in SQL, not shipped whole.
 * `alias` is the name the query gives workflow_executions.
 */
export const executionColumns = (tx: Tx, alias = "e") => {
  const e = tx(alias);
  return tx`${e}.id, ${e}.workflow_id, ${e}.client_id, ${e}.triggered_by_user_id, ${e}.status,
     jsonb_build_object(
       'prompt_count', jsonb_array_length(coalesce(${e}.input_data -> 'prompts', '[]')),
       'aspect_ratio', ${e}.input_data -> 'aspect_ratio',
       'image_size', ${e}.input_data -> 'image_size',
       'reference_image_count',
         jsonb_array_length(coalesce(${e}.input_data -> 'reference_images', '[]')),
       'uses_client_api_key', coalesce((${e}.input_data ->> 'uses_client_api_key')::boolean, false)
     ) as input,
     ${e}.output_data, ${e}.concurrency, ${e}.started_at, ${e}.completed_at,
     ${e}.duration_seconds, ${e}.error_message, ${e}.error_code, ${e}.model, ${e}.created_at,
     ${e}.image_size as billed_image_size, ${e}.unit_revenue::text, ${e}.retry_of`;
};

/** Progress of an execution that was just started: every prompt queued, nothing done. */
export function queuedCounts(total: number): Counts {
  return {
    total,
    pending: total,
    processing: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
}

function money(value: number): number {
  return Math.round(value * 10000) / 10000;
}

export interface Loaded {
  execution: ExecutionRow;
  counts: Counts;
  results: ResultRow[];
  /** Present for admins only (the provider's cost). */
  cost?: ProviderCost;
  /** The caller's signed URLs for these results that stay valid long enough to hand out. */
  cachedUrls: CachedUrl[];
}

interface RowWithCost extends ExecutionRow {
  cost_unit_cost: string | null;
  cost_provider_cost: string | null;
}

interface ResultWithCachedUrl extends ResultRow {
  cached_url: string | null;
  cached_expires_at: string | null;
}

const STATUSES = ["pending", "processing", "completed", "failed", "cancelled"] as const;

/** Progress of the rows just read: the same figures the counting query answers. */
function countsOf(results: { status: string }[]): Counts {
  const counts: Counts = { ...queuedCounts(results.length), pending: 0 };
  for (const r of results) {
    if ((STATUSES as readonly string[]).includes(r.status)) {
      counts[r.status as typeof STATUSES[number]]++;
    }
  }
  return counts;
}

/**
 * The execution as the caller sees it (RLS), or null when invisible or absent. Two statements:
 * the row with the provider's cost (answered to admins only), then either the progress counts
 * or, with results, every result with the caller's remembered signed URL beside it, the counts
 * tallied from those same rows (bench: execution-read; each statement is two round trips).
 */
export async function loadExecution(
  tx: Tx,
  id: string,
  withResults: boolean,
): Promise<Loaded | null> {
  const [row] = await tx<RowWithCost[]>`
    select ${executionColumns(tx)},
      pc.unit_cost::text as cost_unit_cost, pc.provider_cost::text as cost_provider_cost
    from public.workflow_executions e
    left join lateral private.execution_provider_costs(array[e.id]) pc on true
    where e.id = ${id}`;
  if (!row) return null;
  const { cost_unit_cost, cost_provider_cost, ...execution } = row;
  const cost = cost_unit_cost === null
    ? undefined
    : { execution_id: execution.id, unit_cost: cost_unit_cost, provider_cost: cost_provider_cost };
  if (!withResults) {
    const [counts] = await tx<Counts[]>`
      select count(*)::int as total,
             count(*) filter (where status = 'pending')::int as pending,
             count(*) filter (where status = 'processing')::int as processing,
             count(*) filter (where status = 'completed')::int as completed,
             count(*) filter (where status = 'failed')::int as failed,
             count(*) filter (where status = 'cancelled')::int as cancelled
      from public.workflow_batch_results where execution_id = ${id}`;
    return { execution, counts, results: [], cost, cachedUrls: [] };
  }
  const rows = await tx<ResultWithCachedUrl[]>`
    with r as (
      select batch_index, prompt_text as prompt, status, attempts, error_message, error_code,
             processing_time_ms, completed_at, result_storage_path as storage_path
      from public.workflow_batch_results where execution_id = ${id}
    )
    select r.*, c.signed_url as cached_url, c.expires_at as cached_expires_at
    from r
    left join private.cached_signed_urls(
      (select coalesce(array_agg(x.storage_path) filter (where x.storage_path is not null), '{}')
       from r x),
      ${signedUrlReuseSeconds()}) c on c.object_path = r.storage_path
    order by r.batch_index`;
  const results: ResultRow[] = [];
  const cachedUrls: CachedUrl[] = [];
  for (const { cached_url, cached_expires_at, ...result } of rows) {
    results.push(result);
    if (cached_url && cached_expires_at && result.storage_path) {
      cachedUrls.push({
        object_path: result.storage_path,
        signed_url: cached_url,
        expires_at: cached_expires_at,
      });
    }
  }
  return { execution, counts: countsOf(results), results, cost, cachedUrls };
}

/** Remembered URLs, plus new ones (signed with the caller's token) for the rest. */
async function stableSignedUrls(
  loaded: Loaded,
  accessToken: string,
  claims: Claims | null,
): Promise<Map<string, { url: string | null; expiresAt: string | null }>> {
  const out = new Map<
    string,
    { url: string | null; expiresAt: string | null }
  >();
  for (const c of loaded.cachedUrls) {
    out.set(c.object_path, { url: c.signed_url, expiresAt: c.expires_at });
  }
  const missing = loaded.results.flatMap((r) =>
    r.storage_path && !out.has(r.storage_path) ? [r.storage_path] : []
  );
  if (missing.length === 0) return out;
  const seconds = signedUrlSeconds();
  const expiresAt = timestampOf(Date.now() + seconds * 1000);
  const fresh = await signedUrlsAsUser(accessToken, missing, seconds);
  const remember: { path: string; url: string; expires_at: string }[] = [];
  for (const path of missing) {
    const url = fresh.get(path) ?? null;
    out.set(path, { url, expiresAt: url ? expiresAt : null });
    if (url) remember.push({ path, url, expires_at: expiresAt });
  }
  if (claims && remember.length > 0) {
    await asUser(
      claims,
      (tx) => tx`select private.remember_signed_urls(${tx.json(remember)})`,
    );
  }
  return out;
}

/** The JSON answer; signed URLs are requested with the caller's own token. */
export async function presentExecution(
  loaded: Loaded,
  accessToken: string | null,
  withResults: boolean,
  claims: Claims | null = null,
) {
  const { execution, counts } = loaded;
  const { unit_revenue, billed_image_size, ...row } = execution;
  const done = counts.completed + counts.failed + counts.cancelled;
  const body: Record<string, unknown> = {
    ...row,
    progress: {
      ...counts,
      done,
      percent: counts.total ? Math.floor((done / counts.total) * 100) : 100,
    },
    cost: {
      currency: "USD",
      /** The size the unit prices are for (the one asked for, else the model's default). */
      image_size: billed_image_size,
      unit_revenue: Number(unit_revenue),
      revenue_so_far: money(counts.completed * Number(unit_revenue)),
      // The provider's side, only where the database answered it (admins).
      ...(loaded.cost
        ? {
          unit_cost: Number(loaded.cost.unit_cost),
          cost_so_far: money(counts.completed * Number(loaded.cost.unit_cost)),
        }
        : {}),
    },
  };
  if (withResults) {
    const urls = accessToken ? await stableSignedUrls(loaded, accessToken, claims) : new Map();
    body.results = loaded.results.map((r) => {
      const signed = r.storage_path ? urls.get(r.storage_path) : undefined;
      return {
        ...r,
        signed_url: signed?.url ?? null,
        signed_url_expires_at: signed?.expiresAt ?? null,
      };
    });
  }
  return body;
}
