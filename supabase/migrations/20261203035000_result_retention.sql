-- Retention: a finished execution's generated images and its inputs (prompts, reference
-- images) are removed once they are older than the client's retention (90 days unless an admin
-- set another for the client). The execution row and its ledger rows stay: they are the
-- billing record (status, attempts, timings, counts, prices, output_data's totals), with the
-- content replaced by a marker.
--
-- Storage objects go first, and through the Storage API: hosted Supabase refuses direct
-- deletes on storage.objects, so SQL cannot remove a file. pg_cron asks process-batch's
-- /retention route (via pg_net, secret key from Vault) to run; for each due execution it lists
-- and removes the folder through the API, then calls private.purge_execution_content, which
-- scrubs the rows only if the folder is really empty. A crash between the two leaves the rows
-- as they were (the next run finds the folder empty and scrubs them); nothing that is not due
-- is ever touched, and a second run finds nothing to do.

create table private.retention_settings (
  id boolean primary key default true check (id),
  default_days integer not null default 90 check (default_days between 1 and 3650),
  executions_per_run integer not null default 100 check (executions_per_run between 1 and 1000)
);
comment on table private.retention_settings is 'Retention defaults (one row): days a finished execution keeps its images and inputs unless its client has its own, and how many executions one run handles.';
insert into private.retention_settings default values;
revoke all on private.retention_settings from public, anon, authenticated;
grant select, update on private.retention_settings to service_role;

create table private.client_retention (
  client_id uuid primary key references public.clients (id) on delete cascade,
  retention_days integer not null check (retention_days between 1 and 3650),
  set_by uuid references public.users (id) on delete set null,
  set_at timestamptz not null default now()
);
comment on table private.client_retention is 'Per-client retention of results and inputs in days, set by platform admins (absent: retention_settings.default_days).';
revoke all on private.client_retention from public, anon, authenticated;
grant select on private.client_retention to service_role;

alter table public.workflow_executions add column content_purged_at timestamptz;
comment on column public.workflow_executions.content_purged_at is 'When retention removed the run''s images and inputs (prompts and reference images replaced by a marker); null while they are kept.';

create index idx_workflow_executions_retention on public.workflow_executions (completed_at)
  where content_purged_at is null and completed_at is not null;
comment on index public.idx_workflow_executions_retention is 'Finished executions whose content retention has not removed yet.';

-- The select list again (20261202050200, 20261203030000), with content_purged_at.
revoke select on public.workflow_executions from authenticated;
grant select (
  id, workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
  started_at, completed_at, duration_seconds, error_message, created_at, idempotency_key,
  request_hash, concurrency, unit_revenue, last_kicked_at, storage_reconciled_at,
  model, image_size, error_code, input_bytes, retry_of, retry_indexes, content_purged_at
) on public.workflow_executions to authenticated;

create or replace function private.set_client_retention(p_client_id uuid, p_days integer)
returns jsonb
language plpgsql
-- definer: the table is private; the admin test below is the gate.
security definer
set search_path = ''
as $$
begin
  if not (select private.is_admin()) then
    raise exception 'Only platform admins set a client''s retention'
      using errcode = 'MS403', hint = 'admin_only';
  end if;
  if not exists (select 1 from public.clients c where c.id = p_client_id) then
    raise exception 'Client not found' using errcode = 'MS404', hint = 'client_not_found';
  end if;
  if p_days is not null and (p_days < 1 or p_days > 3650) then
    raise exception 'retention_days must be between 1 and 3650'
      using errcode = 'MS400', hint = 'invalid_request',
        detail = jsonb_build_array(jsonb_build_object('field', 'retention_days',
          'message', 'must be between 1 and 3650 days'))::text;
  end if;
  if p_days is null then
    delete from private.client_retention r where r.client_id = p_client_id;
  else
    insert into private.client_retention (client_id, retention_days, set_by)
    values (p_client_id, p_days, (select auth.uid()))
    on conflict (client_id) do update
      set retention_days = excluded.retention_days, set_by = excluded.set_by, set_at = now();
  end if;
  return jsonb_build_object('client_id', p_client_id,
    'retention_days', (select private.client_retention_days(p_client_id)),
    'default', p_days is null);
end
$$;
comment on function private.set_client_retention(uuid, integer) is 'Admins: sets a client''s retention in days (1-3650), or back to the default with null. 403 for anyone else.';
revoke all on function private.set_client_retention(uuid, integer) from public, anon;
grant execute on function private.set_client_retention(uuid, integer) to authenticated;

create or replace function private.client_retention_days(p_client_id uuid)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select r.retention_days from private.client_retention r where r.client_id = p_client_id),
    (select s.default_days from private.retention_settings s))
$$;
comment on function private.client_retention_days(uuid) is 'Days a client''s finished executions keep their images and inputs (its own setting, else the default).';
revoke all on function private.client_retention_days(uuid) from public, anon, authenticated;
grant execute on function private.client_retention_days(uuid) to service_role;

create or replace function private.retention_due(p_limit integer)
returns table (execution_id uuid, client_id uuid, completed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select e.id, e.client_id, e.completed_at
  from public.workflow_executions e
  left join private.client_retention r on r.client_id = e.client_id
  cross join private.retention_settings s
  where e.completed_at is not null
    and e.content_purged_at is null
    and e.completed_at < now() - make_interval(days => coalesce(r.retention_days, s.default_days))
  order by e.completed_at, e.id
  limit greatest(p_limit, 0)
$$;
comment on function private.retention_due(integer) is 'Finished executions past their client''s retention whose content is not removed yet, oldest first.';
revoke all on function private.retention_due(integer) from public, anon, authenticated;
grant execute on function private.retention_due(integer) to service_role;

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
comment on function private.purge_execution_content(uuid) is 'Retention: scrubs a due execution''s prompts, reference images and result paths (the rows stay, as the billing record) once its Storage folder is empty; answers purged, objects_remain, not_due or already_purged.';
revoke all on function private.purge_execution_content(uuid) from public, anon, authenticated;
grant execute on function private.purge_execution_content(uuid) to service_role;

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
  if not exists (select 1 from private.retention_due(1)) then
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
comment on function private.kick_retention() is 'pg_cron: when some execution is past its retention, asks process-batch /retention (pg_net, secret key from Vault) to remove its Storage objects and then its content.';
revoke all on function private.kick_retention() from public, anon, authenticated;
grant execute on function private.kick_retention() to service_role;

select cron.schedule('masstock-retention', '41 * * * *', 'select private.kick_retention()');
