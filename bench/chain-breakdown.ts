// Where a chain run loses against the ideal ceil(N/C)·L, from the rows it left: each item's
// claim time (the claim writes clock_timestamp() in ms into the object name it fixes,
// `<execution>/<index>_<ms>`, kept in result_storage_path), its completed_at (the completing
// transaction's now()), and the fake Gemini's arrival and answer times per prompt. The P slots (C for one execution, the global cap for several)
// are a pool: sorted ends pair with the starts P later, so that
//
//   P · (end − t0) = Σ first P starts − t0  +  Σ item durations  +  Σ gaps  +  Σ (end − last P ends)
//
// and the loss against the ideal (N/P)·L splits into: start (mean of the first P starts),
// in-item overhead ((N/P)·(duration − L): link → fake, the fake beyond L, answer → completion
// with the upload), hand-over gaps ((N−P)/P · gap: completion → the next claim's items in
// hand, i.e. the completing and the claiming transactions and the link's loop) and the tail
// (slots idle at the end while the last items finish).
import type postgres from "postgres";
import { mean, percentile, round } from "./stats.ts";

export interface Breakdown {
  items: number;
  pool: number;
  /** t0 → end (ms): t0 the first start-execution answer, end the last completion. */
  span_ms: number;
  ideal_ms: number;
  loss_ms: number;
  /** Loss parts, ms of the span (they add up to loss_ms up to rounding). */
  start_ms: number;
  in_item_ms: number;
  gap_ms: number;
  tail_ms: number;
  /** Per item, ms: its parts and the hand-over gap after it. */
  per_item: Record<string, { mean: number; p50: number; p95: number }>;
  retried_items: number;
}

interface ItemRow {
  prompt_text: string;
  claimed_ms: string;
  completed_ms: number;
  attempts: number;
}

function summary(xs: number[]) {
  return {
    mean: round(mean(xs), 1),
    p50: round(percentile(xs, 50), 1),
    p95: round(percentile(xs, 95), 1),
  };
}

export async function chainBreakdown(
  sql: postgres.Sql,
  ids: string[],
  answeredAt: number[],
  calls: { prompt: string; receivedAt?: number; answeredAt?: number }[],
  pool: number,
  latencyMs: number,
): Promise<Breakdown> {
  const rows = await sql<ItemRow[]>`
    select prompt_text, extract(epoch from completed_at) * 1000 as completed_ms,
      substring(result_storage_path from '_([0-9]+)\.[a-z]+$') as claimed_ms, attempts
    from public.workflow_batch_results
    where execution_id = any(${ids}::uuid[]) and status = 'completed'`;
  const byPrompt = new Map<string, { receivedAt?: number; answeredAt?: number }>();
  for (const c of calls) byPrompt.set(c.prompt, c); // the last call of a prompt (retries)
  const t0 = Math.min(...answeredAt);
  const items = rows.map((r) => {
    const end = Number(r.completed_ms);
    const start = Number(r.claimed_ms);
    const call = byPrompt.get(r.prompt_text);
    return {
      start,
      end,
      toFake: call?.receivedAt !== undefined ? call.receivedAt - start : NaN,
      fake: call?.receivedAt !== undefined && call.answeredAt !== undefined
        ? call.answeredAt - call.receivedAt
        : NaN,
      afterFake: call?.answeredAt !== undefined ? end - call.answeredAt : NaN,
      attempts: r.attempts,
    };
  });
  const n = items.length;
  const starts = items.map((i) => i.start).sort((a, b) => a - b);
  const ends = items.map((i) => i.end).sort((a, b) => a - b);
  const end = ends[n - 1];
  const p = Math.min(pool, n);
  const gaps: number[] = [];
  for (let k = 0; k + p < n; k++) gaps.push(starts[k + p] - ends[k]);
  const durations = items.map((i) => i.end - i.start);
  const startMean = mean(starts.slice(0, p).map((s) => s - t0));
  const tailMean = mean(ends.slice(n - p).map((e) => end - e));
  const ideal = Math.ceil(n / p) * latencyMs;
  const inItem = (n / p) * (mean(durations) - latencyMs);
  const gap = gaps.length ? (gaps.length / p) * mean(gaps) : 0;
  const finite = (xs: number[]) => xs.filter(Number.isFinite);
  return {
    items: n,
    pool: p,
    span_ms: Math.round(end - t0),
    ideal_ms: ideal,
    loss_ms: Math.round(end - t0 - ideal),
    start_ms: Math.round(startMean),
    in_item_ms: Math.round(inItem),
    gap_ms: Math.round(gap),
    tail_ms: Math.round(tailMean),
    per_item: {
      duration: summary(durations),
      claim_to_fake: summary(finite(items.map((i) => i.toFake))),
      fake: summary(finite(items.map((i) => i.fake))),
      fake_to_completion: summary(finite(items.map((i) => i.afterFake))),
      gap_after: summary(gaps),
    },
    retried_items: items.filter((i) => i.attempts > 1).length,
  };
}
