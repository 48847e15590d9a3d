// Chain efficiency A/B: the two chain-efficiency runs (1 execution × 500, C=10, L=300 ms; 4
// clients × 500 under a global cap of 40) repeated with two variants of the chain, interleaved
// in one session on one stack (A B B A A B B A …, so a drift in the machine's load falls on both
// arms alike), each with where its time went (bench/chain-breakdown.ts). Reported per scenario:
// mean and sd of the efficiency per arm, the difference with Welch's 95 % interval and an exact
// permutation test. The variants (BENCH_AB, default `realtime`):
//
//   realtime  live progress on (as shipped) vs off (private.set_live_progress(false): the item
//             notice, started and finished triggers disabled, links not publishing).
//   claim     the next item claimed in the call that completes the previous one (after, as
//             shipped) vs claimed by the link's loop in its own transaction (before;
//             batch_settings.claim_with_completion = false).
//
// BENCH_AB_REPS repetitions per arm and scenario (default 5), BENCH_AB_SCENARIOS `1`, `4` or
// `1,4` (default). `STACK_INSTANCE=… deno task bench chain-ab`.
import { chainBreakdown } from "./chain-breakdown.ts";
import { runChain } from "./chain-run.ts";
import { delay } from "./chain-world.ts";
import { difference, mean, round, sd } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const L = 300;
const N = 500;
const C = 10;
const CLIENTS = 4;
const GLOBAL = 40;
const C_MULTI = 20;

interface Arm {
  name: string;
  /** Puts the stack in this arm's state (idempotent). */
  apply(ctx: BenchContext): Promise<void>;
}

interface Variant {
  arms: [Arm, Arm];
  /** Restores the stack as shipped. */
  restore(ctx: BenchContext): Promise<void>;
  what: string;
}

const liveProgress = (on: boolean) => async (ctx: BenchContext) => {
  await ctx.sql`select private.set_live_progress(${on})`;
};

const claimWithCompletion = (on: boolean) => async (ctx: BenchContext) => {
  await ctx.sql`update private.batch_settings set claim_with_completion = ${on}`;
};

const variants: Record<string, Variant> = {
  claim: {
    what: "the next item claimed in the completing call (after) vs by the link's loop (before)",
    arms: [
      { name: "after", apply: claimWithCompletion(true) },
      { name: "before", apply: claimWithCompletion(false) },
    ],
    restore: claimWithCompletion(true),
  },
  realtime: {
    what: "live progress (Realtime) on vs off",
    arms: [
      { name: "realtime-on", apply: liveProgress(true) },
      { name: "realtime-off", apply: liveProgress(false) },
    ],
    restore: liveProgress(true),
  },
};

interface Scenario {
  key: string;
  figure: string;
  run(ctx: BenchContext, tag: string): ReturnType<typeof oneRun>;
}

async function oneRun(
  ctx: BenchContext,
  tag: string,
  clients: number,
  concurrency: number,
  settings: Record<string, number>,
  pool: number,
) {
  const result = await runChain(ctx, {
    tag,
    clients,
    prompts: N,
    concurrency,
    latencyMs: L,
    settings,
  });
  const ideal = Math.ceil((clients * N) / pool) * L;
  const measured = Math.max(...result.finishMs);
  const breakdown = await chainBreakdown(
    ctx.sql,
    result.ids,
    result.answeredAt,
    result.calls,
    pool,
    L,
  );
  return { ratio: ideal / measured, measured, ideal, ok: result.allSucceeded, breakdown };
}

const scenarios: Scenario[] = [
  {
    key: "1",
    figure: `1 execution, N=${N}, C=${C}, L=${L} ms`,
    run: (ctx, tag) => oneRun(ctx, tag, 1, C, {}, C),
  },
  {
    key: "4",
    figure: `${CLIENTS} clients × ${N}, global cap ${GLOBAL}`,
    run: (ctx, tag) =>
      oneRun(ctx, tag, CLIENTS, C_MULTI, {
        global_concurrency: GLOBAL,
        client_concurrency: C_MULTI,
      }, GLOBAL),
  },
];

function loadavg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").trim();
  } catch {
    return "";
  }
}

function intEnv(name: string, fallback: number): number {
  const v = Number(Deno.env.get(name) ?? "");
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

export const chainAb: Benchmark = {
  name: "chain-ab",
  description: "chain efficiency, two variants interleaved in one session (BENCH_AB)",
  optIn: true,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    // One or more variants (BENCH_AB=realtime,claim), one after the other in this session.
    for (const variantName of (Deno.env.get("BENCH_AB") ?? "realtime").split(",")) {
      const variant = variants[variantName];
      if (!variant) throw new Error(`BENCH_AB: unknown variant ${variantName}`);
      results.push(...await runVariant(ctx, variantName, variant));
    }
    return results;
  },
};

async function runVariant(
  ctx: BenchContext,
  variantName: string,
  variant: Variant,
): Promise<BenchResult[]> {
  const reps = intEnv("BENCH_AB_REPS", 5);
  const wanted = (Deno.env.get("BENCH_AB_SCENARIOS") ?? "1,4").split(",");
  const chosen = scenarios.filter((s) => wanted.includes(s.key));
  const [a, b] = variant.arms;
  // A B B A A B B A …: each pair of repetitions has both orders.
  const order: Arm[] = [];
  for (let r = 0; r < reps; r++) order.push(...(r % 2 === 0 ? [a, b] : [b, a]));
  const runs: Record<string, unknown>[] = [];
  const ratios = new Map<string, number[]>();
  const ok = new Map<string, boolean>();
  try {
    // A warm-up run of each scenario (not counted): first worker boots, first uploads.
    for (const s of chosen) await s.run(ctx, `ab${s.key}`);
    let i = 0;
    for (const arm of order) {
      i++;
      await arm.apply(ctx);
      for (const s of chosen) {
        await delay(1000);
        const before = loadavg();
        const r = await s.run(ctx, `ab${s.key}`);
        const key = `${s.key}|${arm.name}`;
        ratios.set(key, [...(ratios.get(key) ?? []), r.ratio]);
        ok.set(key, (ok.get(key) ?? true) && r.ok.pass);
        runs.push({
          seq: i,
          scenario: s.key,
          arm: arm.name,
          ratio: round(r.ratio),
          measured_ms: Math.round(r.measured),
          loadavg_before: before,
          loadavg_after: loadavg(),
          all_succeeded: r.ok.pass,
          breakdown: r.breakdown,
        });
        ctx.log(
          `${arm.name} ${s.key}: ${r.ratio.toFixed(3)} (${Math.round(r.measured)} ms; ` +
            `start ${r.breakdown.start_ms}, in-item ${r.breakdown.in_item_ms}, gaps ` +
            `${r.breakdown.gap_ms}, tail ${r.breakdown.tail_ms}) load ${before}`,
        );
      }
    }
  } finally {
    await variant.restore(ctx);
  }
  const results: BenchResult[] = [];
  for (const s of chosen) {
    const ra = ratios.get(`${s.key}|${a.name}`) ?? [];
    const rb = ratios.get(`${s.key}|${b.name}`) ?? [];
    const d = difference(ra, rb);
    const parts = (arm: string) => {
      const mine = runs.filter((r) => r.scenario === s.key && r.arm === arm)
        .map((r) => r.breakdown as Awaited<ReturnType<typeof chainBreakdown>>);
      const avg = (k: "start_ms" | "in_item_ms" | "gap_ms" | "tail_ms" | "loss_ms") =>
        Math.round(mean(mine.map((m) => m[k])));
      return {
        loss_ms: avg("loss_ms"),
        start_ms: avg("start_ms"),
        in_item_ms: avg("in_item_ms"),
        gap_ms: avg("gap_ms"),
        tail_ms: avg("tail_ms"),
      };
    };
    results.push({
      benchmark: "chain-ab",
      figure: `${s.figure}: ${a.name} − ${b.name} efficiency (${reps}+${reps} interleaved)`,
      ratio: d.diff,
      target: null,
      numbers: {
        [`${a.name}_mean`]: round(mean(ra)),
        [`${a.name}_sd`]: round(sd(ra)),
        [`${b.name}_mean`]: round(mean(rb)),
        [`${b.name}_sd`]: round(sd(rb)),
        diff: round(d.diff),
        ci95_low: round(d.ci95[0]),
        ci95_high: round(d.ci95[1]),
        p_permutation: round(d.p_permutation),
      },
      checks: [
        {
          name: `every item completed once (${a.name})`,
          pass: ok.get(`${s.key}|${a.name}`) ?? false,
        },
        {
          name: `every item completed once (${b.name})`,
          pass: ok.get(`${s.key}|${b.name}`) ?? false,
        },
      ],
      details: {
        variant: variantName,
        what: variant.what,
        [a.name]: { ratios: ra.map((x) => round(x)), loss_parts_mean: parts(a.name) },
        [b.name]: { ratios: rb.map((x) => round(x)), loss_parts_mean: parts(b.name) },
        welch_df: round(d.df, 1),
        runs: runs.filter((r) => r.scenario === s.key),
      },
    });
  }
  return results;
}
