-- Per-tenant quotas on starting work. One request through the database API created 200
-- executions and 20,000 queued items in 3.5 s; nothing but the caps on items in flight held.
-- Every start by an API session (the functions run as the caller, so theirs too) is now
-- counted against its client's limits, each a platform default that a client's own row may
-- raise or lower:
--   executions started per minute, unfinished executions at once, queued (pending) items, and
--   bytes of input_data per day.
-- A refusal is SQLSTATE MS429 with hint quota_exceeded and a JSON detail {quota, limit,
-- retry_after_seconds}: 429 with Retry-After through the functions, that error through the
-- database API. Trusted writers (service_role, postgres) are not counted.

create table private.quota_defaults (
  id boolean primary key default true check (id),
  executions_per_minute integer not null default 60 check (executions_per_minute >= 0),
  max_concurrent_executions integer not null default 25 check (max_concurrent_executions >= 0),
  max_queued_items integer not null default 10000 check (max_queued_items >= 0),
  max_input_bytes_per_day bigint not null default 1073741824 check (max_input_bytes_per_day >= 0)
);
comment on table private.quota_defaults is 'Platform default quotas per client (single row); private.client_quotas overrides them per client.';
comment on column private.quota_defaults.executions_per_minute is 'Executions a client may start in any 60 seconds.';
comment on column private.quota_defaults.max_concurrent_executions is 'Unfinished executions a client may have at once.';
comment on column private.quota_defaults.max_queued_items is 'Pending (queued, not yet claimed) items across a client''s executions, the new ones included.';
comment on column private.quota_defaults.max_input_bytes_per_day is 'Bytes of input_data (prompts and reference images) a client may submit in any 24 hours.';
insert into private.quota_defaults default values;
revoke all on private.quota_defaults from public, anon, authenticated, service_role;

create table private.client_quotas (
  client_id uuid primary key references public.clients (id) on delete cascade,
  executions_per_minute integer check (executions_per_minute >= 0),
  max_concurrent_executions integer check (max_concurrent_executions >= 0),
  max_queued_items integer check (max_queued_items >= 0),
  max_input_bytes_per_day bigint check (max_input_bytes_per_day >= 0),
  updated_at timestamptz not null default now()
);
comment on table private.client_quotas is 'Per-client quota overrides; a null column means the platform default (private.quota_defaults).';
revoke all on private.client_quotas from public, anon, authenticated, service_role;

-- What a start costs in bytes, fixed when it starts (the day's sum reads this, not the rows).
alter table public.workflow_executions add column input_bytes integer;
comment on column public.workflow_executions.input_bytes is 'Size of input_data when the run started (set by trigger); counted against the client''s daily input quota.';

create or replace function private.set_execution_input_bytes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.input_bytes := pg_column_size(new.input_data);
  return new;
end
$$;
comment on function private.set_execution_input_bytes() is 'BEFORE INSERT on workflow_executions: records the size of input_data for the daily input quota.';
revoke all on function private.set_execution_input_bytes() from public;

create trigger set_execution_input_bytes before insert on public.workflow_executions
  for each row execute function private.set_execution_input_bytes();
comment on trigger set_execution_input_bytes on public.workflow_executions is 'input_bytes is the database''s measure, never the caller''s.';

-- Queued items per client: the quota's count, one index range.
create index workflow_batch_results_client_pending
  on public.workflow_batch_results (client_id)
  where status = 'pending';
comment on index public.workflow_batch_results_client_pending is 'Pending items per client (the queued-items quota).';

create or replace function private.client_quota(p_client_id uuid)
returns private.quota_defaults
language sql
stable
security definer
set search_path = ''
as $$
  select true,
    coalesce(q.executions_per_minute, d.executions_per_minute),
    coalesce(q.max_concurrent_executions, d.max_concurrent_executions),
    coalesce(q.max_queued_items, d.max_queued_items),
    coalesce(q.max_input_bytes_per_day, d.max_input_bytes_per_day)
  from private.quota_defaults d
  left join private.client_quotas q on q.client_id = p_client_id
$$;
comment on function private.client_quota(uuid) is 'A client''s effective quotas: its overrides, else the platform defaults.';
revoke all on function private.client_quota(uuid) from public, anon;
-- The quota trigger runs as the caller (it must know who that is) and reads the limits here.
grant execute on function private.client_quota(uuid) to authenticated, service_role;

create or replace function private.enforce_client_quotas()
returns trigger
language plpgsql
-- invoker on purpose: current_user must be the caller's role (a definer would always be
-- postgres). The counts need no more than the caller sees: a member sees every execution and
-- item of their client, an admin all of them.
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
  if current_user not in ('authenticated', 'anon') then
    return null;
  end if;
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
    select count(*) + coalesce(jsonb_array_length(new.input_data -> 'prompts'), 0) into v_count
    from public.workflow_batch_results r
    where r.client_id = new.client_id and r.status = 'pending';
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
comment on function private.enforce_client_quotas() is 'AFTER INSERT of a pending execution by an API session: refuses (MS429 quota_exceeded, detail {quota, limit, retry_after_seconds}) a start over the client''s per-minute, concurrent, queued-items or daily-bytes quota.';
revoke all on function private.enforce_client_quotas() from public;

-- Named to fire before executions_after_insert (name order), so a refused start writes no
-- ledger and enqueues nothing, even for the rest of its transaction.
create trigger enforce_client_quotas after insert on public.workflow_executions
  for each row when (new.status = 'pending')
  execute function private.enforce_client_quotas();
comment on trigger enforce_client_quotas on public.workflow_executions is 'Per-tenant quotas on starting work (see private.quota_defaults / client_quotas).';
