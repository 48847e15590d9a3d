-- One waiting mechanism per client instead of one polling link per queued execution. A link
-- whose execution got no slot (the client's cap or its share of the global one is in use) and
-- holds nothing used to poll the claim every 100 ms under the global lock: 80 queued runs of
-- one tenant were 800 claims a second, and another tenant's first claim took 1 s instead of
-- 40 ms. Now such an execution joins private.batch_waitlist and its link ends; the claim that
-- leaves capacity unused (the execution it serves has nothing more to take) kicks the waiters
-- that capacity can serve, oldest start first, this client's own before other clients'.
-- Registering and waking both hold the client's and the global claim locks, so a slot freed
-- between a waiter's failed claim and its registration is seen by one side or the other (no
-- lost wake-up). The kick is a pg_net request in the waking transaction (sent only if it
-- commits); a woken link that loses the race registers again. The recovery sweep still
-- re-kicks every stalled execution, waiting ones included, so a lost link costs one pass.

create table private.batch_waitlist (
  execution_id uuid primary key references public.workflow_executions (id) on delete cascade,
  client_id uuid not null,
  queued_at timestamptz not null default now(),
  woken_at timestamptz
);
comment on table private.batch_waitlist is 'Executions with due work and no link, waiting for their client''s cap or share of the global cap to free (woken by the claim that frees it).';
comment on column private.batch_waitlist.woken_at is 'When a wake-up kicked it; its concurrency counts as taken for a few seconds while the kick travels.';
create index batch_waitlist_client on private.batch_waitlist (client_id);
comment on index private.batch_waitlist_client is 'Waiting executions per client (the wake-up''s first pass).';
revoke all on private.batch_waitlist from public, anon, authenticated, service_role;

-- What the claim of one client may still take right now: {client_spare, global_spare, share}.
-- The caller holds the client's and the global claim locks (taken here too; they stack).
create function private.batch_capacity(p_client_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  v_client_busy integer;
  v_global_busy integer;
  v_active_clients integer;
  v_share integer;
begin
  select * into s from private.batch_settings;
  perform pg_advisory_xact_lock(hashtextextended('masstock:batch:client:' || p_client_id::text, 0));
  perform pg_advisory_xact_lock(hashtextextended('masstock:batch:global', 0));
  select count(*) into v_client_busy
  from public.workflow_batch_results r
  where r.client_id = p_client_id and r.status = 'processing' and r.leased_until > now();
  select count(*) into v_global_busy
  from public.workflow_batch_results r
  where r.status = 'processing' and r.leased_until > now();
  select count(distinct x.client_id) into v_active_clients
  from public.workflow_executions x
  where x.completed_at is null and x.status in ('pending', 'processing');
  v_share := least(s.client_concurrency,
    ceil(s.global_concurrency::numeric / greatest(v_active_clients, 1))::integer);
  return jsonb_build_object(
    'client_spare', least(v_share - v_client_busy, s.global_concurrency - v_global_busy),
    'global_spare', s.global_concurrency - v_global_busy,
    'share', v_share);
end
$$;
comment on function private.batch_capacity(uuid) is 'Slots a client''s claims may take now under its cap and fair share of the global cap, and global slots left (takes the claim locks).';
revoke all on function private.batch_capacity(uuid) from public, anon, authenticated;
grant execute on function private.batch_capacity(uuid) to service_role;

-- Called by a link whose claim got nothing because of the client or global cap and which holds
-- no item. 'queued': the execution waits in the list and the link may end; 'retry': capacity
-- freed meanwhile, claim again; 'poll': another link holds items of this execution (a
-- predecessor handing over), keep polling as before; 'done': nothing left to wait for.
create function private.wait_for_batch_slot(p_execution_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  e record;
  v_cap jsonb;
begin
  select x.id, x.client_id, x.status into e
  from public.workflow_executions x
  where x.id = p_execution_id;
  if not found or e.status not in ('pending', 'processing') then
    return 'done';
  end if;
  v_cap := private.batch_capacity(e.client_id);
  if exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = p_execution_id and r.status = 'processing' and r.leased_until > now()
  ) then
    return 'poll';
  end if;
  if not exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = p_execution_id and r.status = 'pending'
  ) then
    return 'done';
  end if;
  if (v_cap ->> 'client_spare')::integer > 0 then
    return 'retry';
  end if;
  insert into private.batch_waitlist (execution_id, client_id)
  values (p_execution_id, e.client_id)
  on conflict (execution_id) do update set woken_at = null;
  return 'queued';
end
$$;
comment on function private.wait_for_batch_slot(uuid) is 'For a link whose claim was capped by the client or global cap and that holds nothing: queues the execution in private.batch_waitlist (''queued'', the link ends) unless capacity freed meanwhile (''retry''), another link holds its items (''poll'') or nothing is left (''done'').';
revoke all on function private.wait_for_batch_slot(uuid) from public, anon, authenticated;
grant execute on function private.wait_for_batch_slot(uuid) to service_role;

-- Kicks the waiting executions the current capacity can serve: this client's first (they wait
-- for its cap), oldest start first, until their concurrency covers its spare slots; then the
-- oldest waiter of each other client below its share, while global slots are left. A woken run
-- keeps its row, marked woken, until its link claims (the claim deletes it) or registers again:
-- for a few seconds its concurrency counts as taken, so the claims that follow (one per item
-- completion) do not wake more runs for the same slots while its pg_net kick is under way.
-- Rows locked by a claim in progress are skipped: that claim decides for itself (and taking
-- their row lock here, under the claim locks, could deadlock with it). Returns how many it
-- kicked.
create function private.wake_batch_waiters(p_client_id uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_in_transit constant interval := interval '3 seconds';
  v_cap jsonb;
  v_own integer;
  v_global integer;
  v_share integer;
  w record;
  v_other uuid;
  v_kicked integer := 0;
begin
  if not exists (select 1 from private.batch_waitlist) then
    return 0;
  end if;
  v_cap := private.batch_capacity(p_client_id);
  v_share := (v_cap ->> 'share')::integer;
  select (v_cap ->> 'global_spare')::integer - coalesce(sum(greatest(x.concurrency, 1)), 0),
         (v_cap ->> 'client_spare')::integer
           - coalesce(sum(greatest(x.concurrency, 1)) filter (where q.client_id = p_client_id), 0)
  into v_global, v_own
  from private.batch_waitlist q
  join public.workflow_executions x on x.id = q.execution_id
  where q.woken_at > now() - c_in_transit;
  if v_global <= 0 then
    return 0;
  end if;

  while v_own > 0 and v_global > 0 loop
    select q.execution_id, x.concurrency, x.status into w
    from private.batch_waitlist q
    join public.workflow_executions x on x.id = q.execution_id
    where q.client_id = p_client_id
      and (q.woken_at is null or q.woken_at <= now() - c_in_transit)
    order by x.created_at, x.id
    limit 1
    for no key update of x skip locked;
    exit when not found;
    if w.status not in ('pending', 'processing') then
      delete from private.batch_waitlist q where q.execution_id = w.execution_id;
      continue;
    end if;
    update private.batch_waitlist q set woken_at = now() where q.execution_id = w.execution_id;
    perform private.kick_execution(w.execution_id);
    v_own := v_own - greatest(w.concurrency, 1);
    v_global := v_global - greatest(w.concurrency, 1);
    v_kicked := v_kicked + 1;
  end loop;

  for v_other in
    select q.client_id
    from private.batch_waitlist q
    join public.workflow_executions x on x.id = q.execution_id
    where q.client_id <> p_client_id
      and (q.woken_at is null or q.woken_at <= now() - c_in_transit)
    group by q.client_id
    order by min(x.created_at)
  loop
    exit when v_global <= 0;
    continue when (
      select count(*) from public.workflow_batch_results r
      where r.client_id = v_other and r.status = 'processing' and r.leased_until > now()
    ) >= v_share;
    select q.execution_id, x.concurrency, x.status into w
    from private.batch_waitlist q
    join public.workflow_executions x on x.id = q.execution_id
    where q.client_id = v_other
      and (q.woken_at is null or q.woken_at <= now() - c_in_transit)
    order by x.created_at, x.id
    limit 1
    for no key update of x skip locked;
    continue when not found;
    if w.status not in ('pending', 'processing') then
      delete from private.batch_waitlist q where q.execution_id = w.execution_id;
      continue;
    end if;
    update private.batch_waitlist q set woken_at = now() where q.execution_id = w.execution_id;
    perform private.kick_execution(w.execution_id);
    v_global := v_global - greatest(w.concurrency, 1);
    v_kicked := v_kicked + 1;
  end loop;
  return v_kicked;
end
$$;
comment on function private.wake_batch_waiters(uuid) is 'Kicks (pg_net) the waiting executions the capacity now free can serve: the client''s own first, oldest start first, then the oldest waiter of each other client below its fair share. Returns how many it kicked.';
revoke all on function private.wake_batch_waiters(uuid) from public, anon, authenticated;
grant execute on function private.wake_batch_waiters(uuid) to service_role;

-- Replaces 20261123020400's claim: the same, plus the wake-up of waiting executions.
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
    'pending', v_pending,
    'in_flight', v_exec_busy + jsonb_array_length(v_items),
    'next_due_in_ms', case when v_next_due is null then null
      else greatest(0, (extract(epoch from v_next_due - now()) * 1000)::bigint) end,
    'lease_seconds', s.lease_seconds,
    'max_attempts', s.max_attempts
  );
end
$$;
comment on function private.claim_batch_items(uuid, integer) is 'Leases up to p_limit due pending items of an execution in batch order, within the per-execution and per-client caps and the client''s fair share of the global cap (ceil(global / clients with unfinished executions)); requeues expired leases first and kicks waiting executions the capacity it leaves unused can serve. Returns {state, items[], capped_by, pending, in_flight, next_due_in_ms, ...}.';
revoke all on function private.claim_batch_items(uuid, integer) from public, anon, authenticated;
grant execute on function private.claim_batch_items(uuid, integer) to service_role;
