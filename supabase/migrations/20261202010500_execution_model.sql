-- An execution runs on the model its workflow named when it started, at that model's price
-- for the size it asked for. Both are snapshotted on the row, so an admin moving the workflow
-- to another model (or a propagation) never changes a run already going, nor its bill. A
-- start on a model the catalogue does not know or marks retired, or asking for an aspect
-- ratio or size the model lacks, is refused (MS422) whoever inserts the row.
--
-- New triggers beside the existing start triggers (20261123020300), not replacements:
--   executions_model_snapshot (BEFORE INSERT) fires after executions_before_insert (names
--     sort so), and overrides its template-wide price with the per-size one;
--   executions_accept_model (AFTER INSERT) fires before executions_after_insert, after RLS
--     accepted the row, so a refused caller learns nothing about another client's workflow.

alter table public.workflow_executions
  add column model text check (length(model) between 1 and 100),
  add column image_size text check (image_size = any (private.gemini_image_sizes())),
  add column error_code text check (error_code ~ '^[a-z][a-z0-9_]{0,62}$');
comment on column public.workflow_executions.model is 'Model the run generates with, copied from the workflow config when it starts (later config changes do not move it).';
comment on column public.workflow_executions.image_size is 'Output size the run is billed at: the one asked for, else the model''s default.';
comment on column public.workflow_executions.error_code is 'Machine-readable reason of a failed run (e.g. model_unavailable), next to error_message.';
comment on column public.workflow_executions.unit_cost is 'Provider cost per generated image: the model catalogue''s price for the model and size when the run starts (billing history does not move with price changes).';
comment on column public.workflow_executions.unit_revenue is 'Price per generated image charged to the client, copied from the template (per size) when the run starts.';

alter table public.workflow_batch_results
  add column error_code text check (error_code ~ '^[a-z][a-z0-9_]{0,62}$');
comment on column public.workflow_batch_results.error_code is 'Machine-readable reason of a failed item (e.g. model_unavailable), next to error_message.';

-- Runs that are still going keep the model they are going with.
update public.workflow_executions e set model = w.config ->> 'model'
from public.workflows w
where w.id = e.workflow_id and e.completed_at is null and jsonb_typeof(w.config -> 'model') = 'string';

create or replace function private.executions_model_snapshot()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_config jsonb;
  v_revenue numeric;
  v_revenue_per_size jsonb;
  m public.image_models;
  v_price numeric;
begin
  select w.config, t.revenue_per_execution, t.revenue_per_size
  into v_config, v_revenue, v_revenue_per_size
  from public.workflows w
  left join public.workflow_templates t on t.id = w.template_id
  where w.id = new.workflow_id;
  new.model := case when jsonb_typeof(v_config -> 'model') = 'string' then v_config ->> 'model' end;
  new.image_size := null;
  new.error_code := null;
  select * into m from public.image_models where id = new.model;
  if not found then
    return new; -- no model or an unknown one: executions_accept_model refuses a start
  end if;
  if jsonb_typeof(new.input_data -> 'image_size') = 'string'
    and (new.input_data ->> 'image_size') = any (private.gemini_image_sizes()) then
    new.image_size := new.input_data ->> 'image_size';
  else
    new.image_size := m.default_image_size;
  end if;
  v_price := (m.price_per_image ->> new.image_size)::numeric;
  if v_price is not null then
    new.unit_cost := v_price;
    new.unit_revenue := coalesce((v_revenue_per_size ->> new.image_size)::numeric, v_revenue, 0);
  end if;
  return new;
end
$$;
comment on function private.executions_model_snapshot() is 'BEFORE INSERT on workflow_executions: snapshots the workflow''s model, the billed image size and the per-size cost (catalogue) and revenue (template), whatever the caller sent.';
revoke all on function private.executions_model_snapshot() from public;

create trigger executions_model_snapshot before insert on public.workflow_executions
  for each row execute function private.executions_model_snapshot();
comment on trigger executions_model_snapshot on public.workflow_executions is 'A run keeps the model and per-size price it started with.';

create or replace function private.execution_model_problem(
  p_model text,
  p_aspect_ratio text,
  p_image_size text
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  m public.image_models;
begin
  select * into m from public.image_models where id = p_model;
  if not found then
    return jsonb_build_object('field', 'workflow_id', 'code', 'model_unavailable',
      'message', format('This workflow''s model %s is not available (not in the model catalogue); ask MasStock to move the workflow to a current model',
        p_model));
  end if;
  if private.model_lifecycle_now(m.lifecycle, m.retires_on) = 'retired' then
    return jsonb_build_object('field', 'workflow_id', 'code', 'model_unavailable',
      'message', format('This workflow''s model %s was retired%s and is no longer available%s; ask MasStock to move the workflow to a current model',
        m.id, coalesce(' on ' || m.retires_on::text, ''),
        coalesce(' (replacement: ' || m.replacement || ')', '')));
  end if;
  if p_aspect_ratio is not null and p_aspect_ratio <> all (m.aspect_ratios) then
    return jsonb_build_object('field', 'aspect_ratio', 'code', 'aspect_ratio_not_supported',
      'message', format('Model %s does not offer aspect ratio %s (it offers %s)', m.id,
        p_aspect_ratio, array_to_string(m.aspect_ratios, ', ')));
  end if;
  if p_image_size is not null and p_image_size <> all (m.image_sizes) then
    return jsonb_build_object('field', 'image_size', 'code', 'image_size_not_supported',
      'message', format('Model %s does not offer image size %s (it offers %s)', m.id,
        p_image_size, array_to_string(m.image_sizes, ', ')));
  end if;
  return null;
end
$$;
comment on function private.execution_model_problem(text, text, text) is 'Why a run on this model with these options cannot start ({field, code, message}, null when it can): unknown or retired model (model_unavailable), aspect ratio or size the model lacks.';
revoke all on function private.execution_model_problem(text, text, text) from public, anon;
grant execute on function private.execution_model_problem(text, text, text) to service_role;

create or replace function private.executions_accept_model()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem jsonb;
begin
  if new.model is null then
    return null; -- a workflow without a model: the batch engine fails it at once
  end if;
  v_problem := private.execution_model_problem(
    new.model,
    case when jsonb_typeof(new.input_data -> 'aspect_ratio') = 'string'
      then new.input_data ->> 'aspect_ratio' end,
    case when jsonb_typeof(new.input_data -> 'image_size') = 'string'
      then new.input_data ->> 'image_size' end);
  perform private.raise_config_problem(v_problem, null);
  return null;
end
$$;
comment on function private.executions_accept_model() is 'AFTER INSERT of a pending execution: refuses (MS422) a start on an unknown or retired model, or asking for an aspect ratio or size the model lacks.';
revoke all on function private.executions_accept_model() from public;

create trigger executions_accept_model after insert on public.workflow_executions
  for each row when (new.status = 'pending')
  execute function private.executions_accept_model();
comment on trigger executions_accept_model on public.workflow_executions is 'Only models the catalogue offers, with options they offer, start.';
