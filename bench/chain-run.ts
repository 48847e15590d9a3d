// One timed run of the real chain (start-execution -> pg_net -> process-batch links -> fake
// Gemini -> Storage -> ledger), used by the chain-efficiency and naive-design benchmarks:
// `clients` members each start one execution of `prompts` prompts at once; times are from each
// start-execution answer to that execution's completed_at.
import {
  benchMembers,
  primeStorage,
  prompts as makePrompts,
  setBatchSettings,
  startBenchGemini,
  startExecution,
  waitFinished,
  waitReconciled,
} from "./chain-world.ts";
import type { BenchContext, Check } from "./types.ts";

export interface ChainRun {
  tag: string;
  clients: number;
  prompts: number;
  concurrency: number;
  latencyMs: number;
  /** private.batch_settings columns to set for the run (restored afterwards). */
  settings: Record<string, number>;
}

export interface ChainResult {
  /** Per execution: start-execution answer -> completed_at, ms. */
  finishMs: number[];
  /** Per execution: start-execution answer -> started_at (first claim), ms. */
  firstClaimMs: number[];
  allSucceeded: Check;
  details: Record<string, unknown>;
  /** Per execution: Date.now() when start-execution answered. */
  answeredAt: number[];
  ids: string[];
  /** The fake's calls of this run: prompt, arrival and answer times (Date.now()). */
  calls: { prompt: string; receivedAt?: number; answeredAt?: number }[];
}

export async function runChain(ctx: BenchContext, run: ChainRun): Promise<ChainResult> {
  const { sql } = ctx;
  const members = await benchMembers(ctx, run.tag, run.clients, {
    max_prompts: Math.max(run.prompts, 100),
    concurrency: run.concurrency,
  });
  const fake = startBenchGemini(ctx, run.latencyMs);
  const before = await setBatchSettings(sql, run.settings);
  try {
    await primeStorage(ctx);
    ctx.log(
      `${run.tag}: ${run.clients} × ${run.prompts} prompts, C=${run.concurrency}, ` +
        `L=${run.latencyMs} ms`,
    );
    const started = await Promise.all(
      members.map((m, i) =>
        startExecution(ctx, m, { prompts: makePrompts(run.prompts, `${run.tag}-${i}`) })
      ),
    );
    const ids = started.map((s) => s.id);
    const idealMs = Math.ceil(run.prompts * run.clients / run.concurrency) * run.latencyMs;
    const finished = await waitFinished(sql, ids, Math.max(idealMs * 10, 120_000));
    await waitReconciled(sql, ids);
    const finishMs = started.map((s) => finished.get(s.id)!.completed_at.getTime() - s.answeredAt);
    const firstClaimMs = started.map((s) =>
      (finished.get(s.id)!.started_at?.getTime() ?? NaN) - s.answeredAt
    );
    const outputs = ids.map((id) => finished.get(id)!.output_data);
    const bad = outputs.filter((o) => o.successful !== run.prompts);
    const [links] = await sql<{ n: number }[]>`
      select count(*)::int as n from net._http_response
      where created >= to_timestamp(${Math.min(...started.map((s) => s.answeredAt)) / 1000})`;
    const geminiCalls = fake.calls.length;
    return {
      finishMs,
      firstClaimMs,
      allSucceeded: {
        name: "every item completed once",
        pass: bad.length === 0 && geminiCalls === run.prompts * run.clients,
        detail: `outputs ${JSON.stringify(outputs)}, gemini calls ${geminiCalls}`,
      },
      details: { links_delivered: links.n, gemini_calls: geminiCalls, outputs },
      answeredAt: started.map((s) => s.answeredAt),
      ids,
      calls: fake.calls.map((c) => ({
        prompt: c.prompt,
        receivedAt: c.receivedAt,
        answeredAt: c.answeredAt,
      })),
    };
  } finally {
    await setBatchSettings(sql, before);
    await fake.close();
  }
}
