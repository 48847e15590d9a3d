-- A model that is gone fails every prompt the same way, so the batch engine stops at the
-- first sign: Google answering 404 NOT_FOUND for it, or the catalogue marking it retired
-- (a run started before the model retired). The execution and all its items fail at once
-- with error code model_unavailable and a message naming the model; nothing is retried.
-- New functions beside the ledger steps of 20261123020400 (which they call), not
-- replacements.

create or replace function private.execution_model(p_execution_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'model', x.model,
    'model_unavailable', case
      when x.model is null then null
      when m.id is null then format('Model %s is not in the model catalogue', x.model)
      when private.model_lifecycle_now(m.lifecycle, m.retires_on) = 'retired' then
        format('Model %s was retired%s%s', m.id, coalesce(' on ' || m.retires_on::text, ''),
          coalesce('; its replacement is ' || m.replacement, ''))
    end
  )
  from (
    -- Runs started before executions snapshotted their model run on the workflow's.
    select coalesce(e.model,
      case when jsonb_typeof(w.config -> 'model') = 'string' then w.config ->> 'model' end) as model
    from public.workflow_executions e
    join public.workflows w on w.id = e.workflow_id
    where e.id = p_execution_id
  ) x
  left join public.image_models m on m.id = x.model
$$;
comment on function private.execution_model(uuid) is 'The model an execution generates with (its snapshot) and, when the catalogue says it cannot, why ({model, model_unavailable}). Service only.';
revoke all on function private.execution_model(uuid) from public, anon, authenticated;
grant execute on function private.execution_model(uuid) to service_role;

create or replace function private.fail_batch_item_model_unavailable(
  p_item_id uuid,
  p_lease_token uuid,
  p_message text
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
  v_execution_id uuid;
  -- The same normalisation fail_batch_item applies, so the rows it wrote can be found.
  v_message text := left(coalesce(nullif(trim(p_message), ''), 'Unknown error'), 1000);
begin
  select r.execution_id into v_execution_id from public.workflow_batch_results r where r.id = p_item_id;
  v_result := private.fail_batch_item(p_item_id, p_lease_token, 'fatal', v_message);
  if coalesce((v_result ->> 'committed')::boolean, false) then
    -- This item, and every pending one the fatal outcome just failed with it.
    update public.workflow_batch_results r
    set error_code = 'model_unavailable'
    where r.execution_id = v_execution_id
      and r.status = 'failed'
      and r.error_code is null
      and (r.id = p_item_id or r.error_message = 'Not processed: ' || v_message);
    update public.workflow_executions x
    set error_code = 'model_unavailable'
    where x.id = v_execution_id and x.error_code is null and x.error_message = v_message;
  end if;
  return v_result;
end
$$;
comment on function private.fail_batch_item_model_unavailable(uuid, uuid, text) is 'fail_batch_item(fatal) for a model that is gone: fails the leased item and every pending one of its execution at once, with error code model_unavailable on them and on the execution.';
revoke all on function private.fail_batch_item_model_unavailable(uuid, uuid, text) from public, anon, authenticated;
grant execute on function private.fail_batch_item_model_unavailable(uuid, uuid, text) to service_role;
