// Benchmark 1, chain efficiency: how close the pg_net chain gets to the provider bound. With a
// fake Gemini answering in exactly L ms and C items in flight, N prompts cannot finish before
// ceil(N/C)·L; the figure is that ideal ÷ the measured time from start-execution's answer to
// the execution's finalisation (completed_at, written by the last item's commit). Then four
// clients at once under a global cap of 40, where the same bound is ceil(4N/40)·L and the
// spread between the first and the last client to finish shows whether one was starved.
import { runChain } from "./chain-run.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const L = 300;
const N = 500;
const C = 10;
const CLIENTS = 4;
const GLOBAL = 40;
/** Per-execution concurrency in the multi-client run: above the fair share, so the global cap binds. */
const C_MULTI = 20;

export const chainEfficiency: Benchmark = {
  name: "chain-efficiency",
  description: `ideal ceil(N/C)·L ÷ measured, N=${N}, C=${C}, L=${L} ms; then ${CLIENTS} clients ` +
    `under a global cap of ${GLOBAL}`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const single = await runChain(ctx, {
      tag: "chain1",
      clients: 1,
      prompts: N,
      concurrency: C,
      latencyMs: L,
      settings: {},
    });
    const ideal1 = Math.ceil(N / C) * L;
    const ms1 = single.finishMs[0];

    const multi = await runChain(ctx, {
      tag: "chain4",
      clients: CLIENTS,
      prompts: N,
      concurrency: C_MULTI,
      latencyMs: L,
      settings: { global_concurrency: GLOBAL, client_concurrency: C_MULTI },
    });
    const ideal4 = Math.ceil((CLIENTS * N) / GLOBAL) * L;
    const last = Math.max(...multi.finishMs);
    const first = Math.min(...multi.finishMs);

    return [
      {
        benchmark: "chain-efficiency",
        figure: `1 execution, N=${N}, C=${C}: ideal / measured`,
        ratio: ideal1 / ms1,
        target: { op: ">=", value: 0.85 },
        numbers: {
          ideal_ms: ideal1,
          measured_ms: Math.round(ms1),
          items_per_s: Math.round((N / ms1) * 10000) / 10,
          first_claim_ms: Math.round(single.firstClaimMs[0]),
        },
        checks: [single.allSucceeded],
        details: { L, N, C, ...single.details },
      },
      {
        benchmark: "chain-efficiency",
        figure: `${CLIENTS} clients × ${N}, global cap ${GLOBAL}: ideal / measured`,
        ratio: ideal4 / last,
        target: { op: ">=", value: 0.8 },
        numbers: {
          ideal_ms: ideal4,
          measured_ms: Math.round(last),
          first_client_ms: Math.round(first),
          spread_ms: Math.round(last - first),
          // pg_net's kick of four starts at once: the later ones may wait for its 1 s pause.
          first_claim_max_ms: Math.round(Math.max(...multi.firstClaimMs)),
          items_per_s: Math.round(((CLIENTS * N) / last) * 10000) / 10,
        },
        checks: [multi.allSucceeded],
        details: {
          L,
          N,
          per_execution_concurrency: C_MULTI,
          client_concurrency: C_MULTI,
          global_concurrency: GLOBAL,
          finish_ms: multi.finishMs.map(Math.round),
          first_claim_ms: multi.firstClaimMs.map(Math.round),
          ...multi.details,
        },
      },
    ];
  },
};
