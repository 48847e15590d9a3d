// Benchmark 3, kick latency: time from start-execution's answer to the first item being
// claimed (workflow_executions.started_at, stamped by the claim transaction of the first
// process-batch link), over executions started one at a time, each left to finish before the
// next so no link of an earlier run competes. Baseline: a cron-polling design that claims
// every 10 s (Supabase's automatic-embeddings guide). Its latency is computed analytically:
// a start arrives independently of the schedule, so the wait for the next tick is uniform on
// [0, 10 s): p50 5 s, p95 9.5 s. Its own claim query is not added (both designs pay one), which
// favours the baseline.
import { summarize } from "./stats.ts";
import {
  benchMembers,
  primeStorage,
  prompts,
  startBenchGemini,
  startExecution,
  waitFinished,
  waitReconciled,
} from "./chain-world.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const RUNS = 50;
const POLL_MS = 10_000;
const TARGET_P50_MS = 100;

export const kickLatency: Benchmark = {
  name: "kick-latency",
  description: `start-execution answer -> first claim, p50/p95 over ${RUNS} executions, vs ` +
    `claiming every ${POLL_MS / 1000} s`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const { sql } = ctx;
    const [member] = await benchMembers(ctx, "kick", 1, { max_prompts: 100, concurrency: 10 });
    const fake = startBenchGemini(ctx, 0);
    const samples: number[] = [];
    try {
      await primeStorage(ctx);
      for (let i = 0; i < RUNS; i++) {
        const started = await startExecution(ctx, member, { prompts: prompts(1, `kick-${i}`) });
        const done = await waitFinished(sql, [started.id], 30_000, 10);
        await waitReconciled(sql, [started.id]);
        const claimedAt = done.get(started.id)!.started_at;
        if (!claimedAt) throw new Error(`execution ${started.id} finished without a claim`);
        samples.push(claimedAt.getTime() - started.answeredAt);
      }
    } finally {
      await fake.close();
    }
    const ours = summarize(samples);
    const cronP50 = POLL_MS * 0.5;
    const cronP95 = POLL_MS * 0.95;
    return [{
      benchmark: "kick-latency",
      figure: `answer -> first claim p50 / cron-poll (${POLL_MS / 1000} s) p50`,
      ratio: ours.p50 / cronP50,
      target: null,
      numbers: {
        p50_ms: ours.p50,
        p95_ms: ours.p95,
        max_ms: ours.max,
        cron_p50_ms: cronP50,
        cron_p95_ms: cronP95,
      },
      checks: [{
        name: `p50 <= ${TARGET_P50_MS} ms`,
        pass: ours.p50 <= TARGET_P50_MS,
        detail: `p50 ${ours.p50} ms`,
      }],
      details: {
        runs: RUNS,
        samples_ms: samples,
        clock: "Date.now() at the answer vs started_at (Postgres now() of the claim), same host",
        baseline: "analytic: uniform arrival over a 10 s polling period (p50 5 s, p95 9.5 s); " +
          "the poller's own claim query is not added",
      },
    }];
  },
};
