-- input_data is written by start-execution after zod validated the request, but members can
-- also insert executions directly (PostgREST), and a malformed input_data then broke every
-- reader: a non-array reference_images made the listing fail for every member of the client,
-- a 30 MB image went straight into the row. The shape is therefore a data rule too, with the
-- same limits as the zod schema `executionInput` (shared/validation/executions.ts);
-- tests/functions/execution_input_agreement.test.ts feeds both the same cases.
-- Shape only: which aspect ratios and image sizes a workflow's model offers is the model
-- catalogue's check, not this one's.

-- Lengths agree: zod 4 counts a string's code points (not UTF-16 units) once it is over the
-- limit, and so does Postgres' length().

create or replace function private.execution_input_shape_problem(p_input jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  -- JavaScript's String.prototype.trim whitespace (WhiteSpace and LineTerminator).
  c_blank constant text := '^[\u0009-\u000d\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$';
  c_max_prompts constant integer := 1000;
  c_max_prompt_length constant integer := 2000;
  c_max_images constant integer := 14;
  -- base64 of 4 MiB per image, three of those for all of them (the zod schema's numbers)
  c_max_image_base64 constant integer := 5592408;
  c_max_images_base64 constant integer := 3 * 5592408;
  k text;
  v jsonb;
  bad record;
  v_total bigint;
begin
  if p_input is null or jsonb_typeof(p_input) <> 'object' then
    return jsonb_build_object('field', 'input_data', 'message', 'must be an object');
  end if;
  for k in select jsonb_object_keys(p_input) order by 1 loop
    if k <> all (array['prompts', 'reference_images', 'aspect_ratio', 'image_size', 'uses_client_api_key']) then
      return jsonb_build_object('field', k, 'message', 'is not a known field');
    end if;
  end loop;

  v := p_input -> 'prompts';
  if v is null or jsonb_typeof(v) <> 'array' then
    return jsonb_build_object('field', 'prompts', 'message', 'must be a list of prompts');
  end if;
  if jsonb_array_length(v) < 1 then
    return jsonb_build_object('field', 'prompts', 'message', 'must contain at least one prompt');
  end if;
  if jsonb_array_length(v) > c_max_prompts then
    return jsonb_build_object('field', 'prompts',
      'message', format('must contain at most %s prompts', c_max_prompts));
  end if;
  select p.ord - 1 as i,
    case when jsonb_typeof(p.value) <> 'string' then 'must be a string'
         when (p.value #>> '{}') ~ c_blank then 'must not be empty'
         else format('must be at most %s characters', c_max_prompt_length) end as message
  into bad
  from jsonb_array_elements(v) with ordinality p(value, ord)
  where jsonb_typeof(p.value) <> 'string'
     or (p.value #>> '{}') ~ c_blank
     or length(p.value #>> '{}') > c_max_prompt_length
  order by p.ord
  limit 1;
  if found then
    return jsonb_build_object('field', 'prompts.' || bad.i, 'message', bad.message);
  end if;

  if p_input ? 'reference_images' then
    v := p_input -> 'reference_images';
    if jsonb_typeof(v) <> 'array' then
      return jsonb_build_object('field', 'reference_images', 'message', 'must be a list of images');
    end if;
    if jsonb_array_length(v) > c_max_images then
      return jsonb_build_object('field', 'reference_images',
        'message', format('must contain at most %s images', c_max_images));
    end if;
    select p.ord - 1 as i,
      case
        when jsonb_typeof(p.value) <> 'object' then 'must be an object'
        when exists (select 1 from jsonb_object_keys(p.value) x where x not in ('mime_type', 'data'))
          then 'unknown field(s)'
        when jsonb_typeof(p.value -> 'mime_type') is distinct from 'string'
          or (p.value ->> 'mime_type') not in ('image/png', 'image/jpeg', 'image/webp')
          then 'mime_type must be one of image/png, image/jpeg, image/webp'
        when jsonb_typeof(p.value -> 'data') is distinct from 'string'
          or length(p.value ->> 'data') < 1 then 'data must not be empty'
        when length(p.value ->> 'data') > c_max_image_base64 then 'data must decode to at most 4194304 bytes'
        else 'data must be base64 (no data: prefix)'
      end as message
    into bad
    from jsonb_array_elements(v) with ordinality p(value, ord)
    where jsonb_typeof(p.value) <> 'object'
       or exists (select 1 from jsonb_object_keys(p.value) x where x not in ('mime_type', 'data'))
       or jsonb_typeof(p.value -> 'mime_type') is distinct from 'string'
       or (p.value ->> 'mime_type') not in ('image/png', 'image/jpeg', 'image/webp')
       or jsonb_typeof(p.value -> 'data') is distinct from 'string'
       or length(p.value ->> 'data') not between 1 and c_max_image_base64
       or (p.value ->> 'data') !~ '^[A-Za-z0-9+/]+={0,2}$'
    order by p.ord
    limit 1;
    if found then
      return jsonb_build_object('field', 'reference_images.' || bad.i, 'message', bad.message);
    end if;
    select coalesce(sum(length(p.value ->> 'data')), 0) into v_total from jsonb_array_elements(v) p;
    if v_total > c_max_images_base64 then
      return jsonb_build_object('field', 'reference_images',
        'message', 'must hold at most 12 MiB of images in all');
    end if;
  end if;

  if p_input ? 'aspect_ratio' and (jsonb_typeof(p_input -> 'aspect_ratio') <> 'string'
      or (p_input ->> 'aspect_ratio') !~ '^[0-9]{1,2}:[0-9]{1,2}$') then
    return jsonb_build_object('field', 'aspect_ratio', 'message', 'must be a ratio like 16:9');
  end if;
  if p_input ? 'image_size' and (jsonb_typeof(p_input -> 'image_size') <> 'string'
      or (p_input ->> 'image_size') !~ '^([0-9]{1,2}K|[0-9]{3})$') then
    return jsonb_build_object('field', 'image_size', 'message', 'must be a size like 2K or 512');
  end if;
  if p_input ? 'uses_client_api_key' and jsonb_typeof(p_input -> 'uses_client_api_key') <> 'boolean' then
    return jsonb_build_object('field', 'uses_client_api_key', 'message', 'must be a boolean');
  end if;
  return null;
end
$$;
comment on function private.execution_input_shape_problem(jsonb) is 'Why an execution''s input_data is malformed ({field, message} of the first problem, null when fine): the zod executionInput limits, for writers that skip the API.';
revoke all on function private.execution_input_shape_problem(jsonb) from public;

create or replace function private.check_execution_input_shape()
returns trigger
language plpgsql
-- definer: the check reads nothing, but its helper is not executable by the writer roles.
security definer
set search_path = ''
as $$
declare
  v_problem jsonb := private.execution_input_shape_problem(new.input_data);
begin
  if v_problem is not null then
    raise exception 'invalid input_data: %: %', v_problem ->> 'field', v_problem ->> 'message'
      using errcode = 'MS400', hint = 'invalid_request',
        detail = jsonb_build_array(v_problem)::text;
  end if;
  return new;
end
$$;
comment on function private.check_execution_input_shape() is 'BEFORE INSERT / UPDATE OF input_data on workflow_executions: refuses (MS400, naming the field) an input_data the API would have refused.';
revoke all on function private.check_execution_input_shape() from public;

-- Fires before the start trigger's domain checks (which assume this shape).
create trigger check_execution_input_shape before insert or update of input_data on public.workflow_executions
  for each row execute function private.check_execution_input_shape();
comment on trigger check_execution_input_shape on public.workflow_executions is 'input_data has the shape the API gives it, whoever writes the row.';
