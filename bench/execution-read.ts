// Benchmark, reading one execution: `GET start-execution/:id` for a finished run of 500 results
// (every one with a stored image) through the functions host, as the client's member, ÷ the
// table owner running the same queries directly: supabase/functions/start-execution/view.ts
// loadExecution (the row, the progress counts, the 500 results, the caller's remembered signed
// URLs, the provider cost) in one transaction on its own connection, RLS bypassed. Calls
// alternate so both see the same machine load.
//
// The steady state is a frontend polling: its signed URLs were made on the first poll and are
// answered again from private.signed_url_cache. What the first poll costs on top (500 URLs
// signed by Storage with the caller's token, then remembered) is its own line: the member's
// remembered URLs are dropped before each of those calls.
import postgres from "postgres";
import { loadExecution } from "../supabase/functions/start-execution/view.ts";
import { benchMembers } from "./chain-world.ts";
import { round, summarize } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const ITEMS = 500;
const CALLS = 100;
const WARMUP = 10;
const FIRST_POLLS = 20;
const TARGET = 1.5;

interface Fixture {
  executionId: string;
  userId: string;
  email: string;
  token: string;
}

async function arrange(ctx: BenchContext): Promise<Fixture> {
  const { sql } = ctx;
  const [member] = await benchMembers(ctx, "read", 1, { max_prompts: ITEMS });
  const [{ id }] = await sql<{ id: string }[]>`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data, status, started_at,
       completed_at, duration_seconds, output_data)
    values (${member.workflowId}, ${member.clientId}, ${member.userId},
      ${sql.json({ prompts: Array.from({ length: ITEMS }, (_, i) => `read prompt ${i + 1}`) })},
      'completed', now() - interval '2 minutes', now(), 120,
      ${sql.json({ total: ITEMS, completed: ITEMS, failed: 0 })})
    returning id`;
  await sql`
    insert into public.workflow_batch_results
      (execution_id, batch_index, prompt_text, status, attempts, result_storage_path,
       processing_time_ms, completed_at)
    select ${id}, g - 1, 'read prompt ' || g, 'completed', 1,
      ${id}::text || '/' || (g - 1) || '_1700000000000.png', 3000, now()
    from generate_series(1, ${ITEMS}) g`;
  // Storage signs only objects it has: their rows (no bytes are read to sign).
  await sql`
    insert into storage.objects (bucket_id, name, metadata)
    select 'workflow-results', ${id}::text || '/' || (g - 1) || '_1700000000000.png',
      '{"mimetype": "image/png", "size": 1024}'
    from generate_series(1, ${ITEMS}) g`;
  await sql`analyze public.workflow_batch_results`;
  return { executionId: id, userId: member.userId, email: member.email, token: member.token };
}

async function apiRead(ctx: BenchContext, f: Fixture): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${ctx.state.apiUrl}/functions/v1/start-execution/${f.executionId}`, {
    headers: { authorization: `Bearer ${f.token}`, apikey: ctx.state.publishableKey },
  });
  const body = await res.json() as {
    execution?: { results?: { signed_url: string | null }[] };
  };
  const ms = performance.now() - t0;
  const results = body.execution?.results ?? [];
  if (res.status !== 200 || results.length !== ITEMS || results.some((r) => !r.signed_url)) {
    throw new Error(
      `GET start-execution/:id answered ${res.status} with ${results.length} results`,
    );
  }
  return ms;
}

/** The same statements as the owner (RLS bypassed), the member's claims set for auth.uid(). */
async function ownerRead(conn: postgres.Sql, f: Fixture): Promise<{ ms: number; sqlMs: number }> {
  const claims = JSON.stringify({ sub: f.userId, email: f.email, role: "authenticated" });
  const t0 = performance.now();
  let sqlMs = 0;
  const loaded = await conn.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true)`;
    const s0 = performance.now();
    const out = await loadExecution(tx, f.executionId, true);
    sqlMs = performance.now() - s0;
    return out;
  });
  const ms = performance.now() - t0;
  if (!loaded || loaded.results.length !== ITEMS || loaded.cachedUrls.length !== ITEMS) {
    throw new Error(
      `owner read ${loaded?.results.length} results, ${loaded?.cachedUrls.length} cached URLs`,
    );
  }
  return { ms, sqlMs };
}

export const executionRead: Benchmark = {
  name: "execution-read",
  description: `GET start-execution/:id with ${ITEMS} results via the functions host, p50 over ` +
    `${CALLS} calls ÷ the owner running the same queries`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const f = await arrange(ctx);
    // One connection for the owner, so pool scheduling never lands in a sample.
    const conn = postgres(ctx.state.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    const api: number[] = [];
    const owner: number[] = [];
    const ownerSql: number[] = [];
    const first: number[] = [];
    try {
      // The first poll signs and remembers the URLs the owner's read then finds.
      await apiRead(ctx, f);
      for (let i = -WARMUP; i < CALLS; i++) {
        const order = i % 2 === 0 ? ["api", "owner"] : ["owner", "api"];
        for (const side of order) {
          if (side === "api") {
            const ms = await apiRead(ctx, f);
            if (i >= 0) api.push(ms);
          } else {
            const { ms, sqlMs } = await ownerRead(conn, f);
            if (i >= 0) {
              owner.push(ms);
              ownerSql.push(sqlMs);
            }
          }
        }
      }
      for (let i = 0; i < FIRST_POLLS; i++) {
        await ctx.sql`delete from private.signed_url_cache where user_id = ${f.userId}`;
        first.push(await apiRead(ctx, f));
      }
    } finally {
      await conn.end({ timeout: 5 });
    }
    const a = summarize(api);
    const o = summarize(owner);
    const os = summarize(ownerSql);
    const s = summarize(first);
    return [
      {
        benchmark: "execution-read",
        figure: `GET start-execution/:id (${ITEMS} results, URLs remembered) p50 / owner p50`,
        ratio: a.p50 / o.p50,
        target: { op: "<=", value: TARGET },
        numbers: {
          api_p50_ms: round(a.p50, 1),
          api_p95_ms: round(a.p95, 1),
          owner_p50_ms: round(o.p50, 2),
          owner_p95_ms: round(o.p95, 2),
          owner_statements_p50_ms: round(os.p50, 2),
        },
        details: { calls: CALLS, warmup: WARMUP, api: a, owner: o, owner_statements: os },
      },
      {
        benchmark: "execution-read",
        figure: `first poll (${ITEMS} URLs signed by Storage and remembered) p50 / owner p50`,
        ratio: s.p50 / o.p50,
        target: null,
        numbers: {
          first_poll_p50_ms: round(s.p50, 1),
          first_poll_p95_ms: round(s.p95, 1),
          signing_p50_ms: round(s.p50 - a.p50, 1),
        },
        details: { calls: FIRST_POLLS, first_poll: s },
      },
    ];
  },
};
