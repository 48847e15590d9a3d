-- Replaces 20261203020000's private.claim_batch_items: the same, plus 'at_share' in its answer.
-- A link whose client holds its whole fair share of the global cap (or its client cap) and
-- which has items in flight polled the claim every 100 ms for a freed slot, under the global
-- claim lock. With 50 clients at a share of 2 that was ~10 claims a second per link beside the
-- one per completion, and a helper link holding nothing polled (wait_for_batch_slot, 'poll')
-- until its budget ended: 2.7 claims and one wait_for_batch_slot per item, the backends
-- waiting on the advisory lock most of the run (bench/fleet.ts). At its share only this
-- client's own completions (or fewer active clients) can give it more, and they wake the link
-- that holds its items: that link now waits for them, and a helper with nothing in flight
-- ends unless a predecessor is handing the execution over (shared/batch/link.ts).
-- capped_by is unchanged ('global' at the share), so callers that read it see no difference.

create or replace function private.claim_batch_items(p_execution_id uuid, p_limit integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  e record;
  v_exec_busy integer;
  v_client_busy integer;
  v_global_busy integer;
  v_active_clients integer;
  v_client_cap integer;
  v_free integer;
  v_capped text;
  v_items jsonb := '[]'::jsonb;
  v_pending integer;
  v_next_due timestamptz;
begin
  select * into s from private.batch_settings;
  select x.id, x.client_id, x.status, x.concurrency, x.completed_at, x.storage_reconciled_at
  into e
  from public.workflow_executions x
  where x.id = p_execution_id
  for no key update;
  if not found then
    return jsonb_build_object('state', 'missing', 'items', v_items);
  end if;
  if e.status not in ('pending', 'processing') then
    return jsonb_build_object('state', e.status, 'finalised', e.completed_at is not null,
      'reconciled', e.storage_reconciled_at is not null, 'items', v_items);
  end if;

  -- A lease that ran out means its link died (or stalled past the lease): back to the queue.
  -- pending_storage_path is kept so the next claimer can remove a half-finished upload.
  -- Attempts are not reset, so an item that keeps killing its worker ends as failed.
  update public.workflow_batch_results r
  set status = case when r.attempts >= s.max_attempts then 'failed' else 'pending' end,
      error_message = case when r.attempts >= s.max_attempts
        then format('Gave up after %s attempts: the worker stopped responding', r.attempts)
        else r.error_message end,
      completed_at = case when r.attempts >= s.max_attempts then now() end,
      next_attempt_at = now(),
      lease_token = null,
      leased_until = null
  where r.execution_id = p_execution_id
    and r.status = 'processing'
    and (r.leased_until is null or r.leased_until <= now());

  select count(*) into v_exec_busy
  from public.workflow_batch_results r
  where r.execution_id = p_execution_id and r.status = 'processing';

  perform pg_advisory_xact_lock(hashtextextended('masstock:batch:client:' || e.client_id::text, 0));
  select count(*) into v_client_busy
  from public.workflow_batch_results r
  where r.client_id = e.client_id and r.status = 'processing' and r.leased_until > now();

  perform pg_advisory_xact_lock(hashtextextended('masstock:batch:global', 0));
  select count(*) into v_global_busy
  from public.workflow_batch_results r
  where r.status = 'processing' and r.leased_until > now();

  -- Fair share: first come, first served let the first client's link (which refills a slot
  -- the moment an item ends) keep the global slots while capped links polled for them, so
  -- one client finished in half the time of the others. Each client with unfinished work
  -- gets at most ceil(global / active clients) of the global cap (this one included), so
  -- slots freed by a client at its share go to the others.
  select count(distinct x.client_id) into v_active_clients
  from public.workflow_executions x
  where x.completed_at is null and x.status in ('pending', 'processing');
  v_client_cap := least(s.client_concurrency,
    ceil(s.global_concurrency::numeric / greatest(v_active_clients, 1))::integer);

  v_free := least(greatest(p_limit, 0), e.concurrency - v_exec_busy,
    v_client_cap - v_client_busy, s.global_concurrency - v_global_busy);
  v_capped := case
    when e.concurrency - v_exec_busy <= 0 then 'execution'
    when s.client_concurrency - v_client_busy <= 0 then 'client'
    -- At its share of the global cap: reported as global so the link keeps polling.
    when v_client_cap - v_client_busy <= 0 then 'global'
    when s.global_concurrency - v_global_busy <= 0 then 'global'
  end;

  if v_free > 0 then
    with picked as (
      select r.id, r.pending_storage_path as stale_path
      from public.workflow_batch_results r
      where r.execution_id = p_execution_id
        and r.status = 'pending'
        and r.next_attempt_at <= now()
      order by r.batch_index
      limit v_free
      for update skip locked
    ),
    claimed as (
      update public.workflow_batch_results r
      set status = 'processing',
          attempts = r.attempts + 1,
          lease_token = gen_random_uuid(),
          leased_until = now() + make_interval(secs => s.lease_seconds),
          -- The object name (without extension: the mime type is known after generation)
          -- is fixed before any upload, so a crash leaves a name to clean up.
          pending_storage_path = format('%s/%s_%s', r.execution_id, r.batch_index,
            (extract(epoch from clock_timestamp()) * 1000)::bigint)
      from picked
      where r.id = picked.id
      returning r.id, r.batch_index, r.prompt_text, r.attempts, r.lease_token,
        r.pending_storage_path, picked.stale_path
    )
    select coalesce(jsonb_agg(jsonb_build_object(
        'id', c.id, 'batch_index', c.batch_index, 'prompt', c.prompt_text,
        'attempts', c.attempts, 'lease_token', c.lease_token,
        'storage_stem', c.pending_storage_path, 'stale_stem', c.stale_path
      ) order by c.batch_index), '[]'::jsonb)
    into v_items
    from claimed c;

    if jsonb_array_length(v_items) > 0 and e.status = 'pending' then
      update public.workflow_executions x
      set status = 'processing', started_at = coalesce(x.started_at, now())
      where x.id = p_execution_id;
    end if;
  end if;

  -- Capacity this claim leaves unused (its execution has nothing more to take) goes to the
  -- executions waiting for it, under the same locks the waiters registered under.
  if jsonb_array_length(v_items) > 0 then
    delete from private.batch_waitlist q where q.execution_id = p_execution_id;
  end if;
  perform private.wake_batch_waiters(e.client_id);

  select count(*), min(r.next_attempt_at) into v_pending, v_next_due
  from public.workflow_batch_results r
  where r.execution_id = p_execution_id and r.status = 'pending';

  -- Nothing queued, nothing in flight (e.g. the last expired lease just ran out of
  -- attempts): this claim is the last writer, so it finalises.
  if v_pending = 0 and v_exec_busy = 0 and jsonb_array_length(v_items) = 0 then
    perform private.finalize_execution(p_execution_id);
    return jsonb_build_object('state', 'finished', 'finalised', true, 'reconciled', false,
      'items', v_items);
  end if;

  return jsonb_build_object(
    'state', 'active',
    'items', v_items,
    'capped_by', v_capped,
    -- The client holds its whole share (or cap), this claim's items included: only its own
    -- completions (or fewer active clients) free a slot for it.
    'at_share', v_client_busy + jsonb_array_length(v_items) >= v_client_cap,
    'pending', v_pending,
    'in_flight', v_exec_busy + jsonb_array_length(v_items),
    'next_due_in_ms', case when v_next_due is null then null
      else greatest(0, (extract(epoch from v_next_due - now()) * 1000)::bigint) end,
    'lease_seconds', s.lease_seconds,
    'max_attempts', s.max_attempts
  );
end
$$;
comment on function private.claim_batch_items(uuid, integer) is 'Leases up to p_limit due pending items of an execution in batch order, within the per-execution and per-client caps and the client''s fair share of the global cap (ceil(global / clients with unfinished executions)); requeues expired leases first and kicks waiting executions the capacity it leaves unused can serve. Returns {state, items[], capped_by, at_share, pending, in_flight, next_due_in_ms, ...}.';
revoke all on function private.claim_batch_items(uuid, integer) from public, anon, authenticated;
grant execute on function private.claim_batch_items(uuid, integer) to service_role;
