-- The safety net of the pg_net chain. Links die (worker killed at the wall-clock limit, host
-- crash, pg_net request lost); the ledger notices through expired leases and silence, and
-- pg_cron restarts the chain. Also keeps pg_net's and pg_cron's own tables from growing.

create index workflow_executions_unreconciled
  on public.workflow_executions (completed_at)
  where completed_at is not null and storage_reconciled_at is null;
comment on index public.workflow_executions_unreconciled is 'Finished executions whose storage folder still needs the orphan check.';

create or replace function private.sweep_batches()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  v record;
  e record;
  v_n integer;
  v_requeued integer := 0;
  v_finalised integer := 0;
  v_kicked integer := 0;
  v_reconcile_kicks integer := 0;
begin
  select * into s from private.batch_settings;

  for v in
    select x.id from public.workflow_executions x
    where x.completed_at is null
    order by x.created_at
    limit 500
  loop
    -- A link holding the row right now is alive and busy with it: leave it alone.
    select x.id, x.status, x.last_kicked_at into e
    from public.workflow_executions x
    where x.id = v.id and x.completed_at is null
    for no key update skip locked;
    if not found then
      continue;
    end if;

    -- Expired leases: their link is gone. Same rule as in claim_batch_items; in a cancelled
    -- run the item is not retried.
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
    v_requeued := v_requeued + v_n;

    if private.finalize_execution(e.id) is not null then
      v_finalised := v_finalised + 1;
      continue;
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
      v_kicked := v_kicked + 1;
    end if;
  end loop;

  -- Finished runs whose orphan check never happened (finalised by cancel or by this sweep,
  -- or their last link died first): a link does the check.
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
comment on function private.sweep_batches() is 'Recovers stalled chains: requeues expired leases, finalises runs with nothing left, re-kicks executions with due work and no live lease, and asks for the orphan check of finished runs. Called by pg_cron; tests call it directly.';
revoke all on function private.sweep_batches() from public, anon, authenticated;
grant execute on function private.sweep_batches() to service_role;

create or replace function private.cleanup_batch_history()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  v_responses integer;
  v_runs integer;
begin
  select * into s from private.batch_settings;
  delete from net._http_response where created < now() - s.response_ttl;
  get diagnostics v_responses = row_count;
  delete from cron.job_run_details where end_time < now() - s.cron_history_ttl;
  get diagnostics v_runs = row_count;
  return jsonb_build_object('http_responses', v_responses, 'cron_runs', v_runs);
end
$$;
comment on function private.cleanup_batch_history() is 'Deletes pg_net responses and pg_cron run details older than the configured bounds.';
revoke all on function private.cleanup_batch_history() from public, anon, authenticated;
grant execute on function private.cleanup_batch_history() to service_role;

do $$
begin
  -- pg_cron 1.5+ (Supabase) takes sub-minute intervals, so retries and dead links are picked
  -- up within seconds; older pg_cron (1.4 on Debian 12) refuses them: every minute then.
  begin
    perform cron.schedule('masstock-batch-sweep', '10 seconds', 'select private.sweep_batches()');
  exception when others then
    perform cron.schedule('masstock-batch-sweep', '* * * * *', 'select private.sweep_batches()');
  end;
  perform cron.schedule('masstock-batch-cleanup', '*/10 * * * *', 'select private.cleanup_batch_history()');
end
$$;
