-- Test helpers for the pgTAP suite, loaded once into the test database before pg_prove runs
-- (psql -f tests/db/helpers.sql). Everything lives in schema `tests`, which no migration
-- touches; the functions switch roles the way a user request does (request.jwt.claims plus
-- `set local role`), so policies are exercised exactly as in production.

create extension if not exists pgtap with schema extensions;

-- pgTAP is a privileged extension: supabase_admin creates it (supautils), so its functions keep
-- Postgres's default EXECUTE for PUBLIC and assertions work after `set role`. (The migrations'
-- revoke of that default only covers functions postgres creates.)

create schema if not exists tests;
comment on schema tests is 'pgTAP helpers: test users, role switching, fixtures. Never part of the API.';
grant usage on schema tests to anon, authenticated, service_role;

-- users ---------------------------------------------------------------------------------

create or replace function tests.create_user(
  email text,
  name text default null,
  is_admin boolean default false,
  id uuid default null
)
returns uuid
language plpgsql
as $$
declare
  new_id uuid := coalesce($4, gen_random_uuid());
begin
  -- Same path as a real sign-up: the auth trigger creates public.users. Admin comes only from
  -- app metadata, as on Supabase.
  insert into auth.users (id, aud, role, email, created_at, updated_at, raw_user_meta_data, raw_app_meta_data)
  values (
    new_id,
    'authenticated',
    'authenticated',
    $1,
    now(),
    now(),
    case when $2 is null then '{}'::jsonb else jsonb_build_object('name', $2) end,
    case when $3 then '{"provider":"email","role":"admin"}'::jsonb else '{"provider":"email"}'::jsonb end
  );
  return new_id;
end
$$;
comment on function tests.create_user(text, text, boolean, uuid) is 'Creates an auth user (and through the trigger its public.users row); admin via app metadata. Returns the id.';

-- role switching ------------------------------------------------------------------------
-- Not security definer: `set role` is refused inside security definer functions. Switching
-- back first works from any role: a session may always return to its session user (postgres).

create or replace function tests.clear_authentication()
returns void
language plpgsql
as $$
begin
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', '', true);
end
$$;
comment on function tests.clear_authentication() is 'Back to the session user (postgres) with no JWT claims.';

create or replace function tests.authenticate_as(email text)
returns void
language plpgsql
as $$
declare
  user_id uuid;
begin
  perform tests.clear_authentication();
  select u.id into user_id from auth.users u where u.email = $1;
  if user_id is null then
    raise exception 'tests.authenticate_as: no auth user with email %', $1;
  end if;
  perform set_config(
    'request.jwt.claims',
    json_build_object(
      'sub', user_id, 'email', $1, 'role', 'authenticated', 'aud', 'authenticated',
      'app_metadata', json_build_object('provider', 'email')
    )::text,
    true
  );
  perform set_config('role', 'authenticated', true);
end
$$;
comment on function tests.authenticate_as(text) is 'Acts as that user for the rest of the transaction: JWT claims + role authenticated.';

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
as $$
begin
  perform tests.clear_authentication();
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform set_config('role', 'anon', true);
end
$$;
comment on function tests.authenticate_as_anon() is 'Acts as a request without a user session (anon key).';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
as $$
begin
  perform tests.clear_authentication();
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  perform set_config('role', 'service_role', true);
end
$$;
comment on function tests.authenticate_as_service_role() is 'Acts as a trusted server-side caller (service key); bypasses RLS.';

create or replace function tests.act_as(actor text)
returns void
language plpgsql
as $$
begin
  case actor
    when 'anon' then perform tests.authenticate_as_anon();
    when 'service_role' then perform tests.authenticate_as_service_role();
    when 'postgres' then perform tests.clear_authentication();
    else perform tests.authenticate_as(actor);
  end case;
end
$$;
comment on function tests.act_as(text) is 'authenticate_as for an e-mail, or the special actors anon, service_role, postgres.';

-- running statements as an actor --------------------------------------------------------

create or replace function tests.try_as(actor text, statement text)
returns text
language plpgsql
as $$
declare
  affected bigint;
begin
  begin
    perform tests.act_as(actor);
    execute statement;
    get diagnostics affected = row_count;
  exception when others then
    -- Aborting the block also undoes the role switch made inside it.
    return 'error:' || sqlstate;
  end;
  perform tests.clear_authentication();
  return 'ok:' || affected;
end
$$;
comment on function tests.try_as(text, text) is 'Runs one statement as actor, then switches back. Returns ok:<rows affected> or error:<sqlstate>.';

-- fixtures ------------------------------------------------------------------------------
-- Fixture rows get ids derived from a key, so tests name rows ('client_a') instead of
-- carrying uuids around, and visibility reads back as a list of keys.

create or replace function tests.fx(key text)
returns uuid
language sql
immutable
as $$
  select md5('rls-fixture:' || key)::uuid
$$;
comment on function tests.fx(text) is 'Deterministic id of the fixture row with this key.';

create or replace function tests.fixture_keys()
returns text[]
language sql
immutable
as $$
  select array[
    'admin', 'owner_a', 'collab_a', 'owner_b', 'loner', 'spare', 'orphan',
    'client_a', 'client_b', 'client_new',
    'mem_owner_a', 'mem_collab_a', 'mem_owner_b', 'mem_spare_b',
    'tpl', 'tpl_spare', 'tpl_new',
    'wf_a', 'wf_a_inactive', 'wf_a_spare', 'wf_b', 'wf_new',
    'req_a_pending', 'req_a_pending2', 'req_a_approved', 'req_b_pending', 'req_new_a', 'req_new_b',
    'exec_a', 'exec_a_spare', 'exec_b', 'exec_new_collab', 'exec_new_owner', 'exec_new_admin',
    'res_a0', 'res_a1', 'res_b0', 'res_new',
    'tkt_a_open', 'tkt_a_progress', 'tkt_a_resolved', 'tkt_a_closed', 'tkt_b_open',
    'tkt_new_collab', 'tkt_new_admin',
    'obj_a', 'obj_b', 'obj_new'
  ]
$$;
comment on function tests.fixture_keys() is 'Every key tests.fx() is used with, so visible_as can name what a caller sees.';

create or replace function tests.visible_as(actor text, tbl regclass)
returns text[]
language plpgsql
as $$
declare
  keys text[];
begin
  perform tests.act_as(actor);
  execute format(
    'select coalesce(array_agg(k order by k), ''{}'') from unnest(tests.fixture_keys()) k '
    'where exists (select 1 from %s t where t.id = tests.fx(k))',
    tbl
  ) into keys;
  perform tests.clear_authentication();
  return keys;
end
$$;
comment on function tests.visible_as(text, regclass) is 'Sorted keys of the fixture rows of tbl that actor can select.';

create or replace function tests.create_rls_fixtures()
returns void
language plpgsql
as $$
begin
  -- Actors: an admin; client A with an owner and a collaborator; client B with an owner; a
  -- user with no membership; two spare users for admin-only membership and user writes.
  perform tests.create_user('admin@rls.test', 'RLS Admin', true, tests.fx('admin'));
  perform tests.create_user('owner-a@rls.test', 'Owner A', false, tests.fx('owner_a'));
  perform tests.create_user('collab-a@rls.test', 'Collaborator A', false, tests.fx('collab_a'));
  perform tests.create_user('owner-b@rls.test', 'Owner B', false, tests.fx('owner_b'));
  perform tests.create_user('loner@rls.test', 'Loner', false, tests.fx('loner'));
  perform tests.create_user('spare@rls.test', 'Spare', false, tests.fx('spare'));
  -- An auth user whose public.users row is missing: target of the admin insert test.
  perform tests.create_user('orphan@rls.test', 'Orphan', false, tests.fx('orphan'));
  delete from public.users where id = tests.fx('orphan');

  insert into public.clients (id, name, company_name, email) values
    (tests.fx('client_a'), 'Client A', 'Client A Ltd', 'contact@a.rls.test'),
    (tests.fx('client_b'), 'Client B', 'Client B Ltd', 'contact@b.rls.test');

  insert into public.client_members (id, client_id, user_id, role) values
    (tests.fx('mem_owner_a'), tests.fx('client_a'), tests.fx('owner_a'), 'owner'),
    (tests.fx('mem_collab_a'), tests.fx('client_a'), tests.fx('collab_a'), 'collaborator'),
    (tests.fx('mem_owner_b'), tests.fx('client_b'), tests.fx('owner_b'), 'owner');

  -- Revenue above the catalogue's price at the default size (the templates trigger insists).
  insert into public.workflow_templates (id, name, workflow_type, config, revenue_per_execution) values
    (tests.fx('tpl'), 'RLS Template', 'nano_banana',
      '{"model":"gemini-3.1-flash-image","max_prompts":100,"requires_api_key":false}', 0.5),
    (tests.fx('tpl_spare'), 'RLS Spare Template', 'pro_banana',
      '{"model":"gemini-3-pro-image","max_prompts":100,"requires_api_key":false}', 0.5);

  insert into public.workflows (id, name, status, config, client_id, template_id) values
    (tests.fx('wf_a'), 'A active', 'active', '{"model":"gemini-3.1-flash-image","max_prompts":100,"requires_api_key":false}', tests.fx('client_a'), tests.fx('tpl')),
    (tests.fx('wf_a_inactive'), 'A inactive', 'inactive', '{}', tests.fx('client_a'), tests.fx('tpl')),
    (tests.fx('wf_a_spare'), 'A spare', 'active', '{}', tests.fx('client_a'), null),
    (tests.fx('wf_b'), 'B active', 'active', '{}', tests.fx('client_b'), tests.fx('tpl'));

  insert into public.workflow_requests (id, client_id, workflow_id, status, notes) values
    (tests.fx('req_a_pending'), tests.fx('client_a'), tests.fx('wf_a'), 'pending', 'first'),
    (tests.fx('req_a_pending2'), tests.fx('client_a'), tests.fx('wf_a'), 'pending', 'second'),
    (tests.fx('req_a_approved'), tests.fx('client_a'), tests.fx('wf_a'), 'approved', 'decided'),
    (tests.fx('req_b_pending'), tests.fx('client_b'), tests.fx('wf_b'), 'pending', 'b');

  insert into public.workflow_executions (id, workflow_id, client_id, triggered_by_user_id, status, input_data) values
    (tests.fx('exec_a'), tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), 'processing', '{"prompts":["a cat","a dog"]}'),
    (tests.fx('exec_a_spare'), tests.fx('wf_a'), tests.fx('client_a'), tests.fx('owner_a'), 'completed', '{"prompts":["spare"]}'),
    (tests.fx('exec_b'), tests.fx('wf_b'), tests.fx('client_b'), tests.fx('owner_b'), 'processing', '{"prompts":["b"]}');

  insert into public.workflow_batch_results (id, execution_id, batch_index, prompt_text) values
    (tests.fx('res_a0'), tests.fx('exec_a'), 0, 'a cat'),
    (tests.fx('res_a1'), tests.fx('exec_a'), 1, 'a dog'),
    (tests.fx('res_b0'), tests.fx('exec_b'), 0, 'b');

  insert into public.support_tickets (id, client_id, user_id, subject, description, status, priority) values
    (tests.fx('tkt_a_open'), tests.fx('client_a'), tests.fx('collab_a'), 'open one', 'd', 'open', 'medium'),
    (tests.fx('tkt_a_progress'), tests.fx('client_a'), tests.fx('owner_a'), 'in progress', 'd', 'in_progress', 'medium'),
    (tests.fx('tkt_a_resolved'), tests.fx('client_a'), tests.fx('owner_a'), 'resolved one', 'd', 'resolved', 'low'),
    (tests.fx('tkt_a_closed'), tests.fx('client_a'), tests.fx('collab_a'), 'closed one', 'd', 'closed', 'low'),
    (tests.fx('tkt_b_open'), tests.fx('client_b'), tests.fx('owner_b'), 'b ticket', 'd', 'open', 'high');

  -- The bucket is declared in config.toml; make sure it exists whoever creates it.
  insert into storage.buckets (id, name, public) values ('workflow-results', 'workflow-results', false)
  on conflict (id) do nothing;
  insert into storage.objects (id, bucket_id, name) values
    (tests.fx('obj_a'), 'workflow-results', tests.fx('exec_a') || '/0_1700000000.png'),
    (tests.fx('obj_b'), 'workflow-results', tests.fx('exec_b') || '/0_1700000000.png');
end
$$;
comment on function tests.create_rls_fixtures() is 'Creates the RLS fixture world (two clients, every actor, rows in every table) inside the current transaction.';

grant execute on all functions in schema tests to anon, authenticated, service_role;
