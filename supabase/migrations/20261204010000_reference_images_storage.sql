-- Reference images in Storage (issue 17 item 4, issue 14 item 3). Until now a start request
-- carried every reference image as base64 inside input_data: up to 16 MiB of JSON in the row,
-- re-sent to Gemini with every prompt and invisible to the link's memory budget. Now a client
-- uploads each image once, with a signed upload URL, to its own folder of the private bucket
-- `reference-images` (object `<client_id>/<uuid>.<ext>`), and input_data names it:
-- `reference_images: [{path, mime_type}]`. Inline `{mime_type, data}` stays accepted (old
-- clients; same shape caps as before) and is held to the same per-model limits.
--
-- Limits live in the model catalogue (public.image_models): how many images a call takes, bytes
-- per image, bytes in all, which types; the workflow config's max_reference_images may only
-- lower the count. The bucket's own limits are the absolute caps (4 MiB, png/jpeg/webp), which
-- the catalogue's check constraints cannot exceed and the zod schema repeats (an agreement test
-- compares them).
--
-- Starting an execution (API or direct insert) checks every named object: it exists, it is in
-- the execution's client's folder, its stored size and type respect the model's limits.
-- Deleting an execution queues its no-longer-referenced objects for removal, and the
-- retention run (process-batch /retention, pg_cron masstock-retention) removes them through
-- the Storage API, together with a due execution's own references and a client's
-- unreferenced uploads older than its retention.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values (
  'reference-images',
  'reference-images',
  false,
  4194304,
  array['image/png', 'image/jpeg', 'image/webp']
)
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- Storage policies (documented here: on hosted Supabase postgres may create policies on
-- storage.objects but not comment on them). The folder is compared as a uuid, and only for
-- names of the one shape the upload route makes (no cast can fail on another object).
-- reference_images_objects_select: members of the folder's client (and admins) read its
-- objects; nobody else learns they exist.
create policy reference_images_objects_select on storage.objects for select to authenticated
  using (
    bucket_id = 'reference-images'
    and (
      (select private.is_admin())
      or (case when name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$'
                  then split_part(name, '/', 1)::uuid end) in (select private.my_client_ids())
    )
  );

-- reference_images_objects_insert: members upload into their own client's folder only, admins
-- anywhere (they may start runs for any client; the start still checks the folder) (Storage
-- checks this when a signed upload URL is made, and on direct uploads). No UPDATE policy: an
-- object is never replaced, so what a running execution reads cannot change under it. No
-- DELETE policy: removal is the service's (deletion, retention), which knows what is in use.
create policy reference_images_objects_insert on storage.objects for insert to authenticated
  with check (
    bucket_id = 'reference-images'
    and (
      (select private.is_admin())
      or (case when name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$'
                  then split_part(name, '/', 1)::uuid end) in (select private.my_client_ids())
    )
  );

-- The catalogue's limits. Gemini 3 Pro Image and 3.1 Flash Image take up to 14 reference images,
-- 2.5 Flash Image works best with up to 3 (ai.google.dev image-generation guide); an inline
-- request is limited to 20 MB, so 12 MiB of images (16 MiB as base64) leaves room for the rest.
alter table public.image_models
  add column max_reference_images integer not null default 14
    constraint image_models_max_reference_images check (max_reference_images between 0 and 14),
  add column max_reference_image_bytes integer not null default 4194304
    constraint image_models_max_reference_image_bytes
    check (max_reference_image_bytes between 1 and 4194304),
  add column max_reference_total_bytes integer not null default 12582912
    constraint image_models_max_reference_total_bytes
    check (max_reference_total_bytes between 1 and 12582912),
  add column reference_mime_types text[] not null default array['image/png', 'image/jpeg', 'image/webp']
    constraint image_models_reference_mime_types
    check (cardinality(reference_mime_types) > 0
      and reference_mime_types <@ array['image/png', 'image/jpeg', 'image/webp']);
comment on column public.image_models.max_reference_images is 'Reference images one call of this model takes (0-14); a workflow''s max_reference_images can only lower it.';
comment on column public.image_models.max_reference_image_bytes is 'Bytes one reference image may have (at most the reference-images bucket''s 4 MiB).';
comment on column public.image_models.max_reference_total_bytes is 'Bytes all reference images of one execution may have together (at most 12 MiB: Gemini''s 20 MB inline request).';
comment on column public.image_models.reference_mime_types is 'Types of reference image this model takes (a subset of png, jpeg, webp).';
comment on constraint image_models_max_reference_images on public.image_models is 'Gemini takes at most 14 reference images per call.';
comment on constraint image_models_max_reference_image_bytes on public.image_models is 'Never above the reference-images bucket''s file_size_limit.';
comment on constraint image_models_max_reference_total_bytes on public.image_models is 'Never above 12 MiB: base64 in a 20 MB inline request.';
comment on constraint image_models_reference_mime_types on public.image_models is 'Only the types the reference-images bucket accepts.';
update public.image_models set max_reference_images = 3 where id = 'gemini-2.5-flash-image';

-- The shape of input_data, now with stored references. p_client_id, when given, is the
-- execution's client: a path must lie in its folder. Everything else is as in 20261202020300.
create or replace function private.execution_input_shape_problem(p_input jsonb, p_client_id uuid)
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
  c_uuid constant text := '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
  c_path constant text := '^' || c_uuid || '/' || c_uuid || '\.(png|jpg|webp)$';
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
    -- An element with a `path` is a stored reference {path, mime_type}; any other object is
    -- inline {mime_type, data}.
    select p.ord - 1 as i,
      case
        when jsonb_typeof(p.value) <> 'object' then 'must be an object'
        when p.value ? 'path' and exists (select 1 from jsonb_object_keys(p.value) x
                                          where x not in ('path', 'mime_type'))
          then 'unknown field(s)'
        when not p.value ? 'path' and exists (select 1 from jsonb_object_keys(p.value) x
                                              where x not in ('mime_type', 'data'))
          then 'unknown field(s)'
        when jsonb_typeof(p.value -> 'mime_type') is distinct from 'string'
          or (p.value ->> 'mime_type') not in ('image/png', 'image/jpeg', 'image/webp')
          then 'mime_type must be one of image/png, image/jpeg, image/webp'
        when p.value ? 'path' and (jsonb_typeof(p.value -> 'path') <> 'string'
          or (p.value ->> 'path') !~ c_path)
          then 'path must be <client_id>/<uuid>.png|jpg|webp as the upload route names it'
        when p.value ? 'path' then 'path must be in the execution''s client''s folder'
        when jsonb_typeof(p.value -> 'data') is distinct from 'string'
          or length(p.value ->> 'data') < 1 then 'data must not be empty'
        when length(p.value ->> 'data') > c_max_image_base64 then 'data must decode to at most 4194304 bytes'
        else 'data must be base64 (no data: prefix)'
      end as message
    into bad
    from jsonb_array_elements(v) with ordinality p(value, ord)
    where jsonb_typeof(p.value) <> 'object'
       or jsonb_typeof(p.value -> 'mime_type') is distinct from 'string'
       or (p.value ->> 'mime_type') not in ('image/png', 'image/jpeg', 'image/webp')
       or (p.value ? 'path' and (
             exists (select 1 from jsonb_object_keys(p.value) x where x not in ('path', 'mime_type'))
             or jsonb_typeof(p.value -> 'path') <> 'string'
             or (p.value ->> 'path') !~ c_path
             or (p_client_id is not null
                 and split_part(p.value ->> 'path', '/', 1) <> p_client_id::text)))
       or (not p.value ? 'path' and (
             exists (select 1 from jsonb_object_keys(p.value) x where x not in ('mime_type', 'data'))
             or jsonb_typeof(p.value -> 'data') is distinct from 'string'
             or length(p.value ->> 'data') not between 1 and c_max_image_base64
             or (p.value ->> 'data') !~ '^[A-Za-z0-9+/]+={0,2}$'))
    order by p.ord
    limit 1;
    if found then
      return jsonb_build_object('field', 'reference_images.' || bad.i, 'message', bad.message);
    end if;
    select coalesce(sum(length(p.value ->> 'data')), 0) into v_total
    from jsonb_array_elements(v) p where not p.value ? 'path';
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
comment on function private.execution_input_shape_problem(jsonb, uuid) is 'Why an execution''s input_data is malformed ({field, message} of the first problem, null when fine): the zod executionInput limits; stored references must lie in p_client_id''s folder (when given).';
revoke all on function private.execution_input_shape_problem(jsonb, uuid) from public;

create or replace function private.execution_input_shape_problem(p_input jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select private.execution_input_shape_problem(p_input, null::uuid)
$$;
comment on function private.execution_input_shape_problem(jsonb) is 'The shape check without a client (paths are checked for shape, not folder).';
revoke all on function private.execution_input_shape_problem(jsonb) from public;

create or replace function private.check_execution_input_shape()
returns trigger
language plpgsql
-- definer: the check reads nothing, but its helper is not executable by the writer roles.
security definer
set search_path = ''
as $$
declare
  v_problem jsonb := private.execution_input_shape_problem(new.input_data, new.client_id);
begin
  if v_problem is not null then
    raise exception 'invalid input_data: %: %', v_problem ->> 'field', v_problem ->> 'message'
      using errcode = 'MS400', hint = 'invalid_request',
        detail = jsonb_build_array(v_problem)::text;
  end if;
  return new;
end
$$;
comment on function private.check_execution_input_shape() is 'BEFORE INSERT / UPDATE OF input_data on workflow_executions: refuses (MS400, naming the field) an input_data the API would have refused, including a reference outside the client''s folder.';

-- What the model allows, for the upload route and the start check.
create or replace function private.reference_image_limits(p_model text, p_config jsonb)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'supported', coalesce((p_config ->> 'supports_reference_images')::boolean, false),
    'max_images', least(coalesce(m.max_reference_images, 14),
                        coalesce((p_config ->> 'max_reference_images')::numeric::integer, 3)),
    'max_image_bytes', coalesce(m.max_reference_image_bytes, 4194304),
    'max_total_bytes', coalesce(m.max_reference_total_bytes, 12582912),
    'mime_types', to_jsonb(coalesce(m.reference_mime_types,
                                    array['image/png', 'image/jpeg', 'image/webp'])))
  from (select 1) one
  left join public.image_models m on m.id = p_model
$$;
comment on function private.reference_image_limits(text, jsonb) is 'Reference-image limits of a run on p_model with workflow config p_config: {supported, max_images, max_image_bytes, max_total_bytes, mime_types} (the catalogue''s, the count lowered by the config).';
revoke all on function private.reference_image_limits(text, jsonb) from public, anon, authenticated;
grant execute on function private.reference_image_limits(text, jsonb) to service_role;

-- Decoded size of an inline base64 value.
create or replace function private.base64_decoded_bytes(p_data text)
returns bigint
language sql
immutable
set search_path = ''
as $$
  select (length(p_data) / 4) * 3 + case length(p_data) % 4 when 0 then 0 else length(p_data) % 4 - 1 end
    - case when p_data like '%==' then 2 when p_data like '%=' then 1 else 0 end
$$;
comment on function private.base64_decoded_bytes(text) is 'Bytes a base64 text decodes to.';
revoke all on function private.base64_decoded_bytes(text) from public;

-- Every reference of an execution with what Storage knows of it (null size: no such object in
-- the client's folder).
create or replace function private.execution_references(p_input jsonb, p_client_id uuid)
returns table (ord integer, path text, mime_type text, stored_type text, bytes bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select (r.ord - 1)::integer, r.value ->> 'path', r.value ->> 'mime_type',
    case when r.value ? 'path' then o.metadata ->> 'mimetype' else r.value ->> 'mime_type' end,
    case when r.value ? 'path' then (o.metadata ->> 'size')::bigint
         else private.base64_decoded_bytes(r.value ->> 'data') end
  from jsonb_array_elements(coalesce(p_input -> 'reference_images', '[]'::jsonb))
    with ordinality r(value, ord)
  left join storage.objects o
    on r.value ? 'path' and o.bucket_id = 'reference-images' and o.name = r.value ->> 'path'
    and split_part(o.name, '/', 1) = p_client_id::text
$$;
comment on function private.execution_references(jsonb, uuid) is 'The reference images of an input_data: index, path (null: inline), declared and stored type, bytes (null: no such object in the client''s folder).';
revoke all on function private.execution_references(jsonb, uuid) from public, anon, authenticated;
grant execute on function private.execution_references(jsonb, uuid) to service_role;

create or replace function private.check_execution_references()
returns trigger
language plpgsql
-- definer: reads storage.objects and the model catalogue, neither visible to members; only
-- objects in the execution's own client's folder are ever looked at.
security definer
set search_path = ''
as $$
declare
  v_limits jsonb;
  v_count integer := jsonb_array_length(coalesce(new.input_data -> 'reference_images', '[]'::jsonb));
  bad record;
  v_total bigint;
  v_problem jsonb;
begin
  if v_count = 0 then
    return null;
  end if;
  select private.reference_image_limits(new.model, w.config) into v_limits
  from public.workflows w where w.id = new.workflow_id;
  if v_count > (v_limits ->> 'max_images')::integer then
    v_problem := jsonb_build_object('field', 'reference_images', 'code', 'too_many_reference_images',
      'message', format('This workflow takes at most %s reference images', v_limits ->> 'max_images'));
  end if;
  if v_problem is null then
    select r.* into bad from private.execution_references(new.input_data, new.client_id) r
    where r.bytes is null
       or r.stored_type is distinct from r.mime_type
       or not (v_limits -> 'mime_types') ? r.mime_type
       or r.bytes > (v_limits ->> 'max_image_bytes')::bigint
       or r.bytes < 1
    order by r.ord limit 1;
    if found then
      v_problem := case
        when bad.bytes is null then jsonb_build_object('code', 'reference_image_not_found',
          'message', 'No uploaded reference image at this path in your client''s folder')
        when bad.stored_type is distinct from bad.mime_type then jsonb_build_object(
          'code', 'reference_image_type_not_allowed',
          'message', format('The uploaded object is %s, not %s', bad.stored_type, bad.mime_type))
        when not (v_limits -> 'mime_types') ? bad.mime_type then jsonb_build_object(
          'code', 'reference_image_type_not_allowed',
          'message', format('This workflow''s model takes reference images of type %s',
            (select string_agg(t, ', ') from jsonb_array_elements_text(v_limits -> 'mime_types') t)))
        else jsonb_build_object('code', 'reference_image_too_large',
          'message', format('A reference image may have 1 to %s bytes (this one has %s)',
            v_limits ->> 'max_image_bytes', bad.bytes))
      end || jsonb_build_object('field', 'reference_images.' || bad.ord);
    end if;
  end if;
  if v_problem is null then
    select sum(r.bytes) into v_total from private.execution_references(new.input_data, new.client_id) r;
    if v_total > (v_limits ->> 'max_total_bytes')::bigint then
      v_problem := jsonb_build_object('field', 'reference_images', 'code', 'reference_image_too_large',
        'message', format('Reference images may have %s bytes in all (these have %s)',
          v_limits ->> 'max_total_bytes', v_total));
    end if;
  end if;
  if v_problem is not null then
    raise exception '%', v_problem ->> 'message'
      using errcode = 'MS422', hint = v_problem ->> 'code',
        detail = jsonb_build_array(jsonb_build_object(
          'field', v_problem ->> 'field', 'message', v_problem ->> 'message'))::text;
  end if;
  return null;
end
$$;
comment on function private.check_execution_references() is 'AFTER INSERT of a pending execution: every reference image exists in the client''s folder of reference-images with the declared type, and count, bytes and types respect the model catalogue (MS422 naming the image).';
revoke all on function private.check_execution_references() from public;

-- Name order: after executions_after_insert (the workflow's own reference rules speak first);
-- a refusal rolls the ledger rows and the kick back with the insert.
create trigger executions_check_references after insert on public.workflow_executions
  for each row when (new.status = 'pending' and new.input_data ? 'reference_images')
  execute function private.check_execution_references();
comment on trigger executions_check_references on public.workflow_executions is 'Stored reference images exist, belong to the client and respect the model''s limits, whoever inserts the run.';

-- A run's stored reference images count towards the client's daily input bytes, as inline ones
-- always did (pg_column_size of input_data).
create or replace function private.set_execution_reference_bytes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.input_bytes := coalesce(new.input_bytes, 0) + coalesce((
    select sum(r.bytes) from private.execution_references(new.input_data, new.client_id) r
    where r.path is not null), 0);
  return new;
end
$$;
comment on function private.set_execution_reference_bytes() is 'BEFORE INSERT on workflow_executions: adds the stored reference images'' bytes to input_bytes (daily input quota).';
revoke all on function private.set_execution_reference_bytes() from public;

-- Name order: after set_execution_input_bytes.
create trigger set_execution_reference_bytes before insert on public.workflow_executions
  for each row when (new.input_data ? 'reference_images')
  execute function private.set_execution_reference_bytes();
comment on trigger set_execution_reference_bytes on public.workflow_executions is 'Stored reference images count in input_bytes.';

-- Which executions still need an object: a GIN index over the references of unpurged runs.
create index idx_workflow_executions_reference_paths on public.workflow_executions
  using gin ((input_data -> 'reference_images') jsonb_path_ops)
  where content_purged_at is null and input_data ? 'reference_images';
comment on index public.idx_workflow_executions_reference_paths is 'Stored reference paths of executions whose content is kept (is an object still in use?).';

create or replace function private.reference_in_use(p_path text, p_except uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.workflow_executions e
    where e.content_purged_at is null and e.input_data ? 'reference_images'
      and (e.input_data -> 'reference_images') @> jsonb_build_array(jsonb_build_object('path', p_path))
      and e.id is distinct from p_except)
$$;
comment on function private.reference_in_use(text, uuid) is 'Whether an execution other than p_except whose content is kept names this reference object.';
revoke all on function private.reference_in_use(text, uuid) from public, anon, authenticated;
grant execute on function private.reference_in_use(text, uuid) to service_role;

-- Objects SQL cannot remove itself (hosted Storage refuses direct deletes on storage.objects):
-- queued here, removed by the retention run through the Storage API.
create table private.storage_garbage (
  bucket_id text not null,
  name text not null,
  queued_at timestamptz not null default now(),
  primary key (bucket_id, name)
);
comment on table private.storage_garbage is 'Storage objects to remove through the Storage API (a deleted execution''s references); the retention run drains it, keeping what another execution still names.';
revoke all on private.storage_garbage from public, anon, authenticated;
grant select, delete on private.storage_garbage to service_role;

create or replace function private.queue_execution_references()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.storage_garbage (bucket_id, name)
  select 'reference-images', r.value ->> 'path'
  from jsonb_array_elements(coalesce(old.input_data -> 'reference_images', '[]'::jsonb)) r
  where r.value ? 'path'
  on conflict do nothing;
  return null;
end
$$;
comment on function private.queue_execution_references() is 'AFTER DELETE on workflow_executions: queues the run''s stored reference images for removal (kept while another run names them).';
revoke all on function private.queue_execution_references() from public;

create trigger queue_execution_references after delete on public.workflow_executions
  for each row when (old.input_data ? 'reference_images')
  execute function private.queue_execution_references();
comment on trigger queue_execution_references on public.workflow_executions is 'A deleted run''s reference objects go to private.storage_garbage.';

-- What the retention run removes from reference-images: queued garbage no run names, a due
-- execution's own references no other kept run names, and uploads older than their client's
-- retention that no kept run names (abandoned uploads).
create or replace function private.reference_objects_to_remove(p_execution_id uuid, p_limit integer)
returns table (name text, reason text)
language sql
stable
security definer
set search_path = ''
as $$
  (select g.name, 'garbage' from private.storage_garbage g
   where p_execution_id is null and g.bucket_id = 'reference-images'
     and not private.reference_in_use(g.name, null)
   order by g.queued_at limit greatest(p_limit, 0))
  union all
  (select distinct r.value ->> 'path', 'execution'
   from public.workflow_executions e,
     jsonb_array_elements(coalesce(e.input_data -> 'reference_images', '[]'::jsonb)) r
   where p_execution_id is not null and e.id = p_execution_id and r.value ? 'path'
     and not private.reference_in_use(r.value ->> 'path', e.id)
     and exists (select 1 from storage.objects o
                 where o.bucket_id = 'reference-images' and o.name = r.value ->> 'path'))
  union all
  (select o.name, 'stale_upload' from storage.objects o
   join public.clients c on c.id::text = split_part(o.name, '/', 1)
   where p_execution_id is null and o.bucket_id = 'reference-images'
     and o.created_at < now() - make_interval(days => private.client_retention_days(c.id))
     and not private.reference_in_use(o.name, null)
   order by o.created_at limit greatest(p_limit, 0))
$$;
comment on function private.reference_objects_to_remove(uuid, integer) is 'Retention: reference-images objects to remove, for one due execution (its references no other kept run names) or, with null, queued garbage and uploads older than their client''s retention that no kept run names.';
revoke all on function private.reference_objects_to_remove(uuid, integer) from public, anon, authenticated;
grant execute on function private.reference_objects_to_remove(uuid, integer) to service_role;

-- The purge learns the references: the rows are scrubbed only once the execution's own
-- references (those no other kept run names) are gone too. Otherwise as in 20261203035000.
create or replace function private.purge_execution_content(p_execution_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_marker constant text := '[removed by retention]';
  v_due boolean;
  v_left integer;
begin
  select e.completed_at < now() - make_interval(days => private.client_retention_days(e.client_id))
  into v_due
  from public.workflow_executions e
  where e.id = p_execution_id and e.completed_at is not null and e.content_purged_at is null
  for no key update of e;
  if not coalesce(v_due, false) then
    return case when exists (select 1 from public.workflow_executions e
                             where e.id = p_execution_id and e.content_purged_at is not null)
                then 'already_purged' else 'not_due' end;
  end if;
  -- Storage first: the rows are scrubbed only once the API removed every object.
  select count(*) into v_left from storage.objects o
  where o.bucket_id = 'workflow-results' and o.name like p_execution_id::text || '/%';
  if v_left > 0 then
    return 'objects_remain';
  end if;
  if exists (select 1 from private.reference_objects_to_remove(p_execution_id, 0)) then
    return 'objects_remain';
  end if;

  update public.workflow_batch_results r
  set prompt_text = c_marker,
      result_url = null,
      result_storage_path = null,
      pending_storage_path = null,
      -- messages can quote the prompt; the machine-readable code stays
      error_message = case when r.error_message is null then null else c_marker end
  where r.execution_id = p_execution_id;

  update public.workflow_executions e
  set input_data = (e.input_data - 'reference_images') || jsonb_build_object('prompts',
        (select coalesce(jsonb_agg(to_jsonb(c_marker)), '["[removed by retention]"]'::jsonb)
         from jsonb_array_elements(e.input_data -> 'prompts'))),
      content_purged_at = now()
  where e.id = p_execution_id;

  delete from private.signed_url_cache c where c.object_path like p_execution_id::text || '/%';
  return 'purged';
end
$$;
comment on function private.purge_execution_content(uuid) is 'Retention: scrubs a due execution''s prompts, reference images and result paths (the rows stay, as the billing record) once its results folder is empty and its own reference objects are gone; answers purged, objects_remain, not_due or already_purged.';

-- pg_cron's kick also fires for reference garbage and stale uploads.
create or replace function private.kick_retention()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  if not exists (select 1 from private.retention_due(1))
     and not exists (select 1 from private.reference_objects_to_remove(null, 1)) then
    return null;
  end if;
  select max(ds.decrypted_secret) filter (where ds.name = 'project_url'),
         max(ds.decrypted_secret) filter (where ds.name = 'secret_key')
  into v_url, v_key
  from vault.decrypted_secrets ds
  where ds.name in ('project_url', 'secret_key');
  if v_url is null or v_key is null then
    raise warning 'retention not kicked: vault secrets project_url / secret_key are missing';
    return null;
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/process-batch/retention',
    body := '{}'::jsonb,
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key),
    timeout_milliseconds := 3000
  );
end
$$;
comment on function private.kick_retention() is 'pg_cron: when some execution is past its retention, or reference objects are due for removal, asks process-batch /retention (pg_net, secret key from Vault) to remove Storage objects and then content.';

-- The upload route's plan: which paths a member may upload n images to for this workflow,
-- refused (MS4xx) when the workflow takes none, or the count, a size or a type is over the
-- model's limits. Paths are fresh names in the workflow's client's folder; Storage RLS still
-- decides whether the caller may upload there (when the signed URL is made).
create or replace function private.plan_reference_uploads(p_workflow_id uuid, p_images jsonb)
returns jsonb
language plpgsql
-- definer: reads the model catalogue (admins only); the workflow is looked up with the same
-- visibility test as its select policy, so an invisible one is a 404.
security definer
set search_path = ''
as $$
declare
  w record;
  v_limits jsonb;
  bad record;
  v_total bigint;
begin
  select x.id, x.client_id, x.config into w from public.workflows x
  where x.id = p_workflow_id and x.status = 'active'
    and ((select private.is_admin()) or x.client_id in (select private.my_client_ids()));
  if not found then
    raise exception 'No such workflow' using errcode = 'MS404', hint = 'workflow_not_found',
      detail = jsonb_build_array(jsonb_build_object('field', 'workflow_id',
        'message', 'no active workflow with this id is available to you'))::text;
  end if;
  v_limits := private.reference_image_limits(w.config ->> 'model', w.config);
  if not (v_limits ->> 'supported')::boolean then
    raise exception 'This workflow does not take reference images'
      using errcode = 'MS422', hint = 'reference_images_not_supported',
        detail = jsonb_build_array(jsonb_build_object('field', 'images',
          'message', 'This workflow does not take reference images'))::text;
  end if;
  if jsonb_array_length(p_images) > (v_limits ->> 'max_images')::integer then
    raise exception 'This workflow takes at most % reference images', v_limits ->> 'max_images'
      using errcode = 'MS422', hint = 'too_many_reference_images',
        detail = jsonb_build_array(jsonb_build_object('field', 'images',
          'message', format('at most %s images', v_limits ->> 'max_images')))::text;
  end if;
  select (i.ord - 1)::integer as ord, i.value ->> 'mime_type' as mime_type,
    (i.value ->> 'size_bytes')::bigint as bytes into bad
  from jsonb_array_elements(p_images) with ordinality i(value, ord)
  where not (v_limits -> 'mime_types') ? (i.value ->> 'mime_type')
     or (i.value ->> 'size_bytes')::bigint > (v_limits ->> 'max_image_bytes')::bigint
  order by i.ord limit 1;
  if found then
    if not (v_limits -> 'mime_types') ? bad.mime_type then
      raise exception 'This workflow''s model does not take % reference images', bad.mime_type
        using errcode = 'MS422', hint = 'reference_image_type_not_allowed',
          detail = jsonb_build_array(jsonb_build_object('field', 'images.' || bad.ord || '.mime_type',
            'message', 'type not taken by this workflow''s model'))::text;
    end if;
    raise exception 'A reference image may have at most % bytes', v_limits ->> 'max_image_bytes'
      using errcode = 'MS422', hint = 'reference_image_too_large',
        detail = jsonb_build_array(jsonb_build_object('field', 'images.' || bad.ord || '.size_bytes',
          'message', format('at most %s bytes', v_limits ->> 'max_image_bytes')))::text;
  end if;
  select sum((i.value ->> 'size_bytes')::bigint) into v_total from jsonb_array_elements(p_images) i;
  if v_total > (v_limits ->> 'max_total_bytes')::bigint then
    raise exception 'Reference images may have at most % bytes in all', v_limits ->> 'max_total_bytes'
      using errcode = 'MS422', hint = 'reference_image_too_large',
        detail = jsonb_build_array(jsonb_build_object('field', 'images',
          'message', format('at most %s bytes in all', v_limits ->> 'max_total_bytes')))::text;
  end if;
  return jsonb_build_object(
    'client_id', w.client_id,
    'limits', v_limits - 'supported',
    'paths', (select jsonb_agg(w.client_id::text || '/' || gen_random_uuid()::text || '.'
                 || case i.value ->> 'mime_type' when 'image/png' then 'png'
                      when 'image/jpeg' then 'jpg' else 'webp' end order by i.ord)
              from jsonb_array_elements(p_images) with ordinality i(value, ord)));
end
$$;
comment on function private.plan_reference_uploads(uuid, jsonb) is 'POST start-execution/reference-uploads: fresh object paths in the workflow''s client''s folder for images [{mime_type, size_bytes}], refused (MS404/MS422) past the workflow''s and model''s reference limits.';
revoke all on function private.plan_reference_uploads(uuid, jsonb) from public, anon;
grant execute on function private.plan_reference_uploads(uuid, jsonb) to authenticated;
