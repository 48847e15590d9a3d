-- Re-running what failed: a finished execution's failed (and, if asked, cancelled) items are
-- queued again as a NEW execution that names the original in retry_of. The new run is an
-- ordinary start (one INSERT as the caller), so it is priced, quota-checked, model-checked and
-- chained exactly like any other; the original's rows are only read.
--
-- Members can insert executions directly through PostgREST, so the link itself is a data rule:
-- a row naming retry_of must name an execution the caller can see, of the same client and
-- workflow, that has finished, and its prompts must be exactly the original's failed/cancelled
-- items listed in retry_indexes. A direct insert cannot forge a link to another client's run,
-- to a running one, or to prompts that never failed.

alter table public.workflow_executions
  add column retry_of uuid references public.workflow_executions (id) on delete set null,
  add column retry_indexes integer[];
comment on column public.workflow_executions.retry_of is 'The finished execution whose failed/cancelled items this run re-queues (null for an ordinary start).';
comment on column public.workflow_executions.retry_indexes is 'For a retry: the original''s batch_index of each prompt, in order (prompt i re-runs original item retry_indexes[i]).';

create index idx_workflow_executions_retry_of on public.workflow_executions (retry_of)
  where retry_of is not null;
comment on index public.idx_workflow_executions_retry_of is 'Finds the retries of an execution.';

alter table public.workflow_executions
  add constraint workflow_executions_retry_pairs check ((retry_of is null) = (retry_indexes is null));
comment on constraint workflow_executions_retry_pairs on public.workflow_executions is 'retry_of and retry_indexes come together.';

create or replace function private.check_execution_retry()
returns trigger
language plpgsql
-- definer: reads the original's items whatever their RLS; visibility is checked explicitly
-- below, with the same test as the select policy, so nothing about an invisible run leaks.
security definer
set search_path = ''
as $$
declare
  o record;
  v_prompts jsonb := new.input_data -> 'prompts';
  v_bad integer;
begin
  select x.id, x.client_id, x.workflow_id, x.status into o
  from public.workflow_executions x
  where x.id = new.retry_of
    and ((select private.is_admin()) or x.client_id in (select private.my_client_ids()));
  if not found or o.client_id <> new.client_id or o.workflow_id <> new.workflow_id then
    raise exception 'No such execution to retry'
      using errcode = 'MS404', hint = 'not_found',
        detail = jsonb_build_array(jsonb_build_object('field', 'retry_of',
          'message', 'must name a visible execution of the same client and workflow'))::text;
  end if;
  if o.status in ('pending', 'processing') or exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = o.id and r.status in ('pending', 'processing')
  ) then
    raise exception 'This execution is still running: retry it once it has finished'
      using errcode = 'MS409', hint = 'execution_running';
  end if;
  if v_prompts is null or jsonb_typeof(v_prompts) <> 'array'
    or cardinality(new.retry_indexes) <> jsonb_array_length(v_prompts)
    or (select count(distinct i) from unnest(new.retry_indexes) i) <> cardinality(new.retry_indexes)
  then
    raise exception 'retry_indexes must list one distinct original item per prompt'
      using errcode = 'MS422', hint = 'invalid_retry',
        detail = jsonb_build_array(jsonb_build_object('field', 'retry_indexes',
          'message', 'one distinct original batch_index per prompt'))::text;
  end if;
  select count(*) into v_bad
  from unnest(new.retry_indexes) with ordinality as t(idx, ord)
  left join public.workflow_batch_results r
    on r.execution_id = o.id and r.batch_index = t.idx
  where r.id is null
     or r.status not in ('failed', 'cancelled')
     or r.prompt_text is distinct from (v_prompts ->> (t.ord - 1)::integer);
  if v_bad > 0 then
    raise exception 'A retry re-runs only the original''s failed or cancelled items, with their prompts'
      using errcode = 'MS422', hint = 'invalid_retry',
        detail = jsonb_build_array(jsonb_build_object('field', 'retry_indexes',
          'message', format('%s item(s) are not failed/cancelled items of the original with these prompts', v_bad)))::text;
  end if;
  return new;
end
$$;
comment on function private.check_execution_retry() is 'BEFORE INSERT on workflow_executions with retry_of: the original is visible to the caller, same client and workflow, finished; each prompt is one of its failed/cancelled items (retry_indexes).';
revoke all on function private.check_execution_retry() from public;

create trigger check_execution_retry before insert on public.workflow_executions
  for each row when (new.retry_of is not null or new.retry_indexes is not null)
  execute function private.check_execution_retry();
comment on trigger check_execution_retry on public.workflow_executions is 'A retry links only to a finished run of the caller''s client and re-runs only its failed/cancelled items.';

-- Column privileges, redefined with the retry link (lists of 20261202050200 and 20261202020200).
revoke select on public.workflow_executions from authenticated;
grant select (
  id, workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
  started_at, completed_at, duration_seconds, error_message, created_at, idempotency_key,
  request_hash, concurrency, unit_revenue, last_kicked_at, storage_reconciled_at,
  model, image_size, error_code, input_bytes, retry_of, retry_indexes
) on public.workflow_executions to authenticated;
revoke insert on public.workflow_executions from authenticated;
grant insert (workflow_id, client_id, triggered_by_user_id, status, input_data, idempotency_key,
  request_hash, retry_of, retry_indexes)
  on public.workflow_executions to authenticated;

create or replace function public.retry_execution(
  p_execution_id uuid,
  p_include_cancelled boolean default false,
  p_idempotency_key text default null,
  p_request_hash text default null,
  p_uses_client_api_key boolean default false
)
returns jsonb
language plpgsql
-- invoker: the caller reads the original through RLS and inserts the retry as themselves, so
-- the insert policy, the price snapshot, the quotas and the retry check all apply as for any start.
set search_path = ''
as $$
declare
  o record;
  v_indexes integer[];
  v_prompts jsonb;
  v_input jsonb;
  v_id uuid;
  v_existing record;
begin
  select x.id, x.workflow_id, x.client_id, x.status, x.input_data into o
  from public.workflow_executions x where x.id = p_execution_id;
  if not found then
    raise exception 'No such execution' using errcode = 'MS404', hint = 'not_found';
  end if;
  if p_idempotency_key is not null then
    select x.id, x.request_hash into v_existing from public.workflow_executions x
    where x.triggered_by_user_id = (select auth.uid()) and x.idempotency_key = p_idempotency_key;
    if found then
      return jsonb_build_object('id', v_existing.id, 'replayed', true,
        'request_hash', v_existing.request_hash);
    end if;
  end if;
  if o.status in ('pending', 'processing') or exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = o.id and r.status in ('pending', 'processing')
  ) then
    raise exception 'This execution is still running: retry it once it has finished'
      using errcode = 'MS409', hint = 'execution_running';
  end if;
  select array_agg(r.batch_index order by r.batch_index),
         jsonb_agg(r.prompt_text order by r.batch_index)
  into v_indexes, v_prompts
  from public.workflow_batch_results r
  where r.execution_id = o.id
    and (r.status = 'failed' or (p_include_cancelled and r.status = 'cancelled'));
  if v_indexes is null then
    raise exception 'This execution has no % items to retry',
      case when p_include_cancelled then 'failed or cancelled' else 'failed' end
      using errcode = 'MS422', hint = 'nothing_to_retry';
  end if;
  -- Options as the original was started; whether a key comes with this request is its own.
  v_input := (o.input_data - 'uses_client_api_key') || jsonb_build_object('prompts', v_prompts)
    || case when p_uses_client_api_key then '{"uses_client_api_key": true}'::jsonb
            else '{}'::jsonb end;
  insert into public.workflow_executions as e
    (workflow_id, client_id, triggered_by_user_id, input_data, idempotency_key, request_hash,
     retry_of, retry_indexes)
  values (o.workflow_id, o.client_id, (select auth.uid()), v_input, p_idempotency_key,
    p_request_hash, o.id, v_indexes)
  on conflict (triggered_by_user_id, idempotency_key) where idempotency_key is not null
  do nothing
  returning e.id into v_id;
  if v_id is null then
    -- A concurrent request with the same key won the race (ON CONFLICT waited for its commit).
    select x.id, x.request_hash into v_existing from public.workflow_executions x
    where x.triggered_by_user_id = (select auth.uid()) and x.idempotency_key = p_idempotency_key;
    return jsonb_build_object('id', v_existing.id, 'replayed', true,
      'request_hash', v_existing.request_hash);
  end if;
  return jsonb_build_object('id', v_id, 'replayed', false, 'request_hash', p_request_hash);
end
$$;
comment on function public.retry_execution(uuid, boolean, text, text, boolean) is 'Re-queues the failed (and optionally cancelled) items of a finished execution the caller can see as a new execution (retry_of); idempotent per Idempotency-Key. 404 invisible, 409 still running, 422 nothing to retry.';
revoke all on function public.retry_execution(uuid, boolean, text, text, boolean) from public, anon;
grant execute on function public.retry_execution(uuid, boolean, text, text, boolean) to authenticated;
