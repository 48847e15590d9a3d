// Benchmark 4, RLS at scale: the hot reads of the product on a realistic volume, timed as the
// user through RLS and, as the baseline, as the table owner (RLS bypassed) running the same
// statements, whose explicit filters are then the only filters. Each read's figure is
// p50(rls) / p50(owner); every RLS plan must walk an index on the big tables.
import postgres from "postgres";
import { datasetExists, generateDataset } from "./rls-dataset.ts";
import type { DatasetReport } from "./rls-dataset.ts";
import { round, summarize } from "./stats.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const WARMUP = 50;
const REPS = 500;
const MEMBER_TARGET = 1.3;
const ADMIN_TARGET = 3;
const BIG_TABLES = [
  "workflow_executions",
  "workflow_batch_results",
  "support_tickets",
  "client_members",
  "users",
  "clients",
];

interface Caller {
  id: string;
  email: string;
}

interface Subject {
  caller: Caller;
  /** Parameters of the statements as the user sends them. */
  params: unknown[];
  /** Parameters of the owner's statements (the explicit filter RLS stands for). */
  ownerParams: unknown[];
}

interface Read {
  figure: string;
  audience: "member" | "admin";
  /** Statements as the product's functions send them (RLS does the filtering), timed together. */
  statements: string[];
  /** The same statements with the explicit equivalent filter, run as the table owner. */
  ownerStatements: string[];
  subjects: Subject[];
}

// supabase/functions/start-execution/view.ts: executionColumns (input_data summarised).
const executionColumns = (e: string) =>
  `${e}.id, ${e}.workflow_id, ${e}.client_id, ${e}.triggered_by_user_id, ${e}.status,
  jsonb_build_object(
    'prompt_count', jsonb_array_length(coalesce(${e}.input_data -> 'prompts', '[]')),
    'aspect_ratio', ${e}.input_data -> 'aspect_ratio',
    'image_size', ${e}.input_data -> 'image_size',
    'reference_image_count', jsonb_array_length(coalesce(${e}.input_data -> 'reference_images', '[]')),
    'uses_client_api_key', coalesce((${e}.input_data ->> 'uses_client_api_key')::boolean, false)
  ) as input,
  ${e}.output_data, ${e}.concurrency, ${e}.started_at, ${e}.completed_at, ${e}.duration_seconds,
  ${e}.error_message, ${e}.created_at, ${e}.unit_revenue::text`;

// shared/client-pages.ts as start-execution/list.ts and tickets/tickets.ts use it: an admin
// reads one global newest-first range, anyone else one range per visible client, merged.
// `scope` is the set of clients: RLS's own helper for the user, explicit ids for the owner.
const mergedPage = (table: string, select: string, scopeIds: string) => `
  select * from (
    (select ${select}, t.created_at as page_ts, to_json(t.created_at) #>> '{}' as page_cursor_ts,
       t.id as page_id
     from public.${table} t where (select private.is_admin())
     order by t.created_at desc, t.id desc limit 21)
    union all
    (select p.* from ${scopeIds} as c (client_id)
     cross join lateral (
       select ${select}, t.created_at as page_ts, to_json(t.created_at) #>> '{}' as page_cursor_ts,
         t.id as page_id
       from public.${table} t where t.client_id = c.client_id
       order by t.created_at desc, t.id desc limit 21) p
     where not (select private.is_admin()))
  ) merged
  order by page_ts desc, page_id desc
  limit 21`;
// The owner baseline: the same per-client ranges without RLS or the admin branch.
const ownerMergedPage = (table: string, select: string) => `
  select p.* from unnest($1::uuid[]) as c (client_id)
  cross join lateral (
    select ${select}, t.created_at as page_ts, to_json(t.created_at) #>> '{}' as page_cursor_ts,
      t.id as page_id
    from public.${table} t where t.client_id = c.client_id
    order by t.created_at desc, t.id desc limit 21) p
  order by page_ts desc, page_id desc
  limit 21`;
const executionsPage = mergedPage(
  "workflow_executions",
  executionColumns("t"),
  "private.my_client_ids()",
);
const ownerExecutionsPage = ownerMergedPage("workflow_executions", executionColumns("t"));
// The admin's page: one global range, as the table owner with no filter.
const globalExecutionsPage = `
  select ${executionColumns("t")}, t.created_at as page_ts,
    to_json(t.created_at) #>> '{}' as page_cursor_ts, t.id as page_id
  from public.workflow_executions t
  order by t.created_at desc, t.id desc
  limit 21`;

// start-execution/view.ts loadExecution(withResults): the row with the provider's cost (admins
// only; empty here), then the results with the caller's remembered signed URLs beside them
// (the progress counts are tallied from those rows).
const executionDetail = [
  `select ${executionColumns("e")},
     pc.unit_cost::text as cost_unit_cost, pc.provider_cost::text as cost_provider_cost
   from public.workflow_executions e
   left join lateral private.execution_provider_costs(array[e.id]) pc on true
   where e.id = $1`,
  `with r as (
     select batch_index, prompt_text as prompt, status, attempts, error_message, error_code,
       processing_time_ms, completed_at, result_storage_path as storage_path
     from public.workflow_batch_results where execution_id = $1
   )
   select r.*, c.signed_url as cached_url, c.expires_at as cached_expires_at
   from r
   left join private.cached_signed_urls(
     (select coalesce(array_agg(x.storage_path) filter (where x.storage_path is not null), '{}')
      from r x),
     75) c on c.object_path = r.storage_path
   order by r.batch_index`,
];

// supabase/functions/tickets/tickets.ts GET /, first page of 20, no filters given.
const ticketColumns =
  `t.id, t.client_id, t.user_id, t.subject, t.description, t.status, t.priority, t.assigned_to, to_json(t.created_at) #>> '{}' as created_at, t.updated_at`;
const ticketsPage = mergedPage("support_tickets", ticketColumns, "private.my_client_ids()");
const ownerTicketsPage = ownerMergedPage("support_tickets", ticketColumns);

function claimsOf(caller: Caller): string {
  return JSON.stringify({
    sub: caller.id,
    email: caller.email,
    role: "authenticated",
    aud: "authenticated",
  });
}

async function timeRead(
  conn: postgres.Sql,
  statements: string[],
  subject: Subject,
  asUser: boolean,
): Promise<{ ms: number; rows: number }> {
  let ms = 0;
  let rows = 0;
  await conn.begin(async (tx) => {
    if (asUser) {
      await tx.unsafe(
        `select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`,
        [claimsOf(subject.caller)],
      );
    }
    const t0 = performance.now();
    const params = asUser ? subject.params : subject.ownerParams;
    for (const statement of statements) {
      rows += (await tx.unsafe(statement, params as postgres.ParameterOrJSON<never>[])).length;
    }
    ms = performance.now() - t0;
  });
  return { ms, rows };
}

async function explain(
  conn: postgres.Sql,
  statements: string[],
  subject: Subject,
  asUser: boolean,
): Promise<string> {
  const parts: string[] = [];
  await conn.begin(async (tx) => {
    if (asUser) {
      await tx.unsafe(
        `select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`,
        [claimsOf(subject.caller)],
      );
    }
    for (const statement of statements) {
      const plan = await tx.unsafe(
        `explain (analyze, buffers, costs off) ${statement}`,
        (asUser ? subject.params : subject.ownerParams) as postgres.ParameterOrJSON<never>[],
      );
      parts.push(plan.map((row) => `  ${row["QUERY PLAN"]}`).join("\n"));
    }
  });
  return parts.join("\n  --\n");
}

function seqScans(plan: string): string[] {
  return [...plan.matchAll(/Seq Scan on (?:public\.)?(\w+)/g)]
    .map((m) => m[1])
    .filter((table) => BIG_TABLES.includes(table));
}

async function measure(conn: postgres.Sql, read: Read): Promise<BenchResult> {
  const rls: number[] = [];
  const owner: number[] = [];
  let rlsRows = 0;
  let ownerRows = 0;
  for (let i = 0; i < WARMUP + REPS; i++) {
    const subject = read.subjects[i % read.subjects.length];
    // Alternate which side goes first so drift and cache effects hit both alike.
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const asUser of order) {
      const statements = asUser ? read.statements : read.ownerStatements;
      const { ms, rows } = await timeRead(conn, statements, subject, asUser);
      if (i < WARMUP) continue;
      if (asUser) {
        rls.push(ms);
        rlsRows += rows;
      } else {
        owner.push(ms);
        ownerRows += rows;
      }
    }
  }
  if (rlsRows !== ownerRows) {
    throw new Error(`${read.figure}: RLS returned ${rlsRows} rows, the owner ${ownerRows}`);
  }
  const r = summarize(rls);
  const o = summarize(owner);
  const subject = read.subjects[0];
  const rlsPlan = await explain(conn, read.statements, subject, true);
  const ownerPlan = await explain(conn, read.ownerStatements, subject, false);
  const scans = seqScans(rlsPlan);
  return {
    benchmark: "rls-at-scale",
    figure: `${read.figure}: rls p50 / owner p50`,
    ratio: round(r.p50 / o.p50, 2),
    target: { op: "<=", value: read.audience === "admin" ? ADMIN_TARGET : MEMBER_TARGET },
    numbers: {
      rls_p50_ms: round(r.p50),
      rls_p95_ms: round(r.p95),
      owner_p50_ms: round(o.p50),
      owner_p95_ms: round(o.p95),
      rows: Math.round(rlsRows / REPS),
    },
    checks: [{
      name: "index only (no seq scan on big tables)",
      pass: scans.length === 0,
      detail: scans.length ? `seq scan on ${scans.join(", ")}` : undefined,
    }],
    details: {
      reps: REPS,
      warmup: WARMUP,
      subjects: read.subjects.length,
      statements: read.statements.map((s) => s.replace(/\s+/g, " ").trim()),
      owner_statements: read.ownerStatements.map((s) => s.replace(/\s+/g, " ").trim()),
      plans: { rls: rlsPlan },
      owner_plan: ownerPlan,
      rls_summary: r,
      owner_summary: o,
    },
  };
}

async function pickReads(sql: postgres.Sql): Promise<Read[]> {
  // Members of two clients (the broader RLS set), spread over the data set.
  const members = await sql<{ id: string; email: string; client_ids: string[] }[]>`
    select u.id, u.email, array_agg(cm.client_id order by cm.client_id) as client_ids
    from public.users u
    join public.client_members cm on cm.user_id = u.id
    where u.email like '%@bench.test'
    group by u.id, u.email
    having count(*) = 2
    order by u.email
    limit 50`;
  const detailSubjects = async (items: number): Promise<Subject[]> => {
    const rows = await sql<{ id: string; caller_id: string; email: string }[]>`
      select e.id, u.id as caller_id, u.email
      from public.workflow_executions e
      join public.client_members cm on cm.client_id = e.client_id and cm.role = 'collaborator'
      join public.users u on u.id = cm.user_id
      where (e.output_data ->> 'total')::int = ${items}
        and e.client_id in (select id from public.clients where email like '%@bench.test')
      order by e.created_at desc
      limit 50`;
    return rows.map((r) => ({
      caller: { id: r.caller_id, email: r.email },
      params: [r.id],
      ownerParams: [r.id],
    }));
  };
  const [admin] = await sql<Caller[]>`
    select id, email from public.users
    where role = 'admin' and status = 'active'
    order by email
    limit 1`;
  if (!admin || members.length === 0) throw new Error("bench data set has no admin or members");
  const caller = (m: Caller): Caller => ({ id: m.id, email: m.email });
  return [
    {
      figure: "executions page (member of 2 clients, 20)",
      audience: "member",
      statements: [executionsPage],
      ownerStatements: [ownerExecutionsPage],
      subjects: members.map((m) => ({
        caller: caller(m),
        params: [],
        ownerParams: [m.client_ids],
      })),
    },
    {
      figure: "execution + counts + results (member, 9 items)",
      audience: "member",
      statements: executionDetail,
      ownerStatements: executionDetail,
      subjects: await detailSubjects(9),
    },
    {
      figure: "execution + counts + results (member, 500 items)",
      audience: "member",
      statements: executionDetail,
      ownerStatements: executionDetail,
      subjects: await detailSubjects(500),
    },
    {
      figure: "tickets page (member of 2 clients, 20)",
      audience: "member",
      statements: [ticketsPage],
      ownerStatements: [ownerTicketsPage],
      subjects: members.map((m) => ({
        caller: caller(m),
        params: [],
        ownerParams: [m.client_ids],
      })),
    },
    {
      figure: "cross-client executions page (admin, 20)",
      audience: "admin",
      statements: [executionsPage],
      ownerStatements: [globalExecutionsPage],
      subjects: [{ caller: admin, params: [], ownerParams: [] }],
    },
  ];
}

export const rlsAtScale: Benchmark = {
  name: "rls-at-scale",
  description: "hot reads through RLS vs the owner on 200k executions / 2M results",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    let dataset: DatasetReport | "reused" = "reused";
    if (ctx.reused && await datasetExists(ctx.sql)) {
      ctx.log("  data set already present (--reuse)");
    } else {
      ctx.log("  generating the data set");
      dataset = await generateDataset(ctx.sql, ctx.log);
      ctx.log(`  generated in ${dataset.generation_s} s: ${JSON.stringify(dataset.rows)}`);
    }
    const reads = await pickReads(ctx.sql);
    // One connection for every timing, so pool scheduling never lands in a sample.
    const conn = postgres(ctx.state.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const results: BenchResult[] = [];
      for (const read of reads) {
        ctx.log(`  measuring ${read.figure}`);
        const result = await measure(conn, read);
        // The data set is the same for every read: recorded once.
        if (results.length === 0) result.details = { ...result.details, dataset };
        results.push(result);
      }
      return results;
    } finally {
      await conn.end({ timeout: 5 });
    }
  },
};
