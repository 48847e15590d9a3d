-- Assigning a template to a client is several reads and one write that must agree with each
-- other, so it is one SQL function. security invoker: the caller's RLS still decides (only
-- admins see templates and write workflows); the explicit checks below only turn the
-- domain rules into clear answers (MS4xx, see shared/pg-errors.ts).

create or replace function public.assign_template(
  p_template_id uuid,
  p_client_id uuid,
  p_name text default null,
  p_description text default null,
  p_config_overrides jsonb default '{}'::jsonb
)
returns public.workflows
language plpgsql
set search_path = ''
as $$
declare
  t public.workflow_templates;
  c public.clients;
  w public.workflows;
  overrides jsonb := coalesce(p_config_overrides, '{}'::jsonb);
  refused text[];
  merged jsonb;
  problem text;
begin
  -- Templates are invisible to everyone else; saying so beats a misleading 404.
  if not (select private.is_admin()) then
    raise exception 'Only platform admins can assign templates'
      using errcode = 'MS403', hint = 'admin_only';
  end if;

  select * into t from public.workflow_templates where id = p_template_id;
  if not found then
    raise exception 'Template not found' using errcode = 'MS404', hint = 'template_not_found';
  end if;
  if not t.is_active then
    raise exception 'Template "%" is inactive and cannot be assigned', t.name
      using errcode = 'MS422', hint = 'template_inactive';
  end if;

  select * into c from public.clients where id = p_client_id;
  if not found then
    raise exception 'Client not found' using errcode = 'MS404', hint = 'client_not_found';
  end if;
  if c.status <> 'active' then
    raise exception 'Client "%" is % and cannot receive workflows', c.name, c.status
      using errcode = 'MS422', hint = 'client_not_active';
  end if;

  if jsonb_typeof(overrides) <> 'object' then
    raise exception 'config_overrides must be an object'
      using errcode = 'MS422', hint = 'invalid_config';
  end if;
  -- Only what the template lists in config.overridable may differ per client.
  select array_agg(k order by k) into refused
  from jsonb_object_keys(overrides) k
  where not coalesce(t.config -> 'overridable', '[]'::jsonb) ? k;
  if refused is not null then
    raise exception 'This template does not allow overriding: %', array_to_string(refused, ', ')
      using errcode = 'MS422', hint = 'override_not_allowed',
        detail = json_build_object('keys', refused)::text;
  end if;

  -- The workflow keeps its own copy: later template edits must not change what a client
  -- already bought. workflow_type is stamped in so the copy is self-describing.
  merged := t.config || overrides || jsonb_build_object('workflow_type', t.workflow_type);
  problem := private.template_config_problem(t.workflow_type, merged);
  if problem is not null then
    raise exception 'Invalid config after overrides: %', problem
      using errcode = 'MS422', hint = 'invalid_config';
  end if;

  insert into public.workflows (name, description, status, config, client_id, template_id)
  values (
    coalesce(nullif(trim(p_name), ''), c.name || ' - ' || t.name),
    coalesce(p_description, t.description),
    'active',
    merged,
    c.id,
    t.id
  )
  returning * into w;
  return w;
end
$$;
comment on function public.assign_template(uuid, uuid, text, text, jsonb) is 'Admin: creates a client''s workflow from an active template (name defaults to "<client> - <template>", config copied with allowed overrides). 422 for inactive templates, non-active clients, disallowed or invalid overrides.';
revoke all on function public.assign_template(uuid, uuid, text, text, jsonb) from public, anon;
grant execute on function public.assign_template(uuid, uuid, text, text, jsonb) to authenticated, service_role;
