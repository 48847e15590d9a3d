// Orchestration ceiling: what the chain sustains when the provider costs nothing. The fake
// Gemini answers at once with its small default PNG; 20 clients each start one execution of
// 500 prompts at once (workflow concurrency 5, so 20 × 5 = the global cap of 100 and no link
// polls a cap). The figure is the chain's items/s (first start answer → last completion)
// divided by a floor measured in the same run on the same database: pgbench running, per item,
// the same write transactions the chain's links run — one claim of one item and its
// completion, each `begin; set_config(role service_role, jwt claims); select private.…; commit`
// as shared/db/db.ts sends them — on 20 other executions of 500 items started through
// start-execution with the chain paused (20 pgbench clients, one per execution). The floor
// runs before and after the chain; the mean is the divisor.
//
// Where the rest goes, from the chain's run: CPU seconds per process group of this stack
// (Postgres backends, the process-batch workers, the gateway with Storage, the pg_net worker,
// the benchmark process with the fake), per-function times (track_functions = all, on for the
// floor and the chain alike), transactions per item (pg_stat_database), and what the
// backends waited on (pg_stat_activity sampled every 20 ms). pg_stat_statements is not
// preloaded on the stack's Postgres, so statements outside functions (Storage's object rows,
// pg_net's queue) are counted by table writes instead.
import {
  benchMembers,
  delay,
  type Member,
  pausedChain,
  primeStorage,
  prompts,
  setBatchSettings,
  startBenchGemini,
  startExecution,
  waitFinished,
  waitReconciled,
} from "./chain-world.ts";
import { round } from "./stats.ts";
import {
  cpuDelta,
  cpuSnapshot,
  dbCounters,
  resetStats,
  sampleActivity,
  trackFunctions,
} from "./db-profile.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const EXECUTIONS = 20;
const N = 500;
const CONCURRENCY = 5;
const SETTINGS = { global_concurrency: 100, client_concurrency: 20 };
/** BENCH_CLAIM_WITH_COMPLETION=off: the A/B arm with completion and claim separate. */
const CLAIM_WITH_COMPLETION = Deno.env.get("BENCH_CLAIM_WITH_COMPLETION") !== "off";
const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";

// ---------------------------------------------------------------- the pgbench floor

function pgbenchScript(executionIds: string[]): string {
  const values = executionIds.map((id, i) => `(${i}, '${id}'::uuid)`).join(", ");
  const claims = `'{"role":"service_role"}'`;
  return [
    "begin;",
    `select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'service_role', true);`,
    `select c.r -> 'items' -> 0 ->> 'id' as item_id, c.r -> 'items' -> 0 ->> 'lease_token' as lease, ` +
    `c.r -> 'items' -> 0 ->> 'storage_stem' as stem from (select private.claim_batch_items(` +
    `(select v.e from (values ${values}) v(n, e) where v.n = :client_id), 1) as r) c \\gset`,
    "commit;",
    "begin;",
    `select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'service_role', true);`,
    `select private.complete_batch_item(':item_id'::uuid, ':lease'::uuid, ':stem' || '.png', 1);`,
    "commit;",
    "",
  ].join("\n");
}

interface Floor {
  itemsPerS: number;
  ms: number;
  output: string;
  commits: number;
  loadBefore: string;
  loadAfter: string;
  /** CPU seconds of the stack's processes while pgbench ran (Postgres backends above all). */
  cpu: Record<string, number>;
}

/** Starts EXECUTIONS runs of N with the chain paused, then processes them with pgbench. */
async function floorRun(ctx: BenchContext, members: Member[], label: string): Promise<Floor> {
  const { sql } = ctx;
  const [{ id: firstQueued }] = await sql<{ id: string }[]>`
    select coalesce(max(id), 0)::text as id from net.http_request_queue`;
  return await pausedChain(ctx, async () => {
    const started = [];
    for (const [i, m] of members.entries()) {
      started.push(await startExecution(ctx, m, { prompts: prompts(N, `${label}-${i}`) }));
    }
    const ids = started.map((s) => s.id);
    const file = await Deno.makeTempFile({ suffix: ".sql" });
    await Deno.writeTextFile(file, pgbenchScript(ids));
    const [{ commits: c0 }] = await sql<{ commits: number }[]>`
      select xact_commit::float8 as commits from pg_stat_database
      where datname = current_database()`;
    const loadBefore = Deno.readTextFileSync("/proc/loadavg").trim();
    const cpu0 = cpuSnapshot(ctx);
    const t0 = performance.now();
    const out = await new Deno.Command(PGBENCH, {
      args: [
        "-n",
        "-r",
        "-c",
        String(EXECUTIONS),
        "-j",
        "2",
        "-t",
        String(N),
        "-f",
        file,
        ctx.state.dbUrl,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t0;
    const cpu = cpuDelta(cpu0, cpuSnapshot(ctx));
    const loadAfter = Deno.readTextFileSync("/proc/loadavg").trim();
    await Deno.remove(file);
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`pgbench failed:\n${text.slice(-3000)}`);
    const finished = await waitFinished(sql, ids, 30_000, 100);
    const bad = [...finished.values()].filter((f) => f.output_data.successful !== N);
    if (bad.length) throw new Error(`pgbench floor left ${bad.length} runs short`);
    await delay(1200);
    const [{ commits: c1 }] = await sql<{ commits: number }[]>`
      select xact_commit::float8 as commits from pg_stat_database
      where datname = current_database()`;
    // Reported tps (excluding connection setup) is the same count over pgbench's own clock.
    const tps = Number(/tps = ([\d.]+)/.exec(text)?.[1] ?? NaN);
    await sql`delete from net.http_request_queue where id > ${firstQueued}`;
    return {
      itemsPerS: Number.isFinite(tps) ? tps : (EXECUTIONS * N) / (ms / 1000),
      ms,
      output: text.split("\n").filter((l) => /tps|latency|^\s+[\d.]+\s/.test(l)).join("\n"),
      commits: c1 - c0,
      loadBefore,
      loadAfter,
      cpu,
    };
  });
}

// ---------------------------------------------------------------- the benchmark

export const orchestrationCeiling: Benchmark = {
  name: "orchestration-ceiling",
  description: `fake Gemini at 0 ms, ${EXECUTIONS} executions × ${N}: chain items/s ÷ a ` +
    `pgbench floor of the same claim + completion transactions per item`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const { sql } = ctx;
    const members = await benchMembers(ctx, "ceiling", EXECUTIONS, {
      max_prompts: N,
      concurrency: CONCURRENCY,
    });
    const fake = startBenchGemini(ctx, 0);
    const before = await setBatchSettings(sql, {
      ...SETTINGS,
      claim_with_completion: CLAIM_WITH_COMPLETION,
    } as unknown as Record<string, number>);
    const restoreTracking = await trackFunctions(sql);
    try {
      await primeStorage(ctx);
      // Warm-up: one short run through the chain (workers, pools, plans).
      const warm = await startExecution(ctx, members[0], { prompts: prompts(50, "ceiling-warm") });
      await waitFinished(sql, [warm.id], 60_000);
      await waitReconciled(sql, [warm.id]);

      const floor1 = await floorRun(ctx, members, "ceiling-floor-a");
      ctx.log(`floor (before): ${round(floor1.itemsPerS, 1)} items/s, load ${floor1.loadAfter}`);

      await delay(1500);
      await resetStats(sql);
      const cpu0 = cpuSnapshot(ctx);
      const stopSampling = sampleActivity(sql, 20);
      const load0 = Deno.readTextFileSync("/proc/loadavg").trim();
      fake.reset();
      const started = await Promise.all(
        members.map((m, i) => startExecution(ctx, m, { prompts: prompts(N, `ceiling-${i}`) })),
      );
      const ids = started.map((s) => s.id);
      const finished = await waitFinished(sql, ids, 600_000, 50);
      const cpu1 = cpuSnapshot(ctx);
      const activity = await stopSampling();
      const load1 = Deno.readTextFileSync("/proc/loadavg").trim();
      const firstStart = Math.min(...started.map((s) => s.answeredAt));
      const lastDone = Math.max(...[...finished.values()].map((f) => f.completed_at.getTime()));
      const chainMs = lastDone - firstStart;
      const items = EXECUTIONS * N;
      const chainItemsPerS = items / (chainMs / 1000);
      // Steady state: the middle 80 % of completions.
      const [mid] = await sql<{ span_ms: number }[]>`
        with c as (
          select completed_at, row_number() over (order by completed_at) as k
          from public.workflow_batch_results
          where execution_id = any(${ids}::uuid[]) and status = 'completed')
        select extract(epoch from max(completed_at) filter (where k = ${Math.round(items * 0.9)})
          - max(completed_at) filter (where k = ${Math.round(items * 0.1)})) * 1000 as span_ms
        from c`;
      const steadyItemsPerS = (items * 0.8) / (mid.span_ms / 1000);
      await waitReconciled(sql, ids, 60_000);
      await delay(1500); // backends flush their counters when idle, at most once a second
      const counters = await dbCounters(sql);
      const outputs = ids.map((id) => finished.get(id)!.output_data);
      const bad = outputs.filter((o) => o.successful !== N);
      const chainCalls = fake.calls.length;
      const [links] = await sql<{ n: number }[]>`
        select count(*)::int as n from net._http_response
        where created >= to_timestamp(${firstStart / 1000})`;
      ctx.log(
        `chain: ${round(chainItemsPerS, 1)} items/s (steady ${round(steadyItemsPerS, 1)}), ` +
          `load ${load1}`,
      );

      const floor2 = await floorRun(ctx, members, "ceiling-floor-b");
      ctx.log(`floor (after): ${round(floor2.itemsPerS, 1)} items/s, load ${floor2.loadAfter}`);
      const floor = (floor1.itemsPerS + floor2.itemsPerS) / 2;

      const fn = (name: string) => counters.functions.find((f) => f.name === name);
      const perItem = (v: number | undefined) => round((v ?? 0) / items, 3);
      const cpu = cpuDelta(cpu0, cpu1);
      const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
      const table = (name: string) => counters.tables.find((t) => t.name === name);
      return [
        {
          benchmark: "orchestration-ceiling",
          figure: `${EXECUTIONS} × ${N}, fake at 0 ms: chain items/s / pgbench floor items/s`,
          ratio: chainItemsPerS / floor,
          target: { op: ">=", value: 0.5 },
          numbers: {
            chain_items_per_s: round(chainItemsPerS, 1),
            chain_steady_items_per_s: round(steadyItemsPerS, 1),
            chain_ms: Math.round(chainMs),
            floor_items_per_s: round(floor, 1),
            floor_before_items_per_s: round(floor1.itemsPerS, 1),
            floor_after_items_per_s: round(floor2.itemsPerS, 1),
            chain_commits_per_item: round(counters.commits / items, 2),
            floor_commits_per_item: round(floor1.commits / items, 2),
            cpu_s_per_item_ms: round((cpuTotal / items) * 1000, 2),
            links_delivered: links.n,
            load_before: load0,
            load_after: load1,
          },
          checks: [{
            name: "every item completed once",
            pass: bad.length === 0 && chainCalls === items,
            detail: `short runs ${bad.length}, gemini calls ${chainCalls}`,
          }],
          details: {
            executions: EXECUTIONS,
            items_per_execution: N,
            workflow_concurrency: CONCURRENCY,
            ...SETTINGS,
            claim_with_completion: CLAIM_WITH_COMPLETION,
            track_functions: "all (floor and chain)",
            cpu_seconds_by_process: cpu,
            cpu_seconds_total: round(cpuTotal, 2),
            chain_seconds: round(chainMs / 1000, 2),
            ms_per_item_in_functions: {
              claim_batch_items: perItem(fn("private.claim_batch_items")?.total_ms),
              complete_batch_item: perItem(fn("private.complete_batch_item")?.total_ms),
              finalize_execution: perItem(fn("private.finalize_execution")?.total_ms),
              wake_batch_waiters: perItem(fn("private.wake_batch_waiters")?.total_ms),
              publish_execution_progress: perItem(
                fn("private.publish_execution_progress")?.total_ms,
              ),
            },
            function_calls: counters.functions.slice(0, 25).map((f) => ({
              ...f,
              total_ms: round(f.total_ms, 1),
              self_ms: round(f.self_ms, 1),
            })),
            table_writes: counters.tables.slice(0, 20),
            storage_objects_inserted: table("storage.objects")?.ins ?? 0,
            pgnet_requests_queued: table("net.http_request_queue")?.ins ?? 0,
            backend_activity: activity,
            pgbench_before: floor1.output,
            pgbench_after: floor2.output,
            floor_cpu_seconds_by_process: [floor1.cpu, floor2.cpu],
            floor_loads: [floor1.loadBefore, floor1.loadAfter, floor2.loadBefore, floor2.loadAfter],
          },
        },
      ];
    } finally {
      await restoreTracking();
      await setBatchSettings(sql, before);
      await fake.close();
    }
  },
};
