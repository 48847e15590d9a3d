-- The queued-items quota without counting the queue. Every start counted its client's pending
-- items (index workflow_batch_results_client_pending, through RLS): 1 ms at 11,000 pending
-- items, 11.6 ms at 60,000 (bench: request-overhead, track_functions), so a start got slower
-- the more work its client had queued. The database now keeps the count itself:
--
-- private.client_queued_item_deltas is insert-only. Statement-level triggers on
-- workflow_batch_results append, per statement and client, how many rows became pending minus
-- how many stopped being pending (a start's ledger insert +100, a claim -k, a cancel -n, a
-- retry or an expired lease +k, a delete -n). A client's queued items are the sum of its rows.
-- Appending never waits for anyone (no row is updated), so concurrent claims, completions
-- and starts of one client never queue behind a counter row, and a rolled-back statement's
-- rows vanish with it. The rows of a client are collapsed into one when a start finds more
-- than 32 of them, and every 10 minutes by pg_cron; collapsing deletes rows and inserts their
-- sum in one statement, so the total stays exact whoever appends meanwhile.
--
-- The quota trigger itself becomes security definer (its counts no longer pay RLS per row:
-- RLS had already accepted the row, and a member sees every run and item of their client
-- anyway); who is counted moves into the trigger's WHEN, where current_user is still the
-- caller.

create table private.client_queued_item_deltas (
  id bigint generated always as identity primary key,
  client_id uuid not null,
  delta integer not null
);
comment on table private.client_queued_item_deltas is 'Insert-only changes of each client''s pending items (workflow_batch_results status pending), appended per statement by trigger; a client''s queued items are the sum of its rows (private.client_queued_items).';
comment on column private.client_queued_item_deltas.delta is 'Rows that became pending minus rows that stopped being pending, in one statement, for this client.';
-- No foreign key: deleting a client deletes its items, whose trigger appends the last delta
-- for the client being deleted in the same statement.
create index client_queued_item_deltas_client on private.client_queued_item_deltas (client_id);
comment on index private.client_queued_item_deltas_client is 'A client''s deltas: the queued-items quota sums them.';
revoke all on private.client_queued_item_deltas from public, anon, authenticated, service_role;

create or replace function private.count_queued_items_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.client_queued_item_deltas (client_id, delta)
  select n.client_id, count(*)::integer
  from new_rows n
  where n.status = 'pending'
  group by n.client_id
  order by n.client_id;
  return null;
end
$$;
comment on function private.count_queued_items_inserted() is 'AFTER INSERT (statement) on workflow_batch_results: appends each client''s new pending rows to private.client_queued_item_deltas.';
revoke all on function private.count_queued_items_inserted() from public;

create or replace function private.count_queued_items_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.client_queued_item_deltas (client_id, delta)
  select x.client_id, sum(x.d)::integer
  from (
    select n.client_id, 1 as d from new_rows n where n.status = 'pending'
    union all
    select o.client_id, -1 as d from old_rows o where o.status = 'pending'
  ) x
  group by x.client_id
  having sum(x.d) <> 0
  order by x.client_id;
  return null;
end
$$;
comment on function private.count_queued_items_updated() is 'AFTER UPDATE (statement) on workflow_batch_results: appends, per client, rows that became pending minus rows that stopped being pending.';
revoke all on function private.count_queued_items_updated() from public;

create or replace function private.count_queued_items_deleted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.client_queued_item_deltas (client_id, delta)
  select o.client_id, -count(*)::integer
  from old_rows o
  where o.status = 'pending'
  group by o.client_id
  order by o.client_id;
  return null;
end
$$;
comment on function private.count_queued_items_deleted() is 'AFTER DELETE (statement) on workflow_batch_results: appends each client''s deleted pending rows, negated.';
revoke all on function private.count_queued_items_deleted() from public;

create or replace function private.count_queued_items_truncated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.client_queued_item_deltas;
  return null;
end
$$;
comment on function private.count_queued_items_truncated() is 'AFTER TRUNCATE on workflow_batch_results: nothing is queued any more.';
revoke all on function private.count_queued_items_truncated() from public;

-- Nothing writes the ledger between the triggers appearing and the count being taken (in a
-- DO block: the CLI runs a migration as one implicit transaction, where LOCK is refused).
do $$
begin
  lock table public.workflow_batch_results in share row exclusive mode;
  create trigger count_queued_items_inserted after insert on public.workflow_batch_results
    referencing new table as new_rows
    for each statement execute function private.count_queued_items_inserted();
  create trigger count_queued_items_updated after update on public.workflow_batch_results
    referencing old table as old_rows new table as new_rows
    for each statement execute function private.count_queued_items_updated();
  create trigger count_queued_items_deleted after delete on public.workflow_batch_results
    referencing old table as old_rows
    for each statement execute function private.count_queued_items_deleted();
  create trigger count_queued_items_truncated after truncate on public.workflow_batch_results
    for each statement execute function private.count_queued_items_truncated();
  insert into private.client_queued_item_deltas (client_id, delta)
  select r.client_id, count(*)::integer
  from public.workflow_batch_results r
  where r.status = 'pending'
  group by r.client_id;
end
$$;
comment on trigger count_queued_items_inserted on public.workflow_batch_results is 'Keeps the queued-items count (private.client_queued_item_deltas).';
comment on trigger count_queued_items_updated on public.workflow_batch_results is 'Keeps the queued-items count (private.client_queued_item_deltas).';
comment on trigger count_queued_items_deleted on public.workflow_batch_results is 'Keeps the queued-items count (private.client_queued_item_deltas).';
comment on trigger count_queued_items_truncated on public.workflow_batch_results is 'Keeps the queued-items count (private.client_queued_item_deltas).';

create or replace function private.compact_queued_item_deltas(p_client_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  with gone as (
    delete from private.client_queued_item_deltas d
    where d.client_id = p_client_id
    returning d.delta
  )
  insert into private.client_queued_item_deltas (client_id, delta)
  select p_client_id, sum(g.delta)::integer from gone g having sum(g.delta) <> 0
$$;
comment on function private.compact_queued_item_deltas(uuid) is 'Collapses a client''s queued-item deltas into one row (none when they sum to 0); the sum is unchanged whatever is appended meanwhile.';
revoke all on function private.compact_queued_item_deltas(uuid) from public, anon, authenticated;

create or replace function private.client_queued_items(p_client_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rows integer;
  v_sum bigint;
begin
  select count(*), coalesce(sum(d.delta), 0) into v_rows, v_sum
  from private.client_queued_item_deltas d
  where d.client_id = p_client_id;
  if v_rows > 32 then
    perform private.compact_queued_item_deltas(p_client_id);
  end if;
  return v_sum;
end
$$;
comment on function private.client_queued_items(uuid) is 'A client''s pending items (the queued-items quota), from private.client_queued_item_deltas; collapses them when more than 32.';
revoke all on function private.client_queued_items(uuid) from public, anon, authenticated;

create or replace function private.compact_all_queued_item_deltas()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  c uuid;
  n integer := 0;
begin
  for c in
    select d.client_id from private.client_queued_item_deltas d
    group by d.client_id having count(*) > 1
  loop
    perform private.compact_queued_item_deltas(c);
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function private.compact_all_queued_item_deltas() is 'pg_cron, every 10 minutes: collapses the queued-item deltas of every client with more than one row; returns how many clients.';
revoke all on function private.compact_all_queued_item_deltas() from public, anon, authenticated;
grant execute on function private.compact_all_queued_item_deltas() to service_role;

select cron.schedule('masstock-queued-items-compaction', '*/10 * * * *',
  'select private.compact_all_queued_item_deltas()');

-- The quota trigger: the same four limits, the queued items from the counter.
create or replace function private.enforce_client_quotas()
returns trigger
language plpgsql
-- definer: the counts read the client's rows without RLS per row (RLS already accepted the
-- row, and the trigger's WHEN decides who is counted while current_user is the caller's).
security definer
set search_path = ''
as $$
declare
  q private.quota_defaults;
  v_count bigint;
  v_oldest timestamptz;
  v_retry integer;
  v_quota text;
  v_limit bigint;
begin
  -- Starts of one client queue here until the previous one commits, so counts are exact. An
  -- AFTER trigger: RLS has accepted the row, so no outsider can probe or hold this lock.
  perform pg_advisory_xact_lock(hashtextextended('masstock:quota:' || new.client_id::text, 0));
  q := private.client_quota(new.client_id);

  -- Rows of this statement are visible here (AFTER ROW), so a multi-row insert counts whole.
  select count(*), min(x.created_at) into v_count, v_oldest
  from public.workflow_executions x
  where x.client_id = new.client_id and x.created_at > now() - interval '1 minute';
  if v_count > q.executions_per_minute then
    v_quota := 'executions_per_minute';
    v_limit := q.executions_per_minute;
    v_retry := greatest(1, ceil(extract(epoch from v_oldest + interval '1 minute' - now())))::integer;
  end if;

  if v_quota is null then
    select count(*) into v_count from public.workflow_executions x
    where x.client_id = new.client_id and x.completed_at is null;
    if v_count > q.max_concurrent_executions then
      v_quota := 'max_concurrent_executions';
      v_limit := q.max_concurrent_executions;
      v_retry := 30;
    end if;
  end if;

  if v_quota is null then
    -- The new run's own items are written by the start trigger after this one: add them.
    v_count := private.client_queued_items(new.client_id)
      + coalesce(jsonb_array_length(new.input_data -> 'prompts'), 0);
    if v_count > q.max_queued_items then
      v_quota := 'max_queued_items';
      v_limit := q.max_queued_items;
      v_retry := 30;
    end if;
  end if;

  if v_quota is null then
    select coalesce(sum(x.input_bytes), 0), min(x.created_at) into v_count, v_oldest
    from public.workflow_executions x
    where x.client_id = new.client_id and x.created_at > now() - interval '1 day';
    if v_count > q.max_input_bytes_per_day then
      v_quota := 'max_input_bytes_per_day';
      v_limit := q.max_input_bytes_per_day;
      v_retry := greatest(1, ceil(extract(epoch from v_oldest + interval '1 day' - now())))::integer;
    end if;
  end if;

  if v_quota is not null then
    raise exception 'Quota exceeded: % (limit %). Retry in % s.', v_quota, v_limit, v_retry
      using errcode = 'MS429', hint = 'quota_exceeded',
        detail = jsonb_build_object('quota', v_quota, 'limit', v_limit,
          'retry_after_seconds', v_retry)::text;
  end if;
  return null;
end
$$;
comment on function private.enforce_client_quotas() is 'AFTER INSERT of a pending execution by an API session (the trigger''s WHEN): refuses (MS429 quota_exceeded, detail {quota, limit, retry_after_seconds}) a start over the client''s per-minute, concurrent, queued-items (private.client_queued_items) or daily-bytes quota.';
revoke all on function private.enforce_client_quotas() from public;

drop trigger enforce_client_quotas on public.workflow_executions;
-- Named to fire before executions_after_insert (name order), so a refused start writes no
-- ledger and enqueues nothing, even for the rest of its transaction.
create trigger enforce_client_quotas after insert on public.workflow_executions
  for each row when (new.status = 'pending' and current_user in ('authenticated', 'anon'))
  execute function private.enforce_client_quotas();
comment on trigger enforce_client_quotas on public.workflow_executions is 'Per-tenant quotas on starting work by API sessions (see private.quota_defaults / client_quotas); trusted writers are not counted.';
