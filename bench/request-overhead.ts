// Benchmark 5, request overhead: start-execution with 100 prompts through the functions host
// (gateway JWT check, @supabase/server auth, zod, one transaction as the user through RLS and
// the start triggers, the answer), ÷ the same rows written in one raw SQL transaction as
// postgres (execution row + 100 ledger rows, triggers, foreign-key checks and RLS bypassed).
// Two more lines split the ratio: the function's own transaction sent as the member by a
// client process (every rule in the database, no HTTP) ÷ raw, and the function ÷ that.
// One member sends every call with the same token, as a client does for the token's hour: the
// function verifies it once and then answers from shared/auth/verified-tokens.ts. Calls alternate with
// the baseline so both see the same machine load. As context, the product's own insert done
// as postgres (triggers firing: checks, ledger, pg_net enqueue) without HTTP.
//
// So that 200 started executions do not process while we measure, the pg_net worker of the
// bench stack is stopped for the duration (the kicks stay queued, the sweep's re-kick grace is
// raised), then the bench rows and their queued kicks are deleted and the worker restarted.
import postgres from "postgres";
import { executionColumns } from "../supabase/functions/start-execution/view.ts";
import { benchMembers, pausedChain, prompts, startExecution } from "./chain-world.ts";
import type { Member } from "./chain-world.ts";
import { round, summarize } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const CALLS = 200;
const WARMUP = 10;
const PROMPTS = 100;
const TARGET = 2;

async function rawInsert(sql: postgres.Sql, member: Member, list: string[]): Promise<number> {
  const t0 = performance.now();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    const [row] = await tx<{ id: string }[]>`
      insert into public.workflow_executions
        (workflow_id, client_id, triggered_by_user_id, input_data, status)
      values (${member.workflowId}, ${member.clientId}, ${member.userId},
        ${tx.json({ prompts: list, uses_client_api_key: false })}, 'pending')
      returning id`;
    await tx`
      insert into public.workflow_batch_results
        (execution_id, client_id, batch_index, prompt_text, status, next_attempt_at)
      select ${row.id}, ${member.clientId}, (p.ord - 1)::integer, p.prompt, 'pending', now()
      from unnest(${list}::text[]) with ordinality as p(prompt, ord)`;
  });
  return performance.now() - t0;
}

async function productInsert(sql: postgres.Sql, member: Member, list: string[]): Promise<number> {
  const t0 = performance.now();
  await sql`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data)
    values (${member.workflowId}, ${member.clientId}, ${member.userId},
      ${sql.json({ prompts: list, uses_client_api_key: false })})`;
  return performance.now() - t0;
}

/**
 * The function's own transaction (start.ts), sent by a client process as the member: begin,
 * the caller's identity, the INSERT … RETURNING through RLS and every start trigger, commit.
 * What the request costs without HTTP, the gateway or the worker.
 */
async function userTransaction(
  conn: postgres.Sql,
  member: Member,
  list: string[],
): Promise<number> {
  const claims = JSON.stringify({ sub: member.userId, email: member.email, role: "authenticated" });
  const t0 = performance.now();
  await conn.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true),
      set_config('role', 'authenticated', true)`;
    await tx`
      insert into public.workflow_executions as e
        (workflow_id, client_id, triggered_by_user_id, input_data, idempotency_key, request_hash)
      select w.id, w.client_id, (select auth.uid()),
        ${tx.json({ prompts: list, uses_client_api_key: false })}, null, null
      from public.workflows w
      where w.id = ${member.workflowId}
      on conflict (triggered_by_user_id, idempotency_key) where idempotency_key is not null
      do nothing
      returning ${executionColumns(tx)}`;
  });
  return performance.now() - t0;
}

export const requestOverhead: Benchmark = {
  name: "request-overhead",
  description: `start-execution with ${PROMPTS} prompts via the functions host, p50/p95 over ` +
    `${CALLS} calls ÷ the same inserts in one raw SQL transaction`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const { sql } = ctx;
    const [member] = await benchMembers(ctx, "overhead", 1, {
      max_prompts: PROMPTS,
      concurrency: 10,
    });
    const api: number[] = [];
    const raw: number[] = [];
    const product: number[] = [];
    const userTx: number[] = [];
    // The member's own connection (as the functions connect: the postgres role, then the
    // caller's identity per transaction).
    const conn = postgres(ctx.state.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    const [{ id: firstQueued }] = await sql<{ id: string }[]>`
      select coalesce(max(id), 0)::text as id from net.http_request_queue`;
    await pausedChain(ctx, async () => {
      for (let i = -WARMUP; i < CALLS; i++) {
        const list = prompts(PROMPTS, `overhead-${i}`);
        const a = await startExecution(ctx, member, { prompts: list });
        const r = await rawInsert(sql, member, list);
        const p = await productInsert(sql, member, list);
        const u = await userTransaction(conn, member, prompts(PROMPTS, `overhead-user-${i}`));
        if (i >= 0) {
          api.push(a.ms);
          raw.push(r);
          product.push(p);
          userTx.push(u);
        }
      }
      await sql`delete from public.workflow_executions where workflow_id = ${member.workflowId}`;
      await sql`delete from net.http_request_queue where id > ${firstQueued}`;
    }).finally(() => conn.end({ timeout: 5 }));
    const a = summarize(api);
    const r = summarize(raw);
    const p = summarize(product);
    const u = summarize(userTx);
    const numbers = {
      api_p50_ms: round(a.p50, 1),
      api_p95_ms: round(a.p95, 1),
      raw_sql_p50_ms: round(r.p50, 1),
      raw_sql_p95_ms: round(r.p95, 1),
      product_sql_p50_ms: round(p.p50, 1),
      user_tx_p50_ms: round(u.p50, 1),
    };
    return [
      {
        benchmark: "request-overhead",
        figure: `start-execution (${PROMPTS} prompts) p50 / raw SQL p50`,
        ratio: a.p50 / r.p50,
        target: { op: "<=", value: TARGET },
        numbers,
        details: { calls: CALLS, warmup: WARMUP, api: a, raw: r, product_sql: p, user_tx: u },
      },
      {
        benchmark: "request-overhead",
        figure: `start-execution (${PROMPTS} prompts) p95 / raw SQL p95`,
        ratio: a.p95 / r.p95,
        target: { op: "<=", value: TARGET },
        numbers: { api_p95_ms: round(a.p95, 1), raw_sql_p95_ms: round(r.p95, 1) },
      },
      {
        benchmark: "request-overhead",
        figure: `the function's transaction sent as the member by a client, p50 / raw SQL p50`,
        ratio: u.p50 / r.p50,
        target: null,
        numbers: { user_tx_p50_ms: round(u.p50, 1), raw_sql_p50_ms: round(r.p50, 1) },
      },
      {
        benchmark: "request-overhead",
        figure: `start-execution p50 / the same transaction sent by a client p50 (HTTP, gateway, ` +
          `worker)`,
        ratio: a.p50 / u.p50,
        target: null,
        numbers: { api_p50_ms: round(a.p50, 1), user_tx_p50_ms: round(u.p50, 1) },
      },
    ];
  },
};
