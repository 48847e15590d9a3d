-- A retry cannot re-run an execution whose content retention has removed: its prompts are a
-- marker by then. The link check (one trigger, for retry_execution and direct inserts alike)
-- learns the rule; everything else is as in 20261203030000.

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
  select x.id, x.client_id, x.workflow_id, x.status, x.content_purged_at into o
  from public.workflow_executions x
  where x.id = new.retry_of
    and ((select private.is_admin()) or x.client_id in (select private.my_client_ids()));
  if not found or o.client_id <> new.client_id or o.workflow_id <> new.workflow_id then
    raise exception 'No such execution to retry'
      using errcode = 'MS404', hint = 'not_found',
        detail = jsonb_build_array(jsonb_build_object('field', 'retry_of',
          'message', 'must name a visible execution of the same client and workflow'))::text;
  end if;
  -- Retention replaced the prompts with a marker: re-running them would bill for nonsense.
  if o.content_purged_at is not null then
    raise exception 'Retention has removed this execution''s prompts and images: it cannot be retried'
      using errcode = 'MS422', hint = 'content_purged';
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
comment on function private.check_execution_retry() is 'BEFORE INSERT on workflow_executions with retry_of: the original is visible to the caller, same client and workflow, finished, not purged by retention; each prompt is one of its failed/cancelled items (retry_indexes).';
revoke all on function private.check_execution_retry() from public;
