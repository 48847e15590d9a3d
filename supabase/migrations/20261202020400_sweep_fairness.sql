-- The recovery sweep looked at the 500 oldest unfinished executions by created_at. One member
-- inserting 500 executions dated 1970 (created_at is no longer insertable, but 500 real stalled
-- runs of one tenant do the same) kept every other client's stalled chain from being restarted.
-- Now the sweep finds stalled work by what makes it stalled, each through an index:
--   * expired leases, by lease end;
--   * chains nobody kicked lately, by last kick, at most sweep_per_client executions of each
--     client per pass (least recently kicked first), so one tenant's backlog costs its own
--     rows only and every client with stalled work gets its turn in every pass.
-- Replaces 20261123020600's private.sweep_batches(); what it does to each execution is the
-- same (requeue expired leases, finalise when nothing is left, re-kick due work without a live
-- lease).

create index workflow_batch_results_lease_expiry
  on public.workflow_batch_results (leased_until)
  where status = 'processing';
comment on index public.workflow_batch_results_lease_expiry is 'Expired leases across all executions, oldest first (the sweep''s first pass).';

create index workflow_executions_sweep_queue
  on public.workflow_executions (client_id, last_kicked_at nulls first)
  where completed_at is null;
comment on index public.workflow_executions_sweep_queue is 'Unfinished executions per client, least recently kicked first (the sweep''s per-client pass).';

alter table private.batch_settings
  add column sweep_per_client integer not null default 20 check (sweep_per_client >= 1),
  add column sweep_max integer not null default 500 check (sweep_max >= 1);
comment on column private.batch_settings.sweep_per_client is 'Executions of one client the sweep looks at per pass (least recently kicked first): one tenant''s backlog cannot crowd out the others.';
comment on column private.batch_settings.sweep_max is 'Executions the sweep looks at per pass in all (expired leases and stalled chains each).';

-- One execution's recovery. Returns what it did: {requeued: items, finalised, kicked}.
create or replace function private.sweep_execution(p_execution_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  e record;
  v_n integer;
begin
  select * into s from private.batch_settings;
  -- A link holding the row right now is alive and busy with it: leave it alone.
  select x.id, x.status, x.last_kicked_at into e
  from public.workflow_executions x
  where x.id = p_execution_id and x.completed_at is null
  for no key update skip locked;
  if not found then
    return jsonb_build_object('requeued', 0, 'finalised', false, 'kicked', false);
  end if;

  -- Expired leases: their link is gone. Same rule as in claim_batch_items; in a cancelled run
  -- the item is not retried.
  update public.workflow_batch_results r
  set status = case
        when e.status = 'cancelled' then 'cancelled'
        when r.attempts >= s.max_attempts then 'failed'
        else 'pending'
      end,
      error_message = case
        when e.status = 'cancelled' then 'Cancelled while its worker was lost'
        when r.attempts >= s.max_attempts
          then format('Gave up after %s attempts: the worker stopped responding', r.attempts)
        else r.error_message
      end,
      completed_at = case when e.status = 'cancelled' or r.attempts >= s.max_attempts then now() end,
      next_attempt_at = now(),
      lease_token = null,
      leased_until = null
  where r.execution_id = e.id
    and r.status = 'processing'
    and (r.leased_until is null or r.leased_until <= now());
  get diagnostics v_n = row_count;

  if private.finalize_execution(e.id) is not null then
    return jsonb_build_object('requeued', v_n, 'finalised', true, 'kicked', false);
  end if;

  -- A stopped chain: due work, nobody holding a lease on it, and no recent kick.
  if e.status in ('pending', 'processing')
    and (e.last_kicked_at is null
         or e.last_kicked_at < now() - make_interval(secs => s.kick_grace_seconds))
    and exists (
      select 1 from public.workflow_batch_results r
      where r.execution_id = e.id and r.status = 'pending' and r.next_attempt_at <= now()
    )
    and not exists (
      select 1 from public.workflow_batch_results r
      where r.execution_id = e.id and r.status = 'processing' and r.leased_until > now()
    ) then
    perform private.kick_execution(e.id);
    return jsonb_build_object('requeued', v_n, 'finalised', false, 'kicked', true);
  end if;
  return jsonb_build_object('requeued', v_n, 'finalised', false, 'kicked', false);
end
$$;
comment on function private.sweep_execution(uuid) is 'Recovers one execution (unless a link holds it): requeues expired leases, finalises it when nothing is left, re-kicks due work without a live lease. Returns {requeued, finalised, kicked}.';
revoke all on function private.sweep_execution(uuid) from public, anon, authenticated;
grant execute on function private.sweep_execution(uuid) to service_role;

create or replace function private.sweep_batches()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  v record;
  v_done jsonb;
  v_seen uuid[] := '{}';
  v_requeued integer := 0;
  v_finalised integer := 0;
  v_kicked integer := 0;
  v_reconcile_kicks integer := 0;
begin
  select * into s from private.batch_settings;

  -- 1. Expired leases, found by lease end. Only links take leases (never a member), and at
  -- most global_concurrency are out at once, so this pass needs no per-client share.
  for v in
    select r.execution_id as id
    from public.workflow_batch_results r
    where r.status = 'processing' and (r.leased_until is null or r.leased_until <= now())
    group by r.execution_id
    order by min(r.leased_until) nulls first
    limit s.sweep_max
  loop
    v_done := private.sweep_execution(v.id);
    v_seen := v_seen || v.id;
    v_requeued := v_requeued + (v_done ->> 'requeued')::integer;
    v_finalised := v_finalised + (v_done ->> 'finalised')::boolean::integer;
    v_kicked := v_kicked + (v_done ->> 'kicked')::boolean::integer;
  end loop;

  -- 2. Chains nobody kicked lately: per client, the least recently kicked first, at most
  -- sweep_per_client each; then across clients by the same order, at most sweep_max.
  for v in
    select c.id
    from (
      select distinct x.client_id from public.workflow_executions x where x.completed_at is null
    ) cl
    cross join lateral (
      select x.id, x.last_kicked_at
      from public.workflow_executions x
      where x.client_id = cl.client_id
        and x.completed_at is null
        and (x.last_kicked_at is null
             or x.last_kicked_at < now() - make_interval(secs => s.kick_grace_seconds))
      order by x.last_kicked_at nulls first
      limit s.sweep_per_client
    ) c
    order by c.last_kicked_at nulls first
    limit s.sweep_max
  loop
    continue when v.id = any (v_seen);
    v_done := private.sweep_execution(v.id);
    v_requeued := v_requeued + (v_done ->> 'requeued')::integer;
    v_finalised := v_finalised + (v_done ->> 'finalised')::boolean::integer;
    v_kicked := v_kicked + (v_done ->> 'kicked')::boolean::integer;
  end loop;

  -- 3. Finished runs whose orphan check never happened (finalised by cancel or by this sweep,
  -- or their last link died first): a link does the check. completed_at is the database's.
  for v in
    select x.id from public.workflow_executions x
    where x.completed_at is not null
      and x.storage_reconciled_at is null
      and x.completed_at < now() - make_interval(secs => s.kick_grace_seconds)
      and (x.last_kicked_at is null
           or x.last_kicked_at < now() - make_interval(secs => s.kick_grace_seconds))
    order by x.completed_at
    limit 100
  loop
    perform private.kick_execution(v.id);
    v_reconcile_kicks := v_reconcile_kicks + 1;
  end loop;

  return jsonb_build_object('requeued', v_requeued, 'finalised', v_finalised,
    'kicked', v_kicked, 'reconcile_kicks', v_reconcile_kicks);
end
$$;
comment on function private.sweep_batches() is 'Recovers stalled chains, each found by index: expired leases by lease end, then per client the least recently kicked unfinished executions (sweep_per_client each), then finished runs without their orphan check. Called by pg_cron; tests call it directly.';
