// Other-tenant slowdown under a flood: one collaborator queues 80 runs (far above its client
// cap, so all but a couple wait), then another tenant starts one run. Its first claim and its
// completion are measured twice in this run, alone and under the flood; the figure is the
// flooded completion ÷ the quiet one. Queued runs waiting in one list per client cost the
// other tenant nothing; one polling link per queued run (100 ms under the global claim lock)
// made it ~3× slower before.
import {
  benchMembers,
  delay,
  type Member,
  primeStorage,
  prompts,
  setBatchSettings,
  startBenchGemini,
  startExecution,
  waitFinished,
  waitReconciled,
} from "./chain-world.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const L = 300;
const FLOOD_RUNS = 80;
const FLOOD_PROMPTS = 20;
const VICTIM_PROMPTS = 50;
const C = 10;
const SETTINGS = { client_concurrency: 20, global_concurrency: 40 };

interface VictimRun {
  firstClaimMs: number;
  finishMs: number;
}

async function victimRun(ctx: BenchContext, victim: Member, label: string): Promise<VictimRun> {
  const started = await startExecution(ctx, victim, { prompts: prompts(VICTIM_PROMPTS, label) });
  const done = (await waitFinished(ctx.sql, [started.id], 120_000)).get(started.id)!;
  await waitReconciled(ctx.sql, [started.id]);
  return {
    firstClaimMs: (done.started_at?.getTime() ?? NaN) - started.answeredAt,
    finishMs: done.completed_at.getTime() - started.answeredAt,
  };
}

export const tenantFlood: Benchmark = {
  name: "tenant-flood",
  description: `another tenant's run (${VICTIM_PROMPTS} prompts, C=${C}, L=${L} ms) alone and ` +
    `while one collaborator has ${FLOOD_RUNS} runs queued`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const { sql } = ctx;
    const [flooder] = await benchMembers(ctx, "flood", 1, { max_prompts: 100, concurrency: C });
    const [victim] = await benchMembers(ctx, "victim", 1, { max_prompts: 100, concurrency: C });
    const fake = startBenchGemini(ctx, L);
    const before = await setBatchSettings(sql, SETTINGS);
    try {
      await primeStorage(ctx);
      // Warm the functions' workers, then the quiet baseline.
      await victimRun(ctx, victim, "victim-warm");
      const quiet = await victimRun(ctx, victim, "victim-quiet");
      ctx.log(
        `quiet: first claim ${Math.round(quiet.firstClaimMs)} ms, ` +
          `done ${Math.round(quiet.finishMs)} ms`,
      );

      const floodIds: string[] = [];
      for (let i = 0; i < FLOOD_RUNS; i += 8) {
        const batch = await Promise.all(
          Array.from(
            { length: Math.min(8, FLOOD_RUNS - i) },
            (_, j) =>
              startExecution(ctx, flooder, { prompts: prompts(FLOOD_PROMPTS, `flood-${i + j}`) }),
          ),
        );
        floodIds.push(...batch.map((s) => s.id));
      }
      // The flood settles: every run not holding a slot has had its first link and waits.
      // (Starting 80 runs is its own burst, bounded by the executions-per-minute quota; what
      // is measured here is what queued runs cost the other tenant while they wait.)
      const settleUntil = Date.now() + 30_000;
      let waiting = 0;
      let unclaimed = 0;
      for (;;) {
        [{ waiting, unclaimed }] = await sql<{ waiting: number; unclaimed: number }[]>`
          select (select count(*)::int from private.batch_waitlist
                  where execution_id = any(${floodIds}::uuid[])) as waiting,
                 (select count(*)::int from public.workflow_executions
                  where id = any(${floodIds}::uuid[]) and started_at is null) as unclaimed`;
        if (waiting >= unclaimed || Date.now() > settleUntil) break;
        await delay(200);
      }
      // The start's second kick (pg_net after the direct one) reaches each run too.
      await delay(1500);
      const flooded = await victimRun(ctx, victim, "victim-flooded");
      ctx.log(
        `flooded: first claim ${Math.round(flooded.firstClaimMs)} ms, ` +
          `done ${Math.round(flooded.finishMs)} ms (${waiting} flood runs waiting)`,
      );
      const flood = await waitFinished(sql, floodIds, 300_000);
      await waitReconciled(sql, floodIds);
      const bad = [...flood.values()].filter((f) => f.output_data.successful !== FLOOD_PROMPTS);
      const victimCalls = fake.calls.filter((c) => c.prompt.includes("victim")).length;
      const floodCalls = fake.calls.filter((c) => c.prompt.includes("flood-")).length;
      return [
        {
          benchmark: "tenant-flood",
          figure: `other tenant's run under a ${FLOOD_RUNS}-run flood: done flooded / quiet`,
          ratio: flooded.finishMs / quiet.finishMs,
          target: { op: "<=", value: 1.2 },
          numbers: {
            quiet_first_claim_ms: Math.round(quiet.firstClaimMs),
            flooded_first_claim_ms: Math.round(flooded.firstClaimMs),
            first_claim_ratio: Math.round(flooded.firstClaimMs / quiet.firstClaimMs * 100) / 100,
            quiet_done_ms: Math.round(quiet.finishMs),
            flooded_done_ms: Math.round(flooded.finishMs),
            flood_waiting: waiting,
            flood_unclaimed_at_victim_start: unclaimed,
            flood_runs: FLOOD_RUNS,
          },
          checks: [{
            name: "every item of both tenants completed once",
            pass: bad.length === 0 && floodCalls === FLOOD_RUNS * FLOOD_PROMPTS &&
              victimCalls === VICTIM_PROMPTS * 3,
            detail: `flood runs short ${bad.length}, flood calls ${floodCalls}, ` +
              `victim calls ${victimCalls}`,
          }],
          details: { L, C, FLOOD_RUNS, FLOOD_PROMPTS, VICTIM_PROMPTS, ...SETTINGS },
        },
      ];
    } finally {
      await setBatchSettings(sql, before);
      await fake.close();
    }
  },
};
