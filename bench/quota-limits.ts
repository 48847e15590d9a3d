// What one request through the database API (an INSERT as a member, as PostgREST runs it) can still create under
// the platform's default quotas, and how fast refusals come. Without quotas one bulk insert
// created 200 executions and 20,000 items in ~3.5 s. The ratio is the refused flood's answer
// time ÷ an accepted single-run insert's, both through PostgREST in this run.
import {
  benchMembers,
  type Member,
  startBenchGemini,
  startExecution,
  waitFinished,
} from "./chain-world.ts";
import { percentile } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const MAX_PROMPTS = 100;

/**
 * One INSERT of `runs` executions as the member, the way PostgREST runs a bulk POST: role
 * authenticated with the JWT's claims, in one transaction. 201 written, 429 refused by a
 * quota (SQLSTATE MS429), 400 any other refusal.
 */
async function bulkInsert(
  ctx: BenchContext,
  member: Member,
  runs: number,
  prompts: number,
): Promise<{ status: number; ms: number; body: string }> {
  const rows = Array.from({ length: runs }, (_, i) => ({
    workflow_id: member.workflowId,
    client_id: member.clientId,
    triggered_by_user_id: member.userId,
    input_data: { prompts: Array.from({ length: prompts }, (_, j) => `quota ${i} ${j}`) },
  }));
  const claims = JSON.stringify({ sub: member.userId, role: "authenticated", email: member.email });
  const t0 = performance.now();
  try {
    await ctx.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true),
                      set_config('role', 'authenticated', true)`;
      await tx`
        insert into public.workflow_executions
          (workflow_id, client_id, triggered_by_user_id, input_data)
        select r.workflow_id, r.client_id, r.triggered_by_user_id, r.input_data
        from jsonb_to_recordset(${tx.json(rows)}::jsonb)
          as r(workflow_id uuid, client_id uuid, triggered_by_user_id uuid, input_data jsonb)`;
    });
    return { status: 201, ms: performance.now() - t0, body: "" };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // The quota's own SQLSTATE (what start-execution maps to 429); any other refusal 400.
    return {
      status: e.code === "MS429" ? 429 : 400,
      ms: performance.now() - t0,
      body: `${e.code} ${e.message}`,
    };
  }
}

async function counts(ctx: BenchContext, clientId: string) {
  const [row] = await ctx.sql<{ executions: number; items: number }[]>`
    select (select count(*)::int from public.workflow_executions where client_id = ${clientId})
             as executions,
           (select count(*)::int from public.workflow_batch_results where client_id = ${clientId})
             as items`;
  return row;
}

export const quotaLimits: Benchmark = {
  name: "quota-limits",
  description: "one PostgREST request under the default quotas: what it creates, refusal times",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const { sql } = ctx;
    const [member] = await benchMembers(ctx, "quota", 1, {
      max_prompts: MAX_PROMPTS,
      concurrency: 10,
    });
    // The platform defaults, not the bench tenants' raised ones.
    await sql`delete from private.client_quotas where client_id = ${member.clientId}`;
    const [defaults] = await sql<Record<string, number>[]>`
      select executions_per_minute, max_concurrent_executions, max_queued_items
      from private.quota_defaults`;
    const fake = startBenchGemini(ctx, 0);
    try {
      const base = await counts(ctx, member.clientId);
      // The old attack: 200 executions of 100 prompts in one request.
      const flood = await bulkInsert(ctx, member, 200, MAX_PROMPTS);
      const afterFlood = await counts(ctx, member.clientId);
      // The most one request can still start: the concurrent-executions quota, full runs.
      const most = await bulkInsert(ctx, member, defaults.max_concurrent_executions, MAX_PROMPTS);
      const afterMost = await counts(ctx, member.clientId);
      // One more while those run: refused through PostgREST and through start-execution.
      const oneMore = await bulkInsert(ctx, member, 1, 1);
      const refusals: number[] = [];
      let functionStatus = 0;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const res = await fetch(`${ctx.state.apiUrl}/functions/v1/start-execution`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${member.token}`,
            apikey: ctx.state.publishableKey,
            "content-type": "application/json",
          },
          body: JSON.stringify({ workflow_id: member.workflowId, prompts: ["one more"] }),
        });
        await res.body?.cancel();
        refusals.push(performance.now() - t0);
        functionStatus = res.status;
      }
      const running = await sql<{ id: string }[]>`
        select id from public.workflow_executions
        where client_id = ${member.clientId} and completed_at is null`;
      await waitFinished(sql, running.map((r) => r.id), 600_000, 200);
      // An accepted single start through the function, for scale.
      const single = await startExecution(ctx, member, { prompts: ["accepted"] });
      await waitFinished(sql, [single.id], 60_000);
      const p50 = percentile(refusals, 50);
      return [{
        benchmark: "quota-limits",
        figure: "start-execution refusal (429) p50 / accepted start",
        ratio: p50 / single.ms,
        target: null,
        numbers: {
          flood_status: flood.status,
          flood_ms: Math.round(flood.ms),
          flood_rows_written: afterFlood.executions - base.executions +
            afterFlood.items - base.items,
          most_status: most.status,
          most_ms: Math.round(most.ms),
          most_executions: afterMost.executions - afterFlood.executions,
          most_items: afterMost.items - afterFlood.items,
          one_more_status: oneMore.status,
          one_more_ms: Math.round(oneMore.ms),
          function_refusal_status: functionStatus,
          function_refusal_p50_ms: Math.round(p50),
          function_refusal_p95_ms: Math.round(percentile(refusals, 95)),
          accepted_start_ms: Math.round(single.ms),
        },
        checks: [{
          name: "the flood is refused whole, the quota's worth is accepted",
          pass: flood.status === 429 &&
            afterFlood.executions === base.executions && afterFlood.items === base.items &&
            most.status === 201 && oneMore.status === 429 && functionStatus === 429,
          detail: `flood ${flood.status} ${flood.body.slice(0, 200)}; one more ${oneMore.status} ` +
            oneMore.body.slice(0, 200),
        }],
        details: { defaults, max_prompts: MAX_PROMPTS },
      }];
    } finally {
      await fake.close();
    }
  },
};
