// The "RLS at scale" data set, generated in SQL with generate_series through the real tables,
// triggers and constraints (auth.users -> public.users trigger, execution price snapshot,
// ticket history, membership audit): 1,000 clients, 10,000 users, ~13,000 memberships (every
// user in 1-2 clients, one owner per client), 2 workflows per client, 200,000 executions,
// ~2,000,000 batch results and 50,000 support tickets.
import type postgres from "postgres";

export const sizes = {
  clients: 1_000,
  users: 10_000,
  executions: 200_000,
  tickets: 50_000,
};

// Deterministic ids (valid v4 shapes) so the generator can relate rows without lookups.
const uid = (expr: string) =>
  `('ab000000-0000-4000-8000-' || lpad((${expr})::text, 12, '0'))::uuid`;
const cid = (expr: string) =>
  `('cb000000-0000-4000-8000-' || lpad((${expr})::text, 12, '0'))::uuid`;
const wid = (expr: string) =>
  `('eb000000-0000-4000-8000-' || lpad((${expr})::text, 12, '0'))::uuid`;
const benchClients = `(select id from public.clients where email like '%@bench.test')`;

const steps: { label: string; sql: string }[] = [
  {
    label: "10,000 auth users (-> public.users by trigger)",
    sql: `
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
        email_confirmed_at, raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at,
        updated_at, is_anonymous)
      select '00000000-0000-0000-0000-000000000000', ${uid("i")}, 'authenticated',
        'authenticated', 'user-' || i || '@bench.test', pw.hash, now(),
        '{"provider": "email", "providers": ["email"]}',
        jsonb_build_object('name', 'Bench User ' || i), false, now(), now(), false
      from generate_series(0, ${sizes.users - 1}) i,
        -- one bcrypt hash shared by all: hashing 10,000 passwords would dominate the run
        (select extensions.crypt('bench', extensions.gen_salt('bf', 4)) as hash) pw`,
  },
  {
    label: "1,000 clients",
    sql: `
      insert into public.clients (id, name, company_name, email)
      select ${cid("c")}, 'Bench Client ' || c, 'Bench Company ' || c || ' Ltd',
        'client-' || c || '@bench.test'
      from generate_series(0, ${sizes.clients - 1}) c`,
  },
  {
    label:
      "memberships (user i: owner/collaborator of client i % 1000; every third also of another)",
    sql: `
      insert into public.client_members (client_id, user_id, role)
      select ${cid(`i % ${sizes.clients}`)}, ${uid("i")},
        case when i < ${sizes.clients} then 'owner' else 'collaborator' end
      from generate_series(0, ${sizes.users - 1}) i
      union all
      select ${cid(`(i % ${sizes.clients} + i / ${sizes.clients}) % ${sizes.clients}`)},
        ${uid("i")}, 'collaborator'
      from generate_series(${sizes.clients}, ${sizes.users - 1}) i
      where i % 3 = 0`,
  },
  {
    label: "2,000 workflows (Flash and Pro per client)",
    sql: `
      insert into public.workflows (id, name, description, status, config, client_id, template_id)
      select ${wid("c * 2 + k")}, t.name || ' (client ' || c || ')', t.description, 'active',
        t.config || '{"max_prompts": 500}', ${cid("c")}, t.id
      from generate_series(0, ${sizes.clients - 1}) c
      cross join generate_series(0, 1) k
      join public.workflow_templates t
        on t.id = case k when 0 then 'd0000000-0000-4000-8000-000000000001'::uuid
                         else 'd0000000-0000-4000-8000-000000000002'::uuid end`,
  },
  {
    // 1% are 500-prompt runs, the rest 1-9 prompts: ~2,000,000 items in all. Finished runs
    // only: a pending insert would start the real processing chain.
    label: "200,000 executions (finished; 1% with 500 prompts, the rest 1-9)",
    sql: `
      insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id,
        status, input_data, output_data, started_at, completed_at, duration_seconds,
        error_message, created_at)
      select ${wid("s.c * 2 + (s.i / 1000) % 2")}, ${cid("s.c")},
        ${uid(`s.c + ${sizes.clients} * ((s.i / 1000) % 10)`)}, s.status,
        jsonb_build_object('prompts',
          (select jsonb_agg('prompt ' || p) from generate_series(1, s.n) p),
          'aspect_ratio', '1:1'),
        jsonb_build_object('total', s.n, 'successful', s.n - s.failed - s.cancelled,
          'failed', s.failed, 'cancelled', s.cancelled),
        s.t + interval '1 second', s.t + make_interval(secs => 2 + s.n * 3), 2 + s.n * 3,
        case when s.status = 'failed' then 'Some prompts were blocked by the provider' end, s.t
      from (
        select i, i % ${sizes.clients} as c, n, status,
          case when status = 'failed' then (n + 2) / 3 else 0 end as failed,
          case when status = 'cancelled' then (n + 1) / 2 else 0 end as cancelled,
          now() - make_interval(secs => i * 30) as t
        from generate_series(0, ${sizes.executions - 1}) i,
          lateral (select case when i % 100 = 0 then 500 else 1 + i % 9 end as n,
            case when i % 50 = 7 then 'failed' when i % 97 = 3 then 'cancelled'
                 else 'completed' end as status) x
      ) s`,
  },
  {
    label: "~2,000,000 batch results (mostly completed, with storage paths)",
    sql: `
      insert into public.workflow_batch_results (execution_id, batch_index, prompt_text, status,
        result_storage_path, error_message, processing_time_ms, created_at, completed_at,
        attempts, next_attempt_at)
      select e.id, g, 'prompt ' || (g + 1), st.status,
        case when st.status = 'completed'
          then e.id || '/' || g || '_' || (extract(epoch from e.created_at) * 1000)::bigint || '.png'
        end,
        case when st.status = 'failed' then 'Image blocked by safety filters (IMAGE_SAFETY)' end,
        case when st.status <> 'cancelled' then 2500 + (g * 37) % 2000 end,
        e.created_at,
        case when st.status <> 'cancelled' then e.created_at + make_interval(secs => 2 + g) end,
        case when st.status = 'cancelled' then 0 else 1 end, e.created_at
      from public.workflow_executions e
      cross join lateral generate_series(0, (e.output_data ->> 'total')::int - 1) g
      cross join lateral (
        select case when e.status = 'failed' and g % 3 = 0 then 'failed'
                    when e.status = 'cancelled' and g % 2 = 0 then 'cancelled'
                    else 'completed' end as status
      ) st
      where e.client_id in ${benchClients}`,
  },
  {
    label: "50,000 support tickets (-> status history by trigger)",
    sql: `
      insert into public.support_tickets (client_id, user_id, subject, description, status,
        priority, created_at, updated_at)
      select ${cid("s.c")}, ${uid(`s.c + ${sizes.clients} * ((s.t / 1000) % 10)`)},
        'Bench ticket ' || s.t, 'Images of run ' || s.t || ' look washed out; can you check?',
        (array['open', 'in_progress', 'resolved', 'closed'])[1 + s.t % 4],
        (array['low', 'medium', 'high', 'urgent'])[1 + (s.t / 7) % 4],
        now() - make_interval(secs => s.t * 120), now() - make_interval(secs => s.t * 120)
      from (select t, t % ${sizes.clients} as c from generate_series(0, ${sizes.tickets - 1}) t) s`,
  },
];

/** True when a previous run (--reuse) already generated the data set. */
export async function datasetExists(sql: postgres.Sql): Promise<boolean> {
  const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.clients where email like '%@bench.test'`;
  return n > 0;
}

export interface DatasetReport {
  generation_s: number;
  steps: { label: string; seconds: number }[];
  rows: Record<string, number>;
}

export async function generateDataset(
  sql: postgres.Sql,
  log: (message: string) => void,
): Promise<DatasetReport> {
  const started = performance.now();
  const timings: { label: string; seconds: number }[] = [];
  const conn = await sql.reserve();
  try {
    // Bulk load, not product behaviour: losing the last commits on a crash is fine here.
    await conn.unsafe(`set synchronous_commit = off`);
    await conn.unsafe(`set maintenance_work_mem = '256MB'`);
    await conn.unsafe(`set work_mem = '64MB'`);
    for (const step of steps) {
      const t0 = performance.now();
      await conn.unsafe(step.sql);
      const seconds = (performance.now() - t0) / 1000;
      timings.push({ label: step.label, seconds: Math.round(seconds * 10) / 10 });
      log(`  ${step.label}: ${seconds.toFixed(1)} s`);
    }
    // What autovacuum would have done by the time such a table is read: statistics for the
    // planner and a visibility map for index-only scans.
    const t0 = performance.now();
    await conn.unsafe(`vacuum (analyze) auth.users, public.users, public.clients,
      public.client_members, public.workflows, public.workflow_executions,
      public.workflow_batch_results, public.support_tickets, public.ticket_status_history,
      public.audit_logs`);
    // The analytics rollup took one update per execution inside ONE insert statement, so none
    // of those row versions could be pruned: 8,000 rows in ~21 MB. Finalising runs one
    // transaction each (HOT updates, pruned as they go) never builds that up; compact it to the
    // state the product would be in.
    await conn.unsafe(`vacuum (full, analyze) private.execution_rollups`);
    const seconds = (performance.now() - t0) / 1000;
    timings.push({ label: "vacuum analyze", seconds: Math.round(seconds * 10) / 10 });
    log(`  vacuum analyze: ${seconds.toFixed(1)} s`);
  } finally {
    conn.release();
  }
  const [rows] = await sql<Record<string, number>[]>`
    select (select count(*)::int from public.clients) as clients,
      (select count(*)::int from public.users) as users,
      (select count(*)::int from public.client_members) as memberships,
      (select count(*)::int from public.workflows) as workflows,
      (select count(*)::int from public.workflow_executions) as executions,
      (select count(*)::int from public.workflow_batch_results) as batch_results,
      (select count(*)::int from public.support_tickets) as tickets`;
  return {
    generation_s: Math.round((performance.now() - started) / 100) / 10,
    steps: timings,
    rows: { ...rows },
  };
}
