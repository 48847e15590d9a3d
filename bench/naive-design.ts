// Benchmark 2, versus the naive design: one invocation looping over every prompt
// (bench/naive-loop.ts) against our chain, same fake Gemini, same latency. The naive loop runs
// a smaller N and is scaled linearly (it is strictly sequential, so its time is N × per-item);
// the chain runs the full N. Also: from the naive loop's measured per-item overhead, the N at
// which it would pass Supabase's 150 s wall clock at the seed's typical L = 3.5 s.
import { FAKE_GEMINI_KEY } from "../stack/gemini-env.ts";
import { runChain } from "./chain-run.ts";
import { benchMembers, prompts, startBenchGemini } from "./chain-world.ts";
import { naiveInvocation } from "./naive-loop.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const L = 300;
const N = 500;
const C = 10;
const N_NAIVE = 100;
const WALL_CLOCK_MS = 150_000;
const L_TYPICAL = 3500;

/** The env shared/gemini/gemini.ts and shared/storage/results.ts read, as the functions host has it. */
function useFunctionEnv(ctx: BenchContext, fakeUrl: string): void {
  Deno.env.set("GOOGLE_GEMINI_BASE_URL", fakeUrl);
  Deno.env.set("SUPABASE_URL", ctx.state.apiUrl);
  Deno.env.set("SUPABASE_SECRET_KEYS", JSON.stringify({ default: ctx.state.secretKey }));
}

async function runNaive(ctx: BenchContext) {
  const { sql } = ctx;
  const [member] = await benchMembers(ctx, "naive", 1, { max_prompts: N, concurrency: C });
  const fake = startBenchGemini(ctx, L);
  try {
    useFunctionEnv(ctx, fake.url);
    // status 'processing': the start trigger (ledger + first link) only acts on 'pending',
    // so the chain never touches this execution.
    const [row] = await sql<{ id: string; model: string }[]>`
      insert into public.workflow_executions
        (workflow_id, client_id, triggered_by_user_id, input_data, status, started_at)
      select w.id, w.client_id, ${member.userId},
        ${sql.json({ prompts: prompts(N_NAIVE, "naive") })}, 'processing', now()
      from public.workflows w where w.id = ${member.workflowId}
      returning id, (select config ->> 'model' from public.workflows where id = workflow_id)
        as model`;
    const report = await naiveInvocation(sql, {
      executionId: row.id,
      model: row.model,
      apiKey: FAKE_GEMINI_KEY,
      prompts: prompts(N_NAIVE, "naive"),
    });
    return { ...report, calls: fake.calls.length };
  } finally {
    await fake.close();
  }
}

export const naiveDesign: Benchmark = {
  name: "naive-design",
  description: `one sequential invocation (N=${N_NAIVE}, scaled to ${N}) vs the chain ` +
    `(N=${N}, C=${C}), L=${L} ms`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    ctx.log(`naive: ${N_NAIVE} prompts sequentially, L=${L} ms`);
    const naive = await runNaive(ctx);
    const perItem = naive.ms / N_NAIVE;
    const overhead = perItem - L;
    const naiveAtN = perItem * N;
    const chain = await runChain(ctx, {
      tag: "naive-chain",
      clients: 1,
      prompts: N,
      concurrency: C,
      latencyMs: L,
      settings: {},
    });
    const ours = chain.finishMs[0];
    // The first N whose sequential time exceeds the wall clock at the typical latency.
    const breaksAt = Math.floor(WALL_CLOCK_MS / (L_TYPICAL + overhead)) + 1;
    return [{
      benchmark: "naive-design",
      figure: `naive sequential / chain, N=${N}, L=${L} ms (speedup)`,
      ratio: naiveAtN / ours,
      target: null,
      numbers: {
        naive_ms_per_item: Math.round(perItem * 10) / 10,
        naive_overhead_ms_per_item: Math.round(overhead * 10) / 10,
        naive_ms_at_n: Math.round(naiveAtN),
        chain_ms_at_n: Math.round(ours),
        naive_breaks_150s_at_n: breaksAt,
      },
      checks: [
        {
          name: "naive loop did every item",
          pass: naive.succeeded === N_NAIVE && naive.calls === N_NAIVE,
          detail: `succeeded ${naive.succeeded}, failed ${naive.failed}, calls ${naive.calls}`,
        },
        chain.allSucceeded,
      ],
      details: {
        L,
        N,
        C,
        naive_n_measured: N_NAIVE,
        naive_measured_ms: Math.round(naive.ms),
        naive_scaling: "linear: naive_ms_at_n = N × measured ms per item",
        wall_clock_ms: WALL_CLOCK_MS,
        typical_latency_ms: L_TYPICAL,
        breaks_at_formula: "floor(150000 / (3500 + overhead per item)) + 1",
        ...chain.details,
      },
    }];
  },
};
