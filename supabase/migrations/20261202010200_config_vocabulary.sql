-- REPLACES private.template_config_problem (20261123010200) in place, same signature: the
-- workflow_templates check constraint and public.assign_template call it by name. What
-- changed: the aspect ratio and size vocabularies are Gemini's whole imageConfig vocabulary
-- (1:4, 4:1, 1:8, 8:1 and 512 came with Gemini 3.1 Flash Image), and image_sizes is allowed
-- for nano_banana too: Gemini 3.1 Flash Image takes imageSize. Whether a model offers a given
-- ratio or size is no longer guessed from the workflow type; the model catalogue decides
-- (private.config_model_problem, next migration).

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
        or e #>> '{}' <> all (private.gemini_aspect_ratios())
    )) then
    return 'config.aspect_ratios must be a non-empty array of supported aspect ratios';
  end if;

  -- Which sizes (and ratios) a model really offers is the model catalogue's call (see
  -- private.config_model_problem); here only the vocabulary.
  v := p_config -> 'image_sizes';
  if v is not null and (jsonb_typeof(v) <> 'array' or jsonb_array_length(v) = 0
    or exists (
      select 1 from jsonb_array_elements(v) e
      where jsonb_typeof(e) <> 'string' or e #>> '{}' <> all (private.gemini_image_sizes())
    )) then
    return 'config.image_sizes must be a non-empty array of 512, 1K, 2K, 4K';
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
comment on function private.template_config_problem(text, jsonb) is 'Why a workflow config is malformed for that workflow_type (null when it is fine): shape and vocabulary only; the model catalogue checks what the model offers. Used by the workflow_templates check, assign_template and the workflow config trigger.';
