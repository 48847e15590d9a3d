-- Template config is what start-execution and process-batch read (model, limits, options),
-- so its shape is a data rule, not only an API rule: the API validates it with zod, and this
-- check refuses a malformed config from every other caller too (SQL editor, PostgREST,
-- scripts). Unknown keys are refused as well, so whatever the database holds can be read
-- back and written again through the API unchanged.

create or replace function private.template_config_problem(p_workflow_type text, p_config jsonb)
returns text
language plpgsql
immutable
-- definer only to follow the project rule for callable private helpers; it reads nothing.
security definer
set search_path = ''
as $$
declare
  v jsonb;
  k text;
  known text[] := array[
    'workflow_type', 'model', 'max_prompts', 'requires_api_key', 'supports_reference_images',
    'max_reference_images', 'aspect_ratios', 'image_sizes', 'concurrency', 'overridable'
  ];
begin
  if p_workflow_type is null or p_workflow_type not in ('nano_banana', 'pro_banana') then
    return 'workflow_type must be nano_banana or pro_banana';
  end if;
  if p_config is null or jsonb_typeof(p_config) <> 'object' then
    return 'config must be an object';
  end if;
  for k in select jsonb_object_keys(p_config) loop
    if k <> all (known) then
      return format('config.%s is not a known setting', k);
    end if;
  end loop;

  v := p_config -> 'workflow_type';
  if v is not null and v <> to_jsonb(p_workflow_type) then
    return 'config.workflow_type must equal the template''s workflow_type';
  end if;

  v := p_config -> 'model';
  if v is null or jsonb_typeof(v) <> 'string' or length(v #>> '{}') not between 1 and 100 then
    return 'config.model must be a string of 1 to 100 characters';
  end if;

  v := p_config -> 'max_prompts';
  if v is null or jsonb_typeof(v) <> 'number' or (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
    or (v #>> '{}')::numeric not between 1 and 1000 then
    return 'config.max_prompts must be an integer from 1 to 1000';
  end if;

  v := p_config -> 'requires_api_key';
  if v is null or jsonb_typeof(v) <> 'boolean' then
    return 'config.requires_api_key must be a boolean';
  end if;

  v := p_config -> 'supports_reference_images';
  if v is not null and jsonb_typeof(v) <> 'boolean' then
    return 'config.supports_reference_images must be a boolean';
  end if;

  v := p_config -> 'max_reference_images';
  if v is not null and (jsonb_typeof(v) <> 'number'
    or (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
    or (v #>> '{}')::numeric not between 0 and 14) then
    return 'config.max_reference_images must be an integer from 0 to 14';
  end if;

  v := p_config -> 'concurrency';
  if v is not null and (jsonb_typeof(v) <> 'number'
    or (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
    or (v #>> '{}')::numeric not between 1 and 50) then
    return 'config.concurrency must be an integer from 1 to 50';
  end if;

  v := p_config -> 'aspect_ratios';
  if v is not null and (jsonb_typeof(v) <> 'array' or jsonb_array_length(v) = 0
    or exists (
      select 1 from jsonb_array_elements(v) e
      where jsonb_typeof(e) <> 'string'
        or e #>> '{}' not in ('1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9')
    )) then
    return 'config.aspect_ratios must be a non-empty array of supported aspect ratios';
  end if;

  -- imageSize exists only on Gemini 3 (pro) image models.
  v := p_config -> 'image_sizes';
  if v is not null and p_workflow_type <> 'pro_banana' then
    return 'config.image_sizes is only allowed for pro_banana';
  end if;
  if v is not null and (jsonb_typeof(v) <> 'array' or jsonb_array_length(v) = 0
    or exists (
      select 1 from jsonb_array_elements(v) e
      where jsonb_typeof(e) <> 'string' or e #>> '{}' not in ('1K', '2K', '4K')
    )) then
    return 'config.image_sizes must be a non-empty array of 1K, 2K, 4K';
  end if;

  -- The type and the override list itself are never client-overridable.
  v := p_config -> 'overridable';
  if v is not null and (jsonb_typeof(v) <> 'array'
    or exists (
      select 1 from jsonb_array_elements(v) e
      where jsonb_typeof(e) <> 'string'
        or e #>> '{}' <> all (known)
        or e #>> '{}' in ('workflow_type', 'overridable')
    )) then
    return 'config.overridable must be an array of setting names (not workflow_type or overridable)';
  end if;

  return null;
end
$$;
comment on function private.template_config_problem(text, jsonb) is 'Why a workflow config is malformed for that workflow_type (null when it is fine). Used by the workflow_templates check and by assign_template.';
revoke all on function private.template_config_problem(text, jsonb) from public, anon;
-- Check constraints call it with the writer's privileges, so every writer role needs EXECUTE.
grant execute on function private.template_config_problem(text, jsonb) to authenticated, service_role;

alter table public.workflow_templates
  add constraint workflow_templates_config_valid
  check (private.template_config_problem(workflow_type, config) is null);
comment on constraint workflow_templates_config_valid on public.workflow_templates is 'Known workflow_type and a config with model, max_prompts, requires_api_key and well-typed optional settings.';

-- Names are what admins pick templates by; bound them like every other text the API stores.
alter table public.workflow_templates
  add constraint workflow_templates_name_length check (length(name) between 1 and 200);
comment on constraint workflow_templates_name_length on public.workflow_templates is 'Template names are 1 to 200 characters.';
