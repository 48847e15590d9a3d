-- Every privilege anon and authenticated hold outside the product's tables, from the catalogs,
-- so a grant added later (or a default one nobody revoked) fails here until it is listed with
-- a reason. Only what a role can actually reach counts: a privilege on an object in a schema
-- the role may not use is dead. Privileges on public tables and views are the RLS matrix's
-- business (rls_*.test.sql).
--
-- Objects the migration role (postgres) owns, or grants it made, are "ours" and must match the
-- list below exactly. Objects the platform owns (on hosted: net by supabase_admin, storage by
-- supabase_storage_admin) keep grants only their owner can revoke; for those this file checks
-- behaviour instead: the dangerous operations are refused.
begin;
set local search_path = public, extensions;
select plan(22);

create temp table api_privileges on commit drop as
with roles(role_name) as (values ('anon'), ('authenticated')),
harness as (
  -- pgTAP is installed (and granted) by the test harness only, never by a migration.
  select d.objid from pg_depend d join pg_extension e on e.oid = d.refobjid
  where e.extname = 'pgtap' and d.classid in ('pg_proc'::regclass, 'pg_class'::regclass)
    and d.deptype = 'e'
),
schemas as (
  select n.oid, n.nspname, n.nspowner, n.nspacl from pg_namespace n
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'tests')
    and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
),
objects as (
  select s.nspname, 'schema' as kind, s.nspname::text as name, s.nspowner as owner, s.nspacl as acl,
    p.privilege, has_schema_privilege(r.role_name, s.oid, p.privilege) as held, r.role_name,
    true as reachable
  from schemas s cross join roles r cross join (values ('USAGE'), ('CREATE')) p(privilege)
  union all
  select s.nspname, case c.relkind when 'S' then 'sequence' else 'table' end,
    format('%I.%I', s.nspname, c.relname), c.relowner, c.relacl, p.privilege,
    case when c.relkind = 'S' then has_sequence_privilege(r.role_name, c.oid, p.privilege)
         else has_table_privilege(r.role_name, c.oid, p.privilege)
           or (p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
               and has_any_column_privilege(r.role_name, c.oid, p.privilege)) end,
    r.role_name, has_schema_privilege(r.role_name, s.oid, 'USAGE')
  from pg_class c join schemas s on s.oid = c.relnamespace cross join roles r
  cross join lateral (
    select unnest(case when c.relkind = 'S' then array['USAGE', 'SELECT', 'UPDATE']
      else array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] end)
  ) p(privilege)
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and not (s.nspname = 'public' and c.relkind <> 'S')
    and c.oid not in (select objid from harness)
  union all
  select s.nspname, 'function', f.oid::regprocedure::text, f.proowner, f.proacl, 'EXECUTE',
    has_function_privilege(r.role_name, f.oid, 'EXECUTE'), r.role_name,
    has_schema_privilege(r.role_name, s.oid, 'USAGE')
  from pg_proc f join schemas s on s.oid = f.pronamespace cross join roles r
  where f.oid not in (select objid from harness)
)
select o.role_name, o.kind, o.name, o.privilege, o.nspname,
  -- ours: the migration role (or the database owner it is, for schema public) owns the object
  -- or granted something on it
  o.owner in (select r.oid from pg_roles r where r.rolname in (current_user, 'pg_database_owner'))
    or exists (select 1 from aclexplode(o.acl) a where a.grantor = current_user::regrole
               and (a.grantee = 0 or a.grantee = o.role_name::regrole)) as ours
from objects o
where o.held and o.reachable;

-- pgcrypto and uuid-ossp: pure computation, granted to PUBLIC on hosted as well, and
-- create_invitation (security invoker) needs gen_random_bytes.
create temp table api_expected on commit drop as
select * from (values
  -- schemas the API roles must reach: public (RLS), auth (auth.uid() in policies),
  -- extensions (pgcrypto), storage (the Storage API runs under RLS), private (RLS helpers)
  ('anon', 'schema', 'public', 'USAGE'),
  ('authenticated', 'schema', 'public', 'USAGE'),
  ('anon', 'schema', 'auth', 'USAGE'),
  ('authenticated', 'schema', 'auth', 'USAGE'),
  ('anon', 'schema', 'extensions', 'USAGE'),
  ('authenticated', 'schema', 'extensions', 'USAGE'),
  ('anon', 'schema', 'storage', 'USAGE'),
  ('authenticated', 'schema', 'storage', 'USAGE'),
  ('authenticated', 'schema', 'private', 'USAGE'),
  -- the claim helpers every policy calls
  ('anon', 'function', 'auth.email()', 'EXECUTE'),
  ('anon', 'function', 'auth.jwt()', 'EXECUTE'),
  ('anon', 'function', 'auth.role()', 'EXECUTE'),
  ('anon', 'function', 'auth.uid()', 'EXECUTE'),
  ('authenticated', 'function', 'auth.email()', 'EXECUTE'),
  ('authenticated', 'function', 'auth.jwt()', 'EXECUTE'),
  ('authenticated', 'function', 'auth.role()', 'EXECUTE'),
  ('authenticated', 'function', 'auth.uid()', 'EXECUTE'),
  -- RLS helpers and the checked functions members call (each its own grant in a migration)
  ('authenticated', 'function', 'private.cancel_execution(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'private.client_quota(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'private.first_changed_column(jsonb,jsonb,text[])', 'EXECUTE'),
  ('authenticated', 'function', 'private.is_admin()', 'EXECUTE'),
  ('authenticated', 'function', 'private.my_client_ids()', 'EXECUTE'),
  ('authenticated', 'function', 'private.my_owned_client_ids()', 'EXECUTE'),
  ('authenticated', 'function', 'private.plan_reference_uploads(uuid,jsonb)', 'EXECUTE'),
  ('authenticated', 'function', 'private.store_execution_api_key(uuid,text)', 'EXECUTE'),
  ('authenticated', 'function', 'private.set_client_api_key(uuid,text,text)', 'EXECUTE'),
  ('authenticated', 'function', 'private.delete_client_api_key(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'private.client_api_key_status(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'private.template_config_problem(text,jsonb)', 'EXECUTE'),
  -- the model catalogue's config checks, run by triggers as the writer
  ('authenticated', 'function', 'private.config_model_problem(text,jsonb,numeric,jsonb,boolean)', 'EXECUTE'),
  ('authenticated', 'function', 'private.config_overrides(jsonb,jsonb)', 'EXECUTE'),
  ('authenticated', 'function', 'private.gemini_aspect_ratios()', 'EXECUTE'),
  ('authenticated', 'function', 'private.gemini_image_sizes()', 'EXECUTE'),
  ('authenticated', 'function', 'private.model_lifecycle_now(text,date)', 'EXECUTE'),
  ('authenticated', 'function', 'private.raise_config_problem(jsonb,text)', 'EXECUTE'),
  ('authenticated', 'function', 'private.size_prices_problem(jsonb,text[])', 'EXECUTE'),
  ('authenticated', 'function', 'private.accept_invitation(text)', 'EXECUTE'),
  ('authenticated', 'function', 'assign_template(uuid,uuid,text,text,jsonb)', 'EXECUTE'),
  ('authenticated', 'function', 'client_audit_log(uuid,integer,bigint)', 'EXECUTE'),
  ('authenticated', 'function', 'create_invitation(uuid,text,text)', 'EXECUTE'),
  ('authenticated', 'function', 'revoke_invitation(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'retry_execution(uuid,boolean,text,text,boolean)', 'EXECUTE'),
  -- identity and onboarding: me() and its parts, accepting by id, the admin console's lifecycle
  -- and analytics (security definer ones live in private; each refuses non-admins itself)
  ('authenticated', 'function', 'me()', 'EXECUTE'),
  ('authenticated', 'function', 'my_capabilities()', 'EXECUTE'),
  ('authenticated', 'function', 'private.my_invitations()', 'EXECUTE'),
  ('authenticated', 'function', 'private.accept_invitation_by_id(uuid)', 'EXECUTE'),
  ('authenticated', 'function', 'create_client(text,text,text,uuid,text)', 'EXECUTE'),
  ('authenticated', 'function', 'set_user_status(uuid,text)', 'EXECUTE'),
  ('authenticated', 'function', 'assert_platform_admin()', 'EXECUTE'),
  ('authenticated', 'function', 'private.require_admin()', 'EXECUTE'),
  ('authenticated', 'function', 'private.execution_provider_costs(uuid[])', 'EXECUTE'),
  -- retention: admins set a client's retention (the function refuses everyone else)
  ('authenticated', 'function', 'private.set_client_retention(uuid,integer)', 'EXECUTE'),
  ('authenticated', 'function', 'private.analytics_success_by_client(date,date)', 'EXECUTE'),
  ('authenticated', 'function', 'private.analytics_top_workflows(integer,date,date)', 'EXECUTE'),
  ('authenticated', 'function', 'private.analytics_usage_by_month(uuid,date,date)', 'EXECUTE'),
  -- live progress: who may watch a Realtime topic (RLS on realtime.messages), stable result URLs
  ('authenticated', 'function', 'private.can_watch_topic(text)', 'EXECUTE'),
  ('authenticated', 'function', 'private.cached_signed_urls(text[],integer)', 'EXECUTE'),
  ('authenticated', 'function', 'private.remember_signed_urls(jsonb)', 'EXECUTE'),
  -- admin-only catalogue operations (each refuses non-admins itself)
  ('authenticated', 'function', 'propagate_template(uuid,boolean)', 'EXECUTE'),
  ('authenticated', 'function', 'workflows_at_risk(integer)', 'EXECUTE'),
  -- Storage: DML under RLS (the Storage API runs as the caller); path helpers for policies
  ('anon', 'table', 'storage.buckets', 'SELECT'),
  ('anon', 'table', 'storage.buckets', 'INSERT'),
  ('anon', 'table', 'storage.buckets', 'UPDATE'),
  ('anon', 'table', 'storage.buckets', 'DELETE'),
  ('anon', 'table', 'storage.objects', 'SELECT'),
  ('anon', 'table', 'storage.objects', 'INSERT'),
  ('anon', 'table', 'storage.objects', 'UPDATE'),
  ('anon', 'table', 'storage.objects', 'DELETE'),
  ('authenticated', 'table', 'storage.buckets', 'SELECT'),
  ('authenticated', 'table', 'storage.buckets', 'INSERT'),
  ('authenticated', 'table', 'storage.buckets', 'UPDATE'),
  ('authenticated', 'table', 'storage.buckets', 'DELETE'),
  ('authenticated', 'table', 'storage.objects', 'SELECT'),
  ('authenticated', 'table', 'storage.objects', 'INSERT'),
  ('authenticated', 'table', 'storage.objects', 'UPDATE'),
  ('authenticated', 'table', 'storage.objects', 'DELETE'),
  ('anon', 'function', 'storage.extension(text)', 'EXECUTE'),
  ('anon', 'function', 'storage.filename(text)', 'EXECUTE'),
  ('anon', 'function', 'storage.foldername(text)', 'EXECUTE'),
  ('authenticated', 'function', 'storage.extension(text)', 'EXECUTE'),
  ('authenticated', 'function', 'storage.filename(text)', 'EXECUTE'),
  ('authenticated', 'function', 'storage.foldername(text)', 'EXECUTE')
) v(role_name, kind, name, privilege)
union all
select r.role_name, 'function', f.oid::regprocedure::text, 'EXECUTE'
from pg_proc f
join pg_depend d on d.classid = 'pg_proc'::regclass and d.objid = f.oid and d.deptype = 'e'
join pg_extension e on e.oid = d.refobjid and e.extname in ('pgcrypto', 'uuid-ossp')
cross join (values ('anon'), ('authenticated')) r(role_name);

-- The list -------------------------------------------------------------------------------------
select is(
  array(select format('%s %s %s %s', p.role_name, p.kind, p.name, p.privilege) from api_privileges p
        where p.ours
          and (p.role_name, p.kind, p.name, p.privilege) not in (select * from api_expected)
        order by 1),
  '{}'::text[],
  'anon and authenticated hold no privilege of ours outside public tables that is not listed here');
select is(
  array(select format('%s %s %s %s', e.role_name, e.kind, e.name, e.privilege) from api_expected e
        where (e.role_name, e.kind, e.name, e.privilege) not in
          (select p.role_name, p.kind, p.name, p.privilege from api_privileges p)
          and e.name not like 'extensions.%'
        order by 1),
  '{}'::text[], 'every listed privilege is still held (the list is not stale)');
select is(
  array(select format('%s %s %s', p.role_name, p.name, p.privilege) from api_privileges p
        where p.kind = 'sequence' and (p.ours or p.nspname not in ('net', 'supabase_functions')) order by 1),
  '{}'::text[], 'no API role may read or move any sequence we control (setval would break every audited write)');
select is(
  array(select format('%s %s %s', p.role_name, p.name, p.privilege) from api_privileges p
        where p.ours and p.privilege in ('TRUNCATE', 'REFERENCES', 'TRIGGER', 'CREATE') order by 1),
  '{}'::text[], 'no API role holds TRUNCATE, REFERENCES, TRIGGER or CREATE anywhere we control');
select is(
  array(select format('%s %s %s', p.role_name, p.name, p.privilege) from api_privileges p
        where p.nspname = 'net' and p.ours order by 1),
  '{}'::text[], 'no API role holds a privilege on pg_net that the migrations could revoke');
select is(
  array(select format('%s %s %s', p.role_name, p.name, p.privilege) from api_privileges p
        -- supautils_local is the local stand-in for supautils, a C extension with no SQL objects
        -- on hosted: its event-trigger helpers must be callable by whoever runs DDL.
        -- realtime: Supabase grants its messages table and functions to the API roles; RLS on
        -- realtime.messages decides who may join and receive.
        -- supabase_functions: Database Webhooks' schema, granted to the API roles by Supabase's
        -- own migration (not exposed over PostgREST).
        where not p.ours and p.nspname not in ('net', 'storage', 'auth', 'extensions', 'realtime',
          'supabase_functions', 'supautils_local')
        order by 1),
  '{}'::text[], 'platform-owned grants exist only in the platform''s schemas (net, storage, auth, extensions, realtime, supabase_functions)');
select diag(format('platform-owned (revocable only by their owner): %s',
  coalesce((select string_agg(format('%s %s %s', p.role_name, p.name, p.privilege), '; ' order by 1)
            from api_privileges p where not p.ours), 'none')));

-- Nothing exposed reaches pg_net: no function in public mentions it, no view depends on it.
select is(
  array(select f.oid::regprocedure::text from pg_proc f
        where f.pronamespace = 'public'::regnamespace and f.prosrc ~* '\mnet\s*\.' order by 1),
  '{}'::text[], 'no function in the exposed schema calls into pg_net');
select is(
  array(select distinct v.relname::text from pg_depend d
        join pg_rewrite w on w.oid = d.objid and d.classid = 'pg_rewrite'::regclass
        join pg_class v on v.oid = w.ev_class and v.relnamespace = 'public'::regnamespace
        join pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_class'::regclass
        where t.relnamespace = 'net'::regnamespace order by 1),
  '{}'::text[], 'no view in the exposed schema reads pg_net''s tables');
select is((select count(*)::int from pg_extension where extname = 'pg_graphql'), 0,
  'pg_graphql is not installed (GraphQL introspection would describe every table to any signed-in user)');

-- Behaviour ------------------------------------------------------------------------------------
select tests.create_rls_fixtures();

select is(tests.try_as('owner-a@rls.test', $$select setval('public.audit_logs_id_seq', 1)$$), 'error:42501',
  'authenticated cannot setval the audit_logs sequence');
select is(tests.try_as('owner-a@rls.test', $$select nextval('public.ticket_status_history_id_seq')$$), 'error:42501',
  'authenticated cannot nextval the ticket history sequence');
select is(tests.try_as('anon', $$select setval('public.audit_logs_id_seq', 1)$$), 'error:42501',
  'anon cannot setval the audit_logs sequence');
-- Audited writes still work without those grants (identity defaults check no sequence privilege).
select is(tests.try_as('owner-a@rls.test', format($$update public.client_members set role = 'owner' where id = %L$$, tests.fx('mem_collab_a'))),
  'ok:1', 'an owner''s membership change still goes through');
select ok(exists (select 1 from public.audit_logs where record_id = tests.fx('mem_collab_a') and action = 'update'),
  'and its audit entry was written');

select is(tests.try_as('collab-a@rls.test', $$select net.http_post('http://127.0.0.1:9/steal', '{}'::jsonb)$$), 'error:42501',
  'authenticated cannot send a request through pg_net (SSRF)');
select is(tests.try_as('anon', $$select net.http_get('http://127.0.0.1:9/steal')$$), 'error:42501',
  'anon cannot send a request through pg_net');
select is(tests.try_as('collab-a@rls.test', $$update net.http_request_queue set url = 'http://127.0.0.1:9/steal'$$), 'error:42501',
  'authenticated cannot rewrite queued requests');
select is(tests.try_as('collab-a@rls.test', $$delete from net._http_response$$), 'error:42501',
  'authenticated cannot delete pg_net responses');
select is(tests.try_as('collab-a@rls.test', $$truncate net.http_request_queue$$), 'error:42501',
  'authenticated cannot truncate the pg_net queue');
select is(tests.try_as('collab-a@rls.test', $$truncate storage.objects$$), 'error:42501',
  'authenticated cannot truncate storage.objects (TRUNCATE skips RLS)');
select is(tests.try_as('anon', $$truncate storage.buckets cascade$$), 'error:42501',
  'anon cannot truncate storage.buckets');
select is((select count(*)::int from storage.objects where id in (tests.fx('obj_a'), tests.fx('obj_b'))), 2,
  'and the objects are still there');

select * from finish();
rollback;
