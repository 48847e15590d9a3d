-- What a process-batch link does to the ledger, one SQL function per step, so every rule that
-- must hold under concurrency (caps, leases, exactly-once finalisation) is enforced by the
-- database in one transaction, not by the Edge Function. All are security definer and
-- executable by service_role only.
--
-- Locking order, everywhere: the execution row (for no key update), then the per-client
-- advisory lock, then the global advisory lock, then ledger rows. Taking the execution row
-- first serialises claims, outcome writes, cancel and the sweep per execution, which is what
-- makes "finalise when nothing is left" exact: the last writer always sees every other
-- writer's committed outcome.

create or replace function private.finalize_execution(p_execution_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_successful integer;
  v_failed integer;
  v_cancelled integer;
  v_total integer;
  v_active integer;
  v_output jsonb;
begin
  select count(*) filter (where r.status = 'completed'),
         count(*) filter (where r.status = 'failed'),
         count(*) filter (where r.status = 'cancelled'),
         count(*),
         count(*) filter (where r.status in ('pending', 'processing'))
  into v_successful, v_failed, v_cancelled, v_total, v_active
  from public.workflow_batch_results r
  where r.execution_id = p_execution_id;
  if v_active > 0 then
    return null;
  end if;

  -- completed_at is null <=> not finalised; the conditional update makes this exactly once
  -- even if two callers get here (the second re-checks the row after the first commits).
  update public.workflow_executions e
  set status = case
        when e.status = 'cancelled' then 'cancelled'
        when v_successful > 0 then 'completed'
        else 'failed'
      end,
      output_data = jsonb_build_object(
        'successful', v_successful,
        'failed', v_failed,
        'cancelled', v_cancelled,
        'total', v_total,
        'cost', round(v_successful * e.unit_cost, 4),
        'revenue', round(v_successful * e.unit_revenue, 4)
      ),
      started_at = coalesce(e.started_at, now()),
      completed_at = now(),
      duration_seconds = round(extract(epoch from now() - coalesce(e.started_at, now())))::integer,
      error_message = case
        when e.status <> 'cancelled' and v_successful = 0 and e.error_message is null
          then 'No image could be generated (see the items'' error messages)'
        else e.error_message
      end
  where e.id = p_execution_id
    and e.completed_at is null
    and e.status in ('pending', 'processing', 'cancelled')
  returning e.output_data into v_output;

  if v_output is not null then
    -- The client's key has no business outliving the run.
    delete from private.execution_secrets s where s.execution_id = p_execution_id;
  end if;
  return v_output;
end
$$;
comment on function private.finalize_execution(uuid) is 'If no item is pending or processing: sets final status, output_data {successful, failed, cancelled, total, cost, revenue}, timing, and deletes the API key; exactly once. Returns output_data when it finalised now, else null.';
revoke all on function private.finalize_execution(uuid) from public, anon, authenticated;
grant execute on function private.finalize_execution(uuid) to service_role;

create or replace function private.execution_job(p_execution_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'execution_id', e.id,
    'client_id', e.client_id,
    'status', e.status,
    'model', w.config ->> 'model',
    'workflow_type', coalesce(w.config ->> 'workflow_type', t.workflow_type),
    'concurrency', e.concurrency,
    'aspect_ratio', e.input_data ->> 'aspect_ratio',
    'image_size', e.input_data ->> 'image_size',
    'reference_images', coalesce(e.input_data -> 'reference_images', '[]'::jsonb),
    'uses_client_api_key', coalesce((e.input_data ->> 'uses_client_api_key')::boolean, false),
    'api_key_ciphertext', s.api_key_ciphertext,
    'max_attempts', (select bs.max_attempts from private.batch_settings bs)
  )
  from public.workflow_executions e
  join public.workflows w on w.id = e.workflow_id
  left join public.workflow_templates t on t.id = w.template_id
  left join private.execution_secrets s on s.execution_id = e.id
  where e.id = p_execution_id
$$;
comment on function private.execution_job(uuid) is 'Everything a link needs to generate for an execution: model, options, reference images, the encrypted client key. Service only.';
revoke all on function private.execution_job(uuid) from public, anon, authenticated;
grant execute on function private.execution_job(uuid) to service_role;

-- Fair share of the global concurrency cap: handing global slots out first come, first served
-- let one of 4 clients under a global cap of 40 finish in ~8 s while the others took ~16 s
-- (bench/chain-efficiency.ts). Each client gets at most ceil(global / clients with unfinished
-- executions) slots; its busy count reads workflow_batch_results.client_id
-- (20261123020150) through a small partial index of in-flight rows per client.

create index workflow_batch_results_client_in_flight
  on public.workflow_batch_results (client_id)
  where status = 'processing';
comment on index public.workflow_batch_results_client_in_flight is 'In-flight items per client (the per-client cap and fair share of the claim).';

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
comment on function private.claim_batch_items(uuid, integer) is 'Leases up to p_limit due pending items of an execution in batch order, within the per-execution and per-client caps and the client''s fair share of the global cap (ceil(global / clients with unfinished executions)); requeues expired leases first. Returns {state, items[], capped_by, pending, in_flight, next_due_in_ms, ...}.';
revoke all on function private.claim_batch_items(uuid, integer) from public, anon, authenticated;
grant execute on function private.claim_batch_items(uuid, integer) to service_role;

create or replace function private.complete_batch_item(
  p_item_id uuid,
  p_lease_token uuid,
  p_storage_path text,
  p_processing_time_ms integer
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_execution_id uuid;
  v_output jsonb;
begin
  select r.execution_id into v_execution_id
  from public.workflow_batch_results r where r.id = p_item_id;
  if v_execution_id is null then
    return jsonb_build_object('committed', false);
  end if;
  perform 1 from public.workflow_executions x where x.id = v_execution_id for no key update;

  -- The lease token is the guard: a link whose lease expired (and whose item someone else
  -- re-claimed) writes nothing and must delete its own upload.
  update public.workflow_batch_results r
  set status = 'completed',
      result_storage_path = p_storage_path,
      pending_storage_path = null,
      error_message = null,
      processing_time_ms = p_processing_time_ms,
      completed_at = now(),
      lease_token = null,
      leased_until = null
  where r.id = p_item_id
    and r.lease_token = p_lease_token
    and r.status = 'processing'
    and p_storage_path like r.pending_storage_path || '.%';
  if not found then
    return jsonb_build_object('committed', false);
  end if;

  v_output := private.finalize_execution(v_execution_id);
  return jsonb_build_object('committed', true, 'finalised', v_output is not null);
end
$$;
comment on function private.complete_batch_item(uuid, uuid, text, integer) is 'Records a generated image for a leased item (only with the current lease token and the recorded object name); finalises the execution if it was the last item.';
revoke all on function private.complete_batch_item(uuid, uuid, text, integer) from public, anon, authenticated;
grant execute on function private.complete_batch_item(uuid, uuid, text, integer) to service_role;

create or replace function private.fail_batch_item(
  p_item_id uuid,
  p_lease_token uuid,
  p_kind text,
  p_message text,
  p_retry_after_ms integer default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.batch_settings;
  r record;
  v_status text;
  v_delay_ms bigint;
  v_output jsonb;
  v_message text := left(coalesce(nullif(trim(p_message), ''), 'Unknown error'), 1000);
begin
  if p_kind not in ('transient', 'permanent', 'fatal') then
    raise exception 'fail_batch_item: kind must be transient, permanent or fatal, not %', p_kind;
  end if;
  select * into s from private.batch_settings;
  select i.id, i.execution_id, i.attempts, x.status as execution_status
  into r
  from public.workflow_batch_results i
  join public.workflow_executions x on x.id = i.execution_id
  where i.id = p_item_id;
  if r.id is null then
    return jsonb_build_object('committed', false);
  end if;
  perform 1 from public.workflow_executions x where x.id = r.execution_id for no key update;
  -- Re-read under the execution lock: cancel may have run meanwhile.
  select x.status into r.execution_status from public.workflow_executions x where x.id = r.execution_id;

  if p_kind = 'transient' and r.execution_status = 'cancelled' then
    v_status := 'cancelled';
    v_message := 'Cancelled before a retry: ' || v_message;
  elsif p_kind = 'transient' and r.attempts < s.max_attempts then
    v_status := 'pending';
    -- Exponential backoff with +-20% jitter (so retries of a burst spread out), never sooner
    -- than the provider asked (RetryInfo.retryDelay).
    v_delay_ms := greatest(
      coalesce(p_retry_after_ms, 0),
      (least(s.backoff_max_ms::numeric, s.backoff_base_ms * power(2, greatest(r.attempts - 1, 0)))
        * (0.8 + random() * 0.4))::bigint
    );
  elsif p_kind = 'transient' then
    v_status := 'failed';
    v_message := format('Gave up after %s attempts: %s', r.attempts, v_message);
  else
    v_status := 'failed';
  end if;

  update public.workflow_batch_results i
  set status = v_status,
      error_message = v_message,
      next_attempt_at = case when v_status = 'pending'
        then now() + make_interval(secs => v_delay_ms / 1000.0) else i.next_attempt_at end,
      completed_at = case when v_status = 'pending' then null else now() end,
      -- The caller uploads nothing it does not commit (it deletes a failed commit's upload).
      pending_storage_path = null,
      lease_token = null,
      leased_until = null
  where i.id = p_item_id
    and i.lease_token = p_lease_token
    and i.status = 'processing';
  if not found then
    return jsonb_build_object('committed', false);
  end if;

  if p_kind = 'fatal' then
    -- A bad key or model fails every prompt the same way: stop now instead of burning them.
    update public.workflow_executions x
    set error_message = v_message
    where x.id = r.execution_id and x.error_message is null;
    update public.workflow_batch_results i
    set status = 'failed',
        error_message = 'Not processed: ' || v_message,
        completed_at = now()
    where i.execution_id = r.execution_id and i.status = 'pending';
  end if;

  v_output := private.finalize_execution(r.execution_id);
  return jsonb_build_object('committed', true, 'status', v_status, 'finalised', v_output is not null,
    'retry_in_ms', v_delay_ms);
end
$$;
comment on function private.fail_batch_item(uuid, uuid, text, text, integer) is 'Records a failed attempt of a leased item: transient -> pending with backoff (failed after max_attempts), permanent -> failed, fatal -> failed and every pending item of the execution failed too. Finalises if it was the last.';
revoke all on function private.fail_batch_item(uuid, uuid, text, text, integer) from public, anon, authenticated;
grant execute on function private.fail_batch_item(uuid, uuid, text, text, integer) to service_role;

create or replace function private.execution_storage_paths(p_execution_id uuid)
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(r.result_storage_path order by r.batch_index), '{}')
  from public.workflow_batch_results r
  where r.execution_id = p_execution_id
    and r.status = 'completed'
    and r.result_storage_path is not null
$$;
comment on function private.execution_storage_paths(uuid) is 'Object names referenced by the completed items of an execution (everything else in its folder is an orphan).';
revoke all on function private.execution_storage_paths(uuid) from public, anon, authenticated;
grant execute on function private.execution_storage_paths(uuid) to service_role;

create or replace function private.mark_storage_reconciled(p_execution_id uuid)
returns boolean
language sql
security definer
set search_path = ''
as $$
  update public.workflow_executions x
  set storage_reconciled_at = now()
  where x.id = p_execution_id and x.completed_at is not null
  returning true
$$;
comment on function private.mark_storage_reconciled(uuid) is 'Notes that a finalised execution''s storage folder holds only referenced objects.';
revoke all on function private.mark_storage_reconciled(uuid) from public, anon, authenticated;
grant execute on function private.mark_storage_reconciled(uuid) to service_role;

create or replace function private.chain_next_link(p_execution_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Only while there is something left to do; a finished execution needs no more links.
  if exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = p_execution_id and r.status = 'pending'
  ) and exists (
    select 1 from public.workflow_executions x
    where x.id = p_execution_id and x.status in ('pending', 'processing')
  ) then
    return private.kick_execution(p_execution_id);
  end if;
  return null;
end
$$;
comment on function private.chain_next_link(uuid) is 'Enqueues the next process-batch link (pg_net) if the execution still has pending items.';
revoke all on function private.chain_next_link(uuid) from public, anon, authenticated;
grant execute on function private.chain_next_link(uuid) to service_role;
