// Benchmark: what pg_net's timing costs the chain at link hand-offs. A link claims for its
// budget minus the time an item may take (default 140 s - 75 s = 65 s), then enqueues the
// next link through pg_net and lets its claimed items finish. pg_net 0.19.5 sends a request
// at once when its worker is idle but makes it wait for its 1 s pause when the worker is
// busy, so a hand-off can leave slots idle for up to ~1 s. To see it in a benchmark-sized run,
// the functions host is restarted with a short budget (links claim for 5 s) and the same
// workload as chain-efficiency runs with the default budget (one link) and the short one:
// the figure is single-link time / multi-link time. Every kick's pg_net hop (enqueued ->
// next link started) is measured too, and the cost is scaled to the default budget.
import { stackPaths } from "../stack/paths.ts";
import { functionsEnv } from "../stack/stack.ts";
import { runChain } from "./chain-run.ts";
import { restartHost } from "./chain-world.ts";
import { trackPgnetHops } from "./pgnet-hops.ts";
import { round, summarize } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const L = 300;
const N = 500;
const C = 10;
const CLIENTS = 4;
const GLOBAL = 40;
const C_MULTI = 20;
/** Short links: claim window = budget - min(generate + upload timeouts, 0.75 budget) = 5 s. */
const SHORT_ENV = {
  BATCH_LINK_BUDGET_MS: "8000",
  BATCH_GENERATE_TIMEOUT_MS: "2000",
  BATCH_UPLOAD_TIMEOUT_MS: "1000",
};
const SHORT_CLAIM_MS = 5000;
/** The default link's claim window (140 s budget, 60 s + 15 s item timeouts). */
const DEFAULT_CLAIM_MS = 65_000;
const MAX_COST = 0.02;

function restartFunctions(ctx: BenchContext, extra: Record<string, string>) {
  const paths = stackPaths(ctx.state.instance);
  return restartHost(ctx, { ...functionsEnv(paths, ctx.state), ...extra });
}

interface Scenario {
  tag: string;
  clients: number;
  concurrency: number;
  settings: Record<string, number>;
  idealMs: number;
}

async function measure(ctx: BenchContext, s: Scenario) {
  const base = await runChain(ctx, {
    tag: `${s.tag}-one-link`,
    clients: s.clients,
    prompts: N,
    concurrency: s.concurrency,
    latencyMs: L,
    settings: s.settings,
  });
  await restartFunctions(ctx, SHORT_ENV);
  try {
    const tracker = trackPgnetHops(ctx, ctx.sql);
    const short = await runChain(ctx, {
      tag: `${s.tag}-short-links`,
      clients: s.clients,
      prompts: N,
      concurrency: s.concurrency,
      latencyMs: L,
      settings: s.settings,
    });
    const hops = await tracker.stop();
    const baseMs = Math.max(...base.finishMs);
    const shortMs = Math.max(...short.finishMs);
    const links = hops.length;
    const handoffs = Math.max(links - s.clients, 1);
    // Time lost per hand-off, spread over one default claim window of each execution.
    const perHandoffMs = Math.max(shortMs - baseMs, 0) / (handoffs / s.clients);
    return { base, short, baseMs, shortMs, hops, links, handoffs, perHandoffMs };
  } finally {
    await restartFunctions(ctx, {});
  }
}

function toResult(figure: string, s: Scenario, m: Awaited<ReturnType<typeof measure>>) {
  const hop = summarize(m.hops);
  const atDefault = m.perHandoffMs / DEFAULT_CLAIM_MS;
  return {
    benchmark: "chain-handoff",
    figure,
    ratio: m.baseMs / m.shortMs,
    target: null,
    numbers: {
      one_link_ms: Math.round(m.baseMs),
      short_links_ms: Math.round(m.shortMs),
      ideal_ms: s.idealMs,
      links: m.links,
      pgnet_hop_p50_ms: Math.round(hop.p50),
      pgnet_hop_p95_ms: Math.round(hop.p95),
      pgnet_hop_max_ms: Math.round(hop.max),
      lost_per_handoff_ms: Math.round(m.perHandoffMs),
      cost_at_default_budget: round(atDefault, 4),
    },
    checks: [
      m.base.allSucceeded,
      m.short.allSucceeded,
      {
        name: `hand-off cost at the default budget <= ${MAX_COST * 100} %`,
        pass: atDefault <= MAX_COST,
        detail: `${(atDefault * 100).toFixed(2)} % (${Math.round(m.perHandoffMs)} ms lost per ` +
          `hand-off, one hand-off per ${DEFAULT_CLAIM_MS / 1000} s of claiming)`,
      },
    ],
    details: {
      L,
      N,
      short_link_env: SHORT_ENV,
      short_claim_window_ms: SHORT_CLAIM_MS,
      hops_ms: m.hops.map(Math.round),
      one_link_finish_ms: m.base.finishMs.map(Math.round),
      short_links_finish_ms: m.short.finishMs.map(Math.round),
    },
  } satisfies BenchResult;
}

export const chainHandoff: Benchmark = {
  name: "chain-handoff",
  description: `pg_net hops at link hand-offs: N=${N}, C=${C}, L=${L} ms with links claiming ` +
    `${
      SHORT_CLAIM_MS / 1000
    } s vs one link; then ${CLIENTS} clients under a global cap of ${GLOBAL}`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const one: Scenario = {
      tag: "handoff1",
      clients: 1,
      concurrency: C,
      settings: {},
      idealMs: Math.ceil(N / C) * L,
    };
    const four: Scenario = {
      tag: "handoff4",
      clients: CLIENTS,
      concurrency: C_MULTI,
      settings: { global_concurrency: GLOBAL, client_concurrency: C_MULTI },
      idealMs: Math.ceil((CLIENTS * N) / GLOBAL) * L,
    };
    const m1 = await measure(ctx, one);
    const m4 = await measure(ctx, four);
    return [
      toResult(
        `1 execution, links of ${SHORT_CLAIM_MS / 1000} s: one-link / short-links time`,
        one,
        m1,
      ),
      toResult(
        `${CLIENTS} clients, links of ${SHORT_CLAIM_MS / 1000} s: one-link / short-links time`,
        four,
        m4,
      ),
    ];
  },
};
