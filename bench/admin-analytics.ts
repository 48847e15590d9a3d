// Benchmark: the admin console's analytics on the "RLS at scale" data set (1,000 clients,
// 200,000 executions, ~2,000,000 results), called as the admin through the product's SQL
// functions (role authenticated, the admin's claims), against the baseline of the same answer
// aggregated straight from workflow_executions as the table owner. The target is absolute:
// p50 <= 50 ms for each; the ratio shows what the rollup buys.
import postgres from "postgres";
import { datasetExists, generateDataset } from "./rls-dataset.ts";
import { round, summarize } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const WARMUP = 10;
const REPS = 100;
const P50_TARGET_MS = 50;
const ADMIN = "a0000000-0000-4000-8000-000000000001";

interface Query {
  figure: string;
  /** The product's call, as the admin (RLS, the function's admin gate). */
  product: string;
  /** The same numbers computed from the executions themselves, as the owner. */
  naive: string;
  /** A number both answers must agree on. */
  agree: string;
}

const finished = `from public.workflow_executions e where e.completed_at is not null`;

const queries: Query[] = [
  {
    figure: "success by client (runs + items)",
    product: `select * from private.analytics_success_by_client()`,
    naive: `select e.client_id, count(*) as executions,
        count(*) filter (where e.status = 'completed') as completed,
        sum((e.output_data ->> 'total')::int) as items_total,
        sum((e.output_data ->> 'successful')::int) as items_successful
      ${finished} group by e.client_id`,
    agree: "executions",
  },
  {
    figure: "top workflows (10)",
    product: `select * from private.analytics_top_workflows(10)`,
    naive: `select e.workflow_id, count(*) as executions,
        sum((e.output_data ->> 'successful')::int) as items_successful
      ${finished} group by e.workflow_id order by count(*) desc, e.workflow_id limit 10`,
    agree: "executions",
  },
  {
    figure: "usage + revenue per client per month",
    product: `select * from private.analytics_usage_by_month()`,
    naive: `select e.client_id, date_trunc('month', e.created_at at time zone 'UTC') as month,
        count(*) as executions, sum((e.output_data ->> 'successful')::int) as items_successful,
        sum(coalesce((e.output_data ->> 'revenue')::numeric, 0)) as revenue,
        sum(coalesce(e.provider_cost, 0)) as provider_cost
      ${finished} group by 1, 2`,
    agree: "executions",
  },
];

async function timed(
  conn: postgres.Sql,
  statement: string,
  asAdmin: boolean,
): Promise<{ ms: number; rows: postgres.Row[] }> {
  const claims = JSON.stringify({ sub: ADMIN, role: "authenticated", aud: "authenticated" });
  const started = performance.now();
  const rows = await conn.begin(async (tx) => {
    if (asAdmin) {
      await tx.unsafe(
        `select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`,
        [claims],
      );
    }
    return await tx.unsafe(statement);
  });
  return { ms: performance.now() - started, rows: [...rows] };
}

const total = (rows: postgres.Row[], key: string) =>
  rows.reduce((sum, r) => sum + Number(r[key] ?? 0), 0);

export const adminAnalytics: Benchmark = {
  name: "admin-analytics",
  description: "admin analytics (rollup) at 1,000 clients / 200k executions: p50 <= 50 ms",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    if (await datasetExists(ctx.sql)) {
      ctx.log("  data set already present");
    } else {
      ctx.log("  generating the data set");
      await generateDataset(ctx.sql, ctx.log);
    }
    const conn = postgres(ctx.state.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const results: BenchResult[] = [];
      for (const q of queries) {
        ctx.log(`  measuring ${q.figure}`);
        const product: number[] = [];
        const naive: number[] = [];
        let productRows: postgres.Row[] = [];
        let naiveRows: postgres.Row[] = [];
        for (let i = 0; i < WARMUP + REPS; i++) {
          const order = i % 2 === 0 ? [true, false] : [false, true];
          for (const viaProduct of order) {
            const { ms, rows } = await timed(conn, viaProduct ? q.product : q.naive, viaProduct);
            if (i < WARMUP) continue;
            if (viaProduct) {
              product.push(ms);
              productRows = rows;
            } else {
              naive.push(ms);
              naiveRows = rows;
            }
          }
        }
        const p = summarize(product);
        const n = summarize(naive);
        const agreeProduct = total(productRows, q.agree);
        const agreeNaive = total(naiveRows, q.agree);
        results.push({
          benchmark: "admin-analytics",
          figure: `${q.figure}: product p50 / naive aggregation p50`,
          ratio: round(p.p50 / n.p50, 4),
          target: { op: "<=", value: 1 },
          numbers: {
            product_p50_ms: round(p.p50),
            product_p95_ms: round(p.p95),
            naive_p50_ms: round(n.p50),
            rows: productRows.length,
          },
          checks: [
            {
              name: `p50 <= ${P50_TARGET_MS} ms`,
              pass: p.p50 <= P50_TARGET_MS,
              detail: `${round(p.p50)} ms`,
            },
            {
              name: "same totals as the executions",
              // top-workflows compares its top 10 only; the others the whole answer.
              pass: agreeProduct === agreeNaive,
              detail: `${agreeProduct} vs ${agreeNaive}`,
            },
          ],
          details: { reps: REPS },
        });
      }
      return results;
    } finally {
      await conn.end({ timeout: 5 });
    }
  },
};
