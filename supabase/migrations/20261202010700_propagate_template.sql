-- Moving every workflow assigned from a template to the template's current config (a new
-- model, new options) in one call, with a dry run that lists what would change and which
-- executions are still running on each workflow. Each workflow keeps its own settings (where
-- its config differs from the template config it last came from, see
-- 20261202010400_workflow_template_config.sql). Running executions are not touched: they
-- keep the model they snapshotted when they started.
--
-- security invoker: the caller's RLS decides (only admins see templates and write
-- workflows), and every workflow is written through the same triggers as any other write, so
-- the dry run is the real update rolled back: what it calls a problem is exactly what the
-- real run would refuse. A real run with any problem writes nothing (MS422).

create or replace function public.propagate_template(p_template_id uuid, p_dry_run boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  t public.workflow_templates;
  w record;
  v_overrides jsonb;
  v_new jsonb;
  v_changes jsonb;
  v_running jsonb;
  v_problem jsonb;
  v_message text;
  v_hint text;
  v_list jsonb := '[]'::jsonb;
  v_blocked jsonb := '[]'::jsonb;
begin
  if not (select private.is_admin()) then
    raise exception 'Only platform admins can propagate templates'
      using errcode = 'MS403', hint = 'admin_only';
  end if;
  if p_dry_run is null then
    raise exception 'dry_run must be true or false' using errcode = 'MS400', hint = 'invalid_request';
  end if;
  select * into t from public.workflow_templates where id = p_template_id;
  if not found then
    raise exception 'Template not found' using errcode = 'MS404', hint = 'template_not_found';
  end if;

  for w in
    select x.id, x.name, x.client_id, x.status, x.config, x.template_config
    from public.workflows x
    where x.template_id = t.id
    order by x.created_at, x.id
    for update
  loop
    v_overrides := private.config_overrides(w.config, w.template_config);
    v_new := t.config || v_overrides || jsonb_build_object('workflow_type', t.workflow_type);
    select coalesce(jsonb_object_agg(k.key,
             jsonb_build_object('from', w.config -> k.key, 'to', v_new -> k.key) order by k.key),
           '{}'::jsonb)
    into v_changes
    from (select jsonb_object_keys(w.config) as key union select jsonb_object_keys(v_new)) k
    where w.config -> k.key is distinct from v_new -> k.key;
    continue when v_changes = '{}'::jsonb;

    select coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'status', e.status, 'model', e.model,
             'created_at', e.created_at) order by e.created_at, e.id), '[]'::jsonb)
    into v_running
    from public.workflow_executions e
    where e.workflow_id = w.id and e.completed_at is null;

    v_problem := null;
    begin
      update public.workflows x set config = v_new, template_config = t.config where x.id = w.id;
      if p_dry_run then
        raise exception 'dry run' using errcode = 'MS299'; -- undo this workflow's update
      end if;
    exception
      when sqlstate 'MS299' then
        null;
      when sqlstate 'MS422' or check_violation then
        get stacked diagnostics v_message = message_text, v_hint = pg_exception_hint;
        v_problem := jsonb_build_object('code', coalesce(nullif(v_hint, ''), 'invalid_config'),
          'message', v_message);
    end;

    v_list := v_list || jsonb_build_object(
      'id', w.id, 'name', w.name, 'client_id', w.client_id, 'status', w.status,
      'changes', v_changes, 'kept_overrides', v_overrides, 'problem', v_problem,
      'running_executions', v_running);
    if v_problem is not null then
      v_blocked := v_blocked || jsonb_build_object('workflow_id', w.id, 'name', w.name,
        'code', v_problem ->> 'code', 'message', v_problem ->> 'message');
    end if;
  end loop;

  if not p_dry_run and jsonb_array_length(v_blocked) > 0 then
    raise exception 'Propagation refused: % of the template''s workflows cannot take its config (nothing was changed)',
      jsonb_array_length(v_blocked)
      using errcode = 'MS422', hint = 'propagation_blocked', detail = v_blocked::text;
  end if;
  return jsonb_build_object(
    'template_id', t.id,
    'dry_run', p_dry_run,
    'workflows', v_list,
    'changed', jsonb_array_length(v_list) - jsonb_array_length(v_blocked),
    'blocked', jsonb_array_length(v_blocked));
end
$$;
comment on function public.propagate_template(uuid, boolean) is 'Admin: moves the workflows assigned from a template to its current config, keeping each workflow''s own settings; dry_run lists the changes, problems and running executions (which keep their model) and writes nothing. A real run with any problem is refused whole (422 propagation_blocked).';
revoke all on function public.propagate_template(uuid, boolean) from public, anon;
grant execute on function public.propagate_template(uuid, boolean) to authenticated, service_role;
