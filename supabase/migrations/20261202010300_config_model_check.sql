-- Template and workflow configs are held to the model catalogue: the model must exist, be of
-- the workflow type's family, not be retired when the config is written, and offer every
-- aspect ratio and size the config lets a client ask for; and what the client is charged per
-- image must exceed what Google charges for it at every size a run can bill. One function
-- says what is wrong (private.config_model_problem); triggers on templates, workflows and
-- the catalogue itself refuse writes with MS422 (shared/pg-errors.ts), whoever writes.

-- Revenue per output size: a 4K image costs Google more than a 1K one, so one price per image
-- cannot keep a margin at every size. Sizes not listed are charged revenue_per_execution.
alter table public.workflow_templates
  add column revenue_per_size jsonb not null default '{}'::jsonb;
alter table public.workflow_templates
  add constraint workflow_templates_revenue_per_size_valid
  check (private.size_prices_problem(revenue_per_size, null) is null);
comment on column public.workflow_templates.revenue_per_size is 'USD charged per image at an output size where it differs from revenue_per_execution, e.g. {"4K": 0.22}.';
comment on constraint workflow_templates_revenue_per_size_valid on public.workflow_templates is 'revenue_per_size maps image sizes (512, 1K, 2K, 4K) to amounts of at most 4 decimals.';
comment on column public.workflow_templates.cost_per_execution is 'Provider list price in USD per image at the model''s default size, kept from the model catalogue whatever a writer sends; an execution snapshots the price of the size it asks for.';
comment on column public.workflow_templates.revenue_per_execution is 'Price charged to the client in USD per generated image (one prompt), at every size revenue_per_size does not list.';

create or replace function private.config_model_problem(
  p_workflow_type text,
  p_config jsonb,
  p_revenue numeric,
  p_revenue_per_size jsonb,
  p_check_lifecycle boolean
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  m public.image_models;
  v_model text;
  v_family text;
  v_bad text[];
  v_sizes text[];
  v_size text;
  v_cost numeric;
  v_revenue numeric;
begin
  if p_config is null or jsonb_typeof(p_config) <> 'object'
    or jsonb_typeof(p_config -> 'model') is distinct from 'string' then
    return null; -- the shape check (template_config_problem) has the better message
  end if;
  v_model := p_config ->> 'model';
  select * into m from public.image_models where id = v_model;
  if not found then
    return jsonb_build_object('field', 'config.model', 'code', 'model_unavailable',
      'message', format('Model %s is not in the model catalogue', v_model));
  end if;
  if p_check_lifecycle and private.model_lifecycle_now(m.lifecycle, m.retires_on) = 'retired' then
    return jsonb_build_object('field', 'config.model', 'code', 'model_unavailable',
      'message', format('Model %s was retired%s%s', m.id,
        coalesce(' on ' || m.retires_on::text, ''),
        coalesce('; its replacement is ' || m.replacement, '')));
  end if;
  v_family := case p_workflow_type when 'nano_banana' then 'flash' when 'pro_banana' then 'pro' end;
  if v_family is not null and v_family <> m.family then
    return jsonb_build_object('field', 'config.model', 'code', 'model_family_mismatch',
      'message', format('%s is a %s model; a %s workflow runs on a %s model', m.id, m.family,
        p_workflow_type, v_family));
  end if;

  if jsonb_typeof(p_config -> 'aspect_ratios') = 'array' then
    select array_agg(r order by r) into v_bad
    from jsonb_array_elements_text(p_config -> 'aspect_ratios') r
    where r <> all (m.aspect_ratios);
    if v_bad is not null then
      return jsonb_build_object('field', 'config.aspect_ratios', 'code', 'aspect_ratio_not_supported',
        'message', format('%s does not offer aspect ratio %s (it offers %s)', m.id,
          array_to_string(v_bad, ', '), array_to_string(m.aspect_ratios, ', ')));
    end if;
  end if;
  if jsonb_typeof(p_config -> 'image_sizes') = 'array' then
    select array_agg(s order by s) into v_bad
    from jsonb_array_elements_text(p_config -> 'image_sizes') s
    where s <> all (m.image_sizes);
    if v_bad is not null then
      return jsonb_build_object('field', 'config.image_sizes', 'code', 'image_size_not_supported',
        'message', format('%s does not offer image size %s (it offers %s)', m.id,
          array_to_string(v_bad, ', '), array_to_string(m.image_sizes, ', ')));
    end if;
    v_sizes := array(select jsonb_array_elements_text(p_config -> 'image_sizes'));
  end if;

  -- Every size a run may be billed at: those the config offers, and the model's default
  -- (a request that names no size).
  if p_revenue is not null then
    foreach v_size in array coalesce(v_sizes, '{}') || m.default_image_size loop
      v_cost := (m.price_per_image ->> v_size)::numeric;
      v_revenue := coalesce((p_revenue_per_size ->> v_size)::numeric, p_revenue);
      if v_revenue <= v_cost then
        return jsonb_build_object('field', 'revenue_per_size', 'code', 'revenue_below_cost',
          'message', format('A %s image on %s costs $%s but would be charged $%s: raise revenue_per_execution or revenue_per_size.%s',
            v_size, m.id, v_cost, v_revenue, v_size));
      end if;
    end loop;
  end if;
  return null;
end
$$;
comment on function private.config_model_problem(text, jsonb, numeric, jsonb, boolean) is 'What a config asks of its model that the catalogue refuses ({field, code, message}, null when fine): unknown or (with p_check_lifecycle) retired model, wrong family, ratios or sizes the model lacks, revenue not above cost at a billable size (when p_revenue is given).';
revoke all on function private.config_model_problem(text, jsonb, numeric, jsonb, boolean) from public, anon;
grant execute on function private.config_model_problem(text, jsonb, numeric, jsonb, boolean) to authenticated, service_role;

create or replace function private.raise_config_problem(p_problem jsonb, p_context text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_problem is not null then
    raise exception '%', coalesce(p_context || ': ', '') || (p_problem ->> 'message')
      using errcode = 'MS422', hint = p_problem ->> 'code',
        detail = jsonb_build_array(jsonb_build_object(
          'field', p_problem ->> 'field', 'message', p_problem ->> 'message'))::text;
  end if;
end
$$;
comment on function private.raise_config_problem(jsonb, text) is 'Raises a config_model_problem as MS422 (hint = its code, detail = [{field, message}]); does nothing for null.';
revoke all on function private.raise_config_problem(jsonb, text) from public, anon;
grant execute on function private.raise_config_problem(jsonb, text) to authenticated, service_role;

-- Templates. Security invoker like the column guards, so a non-admin caller is left to RLS
-- (which refuses the write) instead of learning what the catalogue holds.
create or replace function private.templates_check_model()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_config_written boolean := tg_op = 'INSERT'
    or new.config is distinct from old.config or new.workflow_type is distinct from old.workflow_type;
  -- Moving to a retired model is refused; a template already on one may still be edited (to be
  -- moved, or switched off).
  v_model_written boolean := tg_op = 'INSERT' or new.config -> 'model' is distinct from old.config -> 'model';
  v_revenue_written boolean := tg_op = 'INSERT'
    or new.revenue_per_execution is distinct from old.revenue_per_execution
    or new.revenue_per_size is distinct from old.revenue_per_size;
  v_price numeric;
  v_problem jsonb;
  w record;
begin
  if current_user in ('authenticated', 'anon') and not (select private.is_admin()) then
    return new;
  end if;
  -- A malformed config is the check constraint's to refuse, with its own message.
  if private.template_config_problem(new.workflow_type, new.config) is not null then
    return new;
  end if;
  if v_config_written or v_revenue_written then
    perform private.raise_config_problem(
      private.config_model_problem(new.workflow_type, new.config, new.revenue_per_execution,
        new.revenue_per_size, v_model_written),
      null);
  end if;
  if tg_op = 'UPDATE' and v_revenue_written then
    -- Assigned workflows are billed at the template's revenue: each must keep its margin.
    for w in
      select x.id, x.name, x.config from public.workflows x
      where x.template_id = new.id and jsonb_typeof(x.config -> 'model') = 'string'
      order by x.name, x.id
    loop
      -- Only the margin is this change's business (a workflow stuck on a model that left the
      -- catalogue is the at-risk view's).
      v_problem := private.config_model_problem(coalesce(w.config ->> 'workflow_type', new.workflow_type),
        w.config, new.revenue_per_execution, new.revenue_per_size, false);
      if v_problem ->> 'code' = 'revenue_below_cost' then
        perform private.raise_config_problem(v_problem, format('Workflow "%s" (%s)', w.name, w.id));
      end if;
    end loop;
  end if;
  select (m.price_per_image ->> m.default_image_size)::numeric into v_price
  from public.image_models m where m.id = new.config ->> 'model';
  new.cost_per_execution := coalesce(v_price, new.cost_per_execution);
  return new;
end
$$;
comment on function private.templates_check_model() is 'BEFORE INSERT/UPDATE on workflow_templates: config and revenue against the model catalogue (MS422), the margins of assigned workflows on a revenue change, and cost_per_execution kept from the catalogue.';
revoke all on function private.templates_check_model() from public;

create trigger templates_check_model before insert or update on public.workflow_templates
  for each row execute function private.templates_check_model();
comment on trigger templates_check_model on public.workflow_templates is 'A template may only ask for what its model offers, above cost.';

-- Workflows. A config without a model is left alone: such a workflow cannot generate (the
-- batch engine fails its executions at once) and older fixtures hold them.
create or replace function private.workflows_check_model()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_template_type text;
  v_revenue numeric;
  v_revenue_per_size jsonb;
  v_type text;
  v_shape text;
  v_model_written boolean;
begin
  if current_user in ('authenticated', 'anon') and not (select private.is_admin()) then
    return new;
  end if;
  if jsonb_typeof(new.config -> 'model') is distinct from 'string' then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.config is not distinct from old.config
    and new.template_id is not distinct from old.template_id then
    return new;
  end if;
  v_model_written := tg_op = 'INSERT' or new.config -> 'model' is distinct from old.config -> 'model';
  select x.workflow_type, x.revenue_per_execution, x.revenue_per_size
  into v_template_type, v_revenue, v_revenue_per_size
  from public.workflow_templates x where x.id = new.template_id;
  v_type := coalesce(new.config ->> 'workflow_type', v_template_type);
  v_shape := private.template_config_problem(v_type, new.config);
  if v_shape is not null then
    raise exception 'Invalid workflow config: %', v_shape
      using errcode = 'MS422', hint = 'invalid_config',
        detail = jsonb_build_array(jsonb_build_object('field', 'config', 'message', v_shape))::text;
  end if;
  -- A workflow left on a model that is gone may still be edited (moved, propagated to, switched
  -- off): lifecycle and catalogue are checked when the model itself is written.
  if not v_model_written
    and not exists (select 1 from public.image_models m where m.id = new.config ->> 'model') then
    return new;
  end if;
  -- Billed at its template's revenue; without a template there is none to keep above cost.
  perform private.raise_config_problem(
    private.config_model_problem(v_type, new.config, coalesce(v_revenue, 0),
      coalesce(v_revenue_per_size, '{}'::jsonb), v_model_written),
    null);
  return new;
end
$$;
comment on function private.workflows_check_model() is 'BEFORE INSERT/UPDATE on workflows: a config that names a model must be well-formed and only ask for what the model offers, above the template''s revenue (MS422); a retired or unknown model is refused when it is written, not when other settings change.';
revoke all on function private.workflows_check_model() from public;

create trigger workflows_check_model before insert or update on public.workflows
  for each row execute function private.workflows_check_model();
comment on trigger workflows_check_model on public.workflows is 'A workflow may only ask for what its model offers, above cost.';

-- The catalogue itself: a price rise (or a narrower offer) must not leave a template or a
-- workflow selling below cost or promising what the model no longer offers; the migration or
-- admin that changes it must fix those first (the error names them).
create or replace function private.image_models_check_users()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  r record;
begin
  if new.price_per_image is not distinct from old.price_per_image
    and new.aspect_ratios is not distinct from old.aspect_ratios
    and new.image_sizes is not distinct from old.image_sizes
    and new.default_image_size is not distinct from old.default_image_size
    and new.family is not distinct from old.family then
    return null;
  end if;
  for r in
    select 'Template' as kind, t.id, t.name, t.workflow_type, t.config, t.revenue_per_execution,
           t.revenue_per_size
    from public.workflow_templates t where t.config ->> 'model' = new.id
    union all
    select 'Workflow', w.id, w.name, coalesce(w.config ->> 'workflow_type', t.workflow_type),
           w.config, coalesce(t.revenue_per_execution, 0), coalesce(t.revenue_per_size, '{}'::jsonb)
    from public.workflows w left join public.workflow_templates t on t.id = w.template_id
    where w.config ->> 'model' = new.id
    order by 1, 3, 2
  loop
    perform private.raise_config_problem(
      private.config_model_problem(r.workflow_type, r.config, r.revenue_per_execution,
        r.revenue_per_size, false),
      format('%s "%s" (%s)', r.kind, r.name, r.id));
  end loop;
  -- The templates' displayed cost follows the catalogue (their trigger recomputes it).
  update public.workflow_templates t set cost_per_execution = t.cost_per_execution
  where t.config ->> 'model' = new.id;
  return null;
end
$$;
comment on function private.image_models_check_users() is 'AFTER UPDATE on image_models: every template and workflow on the model still fits it and keeps its margin (MS422 naming the first that does not); refreshes the templates'' cost_per_execution.';
revoke all on function private.image_models_check_users() from public;

create trigger image_models_check_users after update on public.image_models
  for each row execute function private.image_models_check_users();
comment on trigger image_models_check_users on public.image_models is 'Catalogue changes keep every config valid and above cost.';
