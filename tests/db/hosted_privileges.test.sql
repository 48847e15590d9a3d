-- The local stack runs migrations under hosted Supabase's privilege model, so that what cannot
-- apply on a hosted project cannot apply here either: postgres is not a superuser, Auth's and
-- Storage's objects belong to their service roles, and privileged extensions are created on
-- postgres's behalf as supabase_admin (supautils). pg_prove connects as postgres.
begin;
select plan(17);

select is(current_user::text, 'postgres', 'the suite runs as postgres');
select is((select rolsuper from pg_roles where rolname = 'postgres'), false, 'postgres is not a superuser');
select is(
  (select format('%s/%s/%s/%s', rolcreaterole, rolcreatedb, rolreplication, rolbypassrls)
   from pg_roles where rolname = 'postgres'),
  't/t/t/t', 'postgres has createrole, createdb, replication and bypassrls, as on hosted');
select is((select relowner::regrole::text from pg_class where oid = 'auth.users'::regclass),
  'supabase_auth_admin', 'auth.users belongs to supabase_auth_admin');
select is((select relowner::regrole::text from pg_class where oid = 'storage.objects'::regclass),
  'supabase_storage_admin', 'storage.objects belongs to supabase_storage_admin');
select is(
  array(select extname::text from pg_extension where extowner <> 'supabase_admin'::regrole order by 1),
  '{}'::text[], 'every extension was created by supabase_admin');
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pg_cron'),
  'pg_catalog', 'pg_cron lives in pg_catalog, as Supabase installs it');
select ok(exists (select 1 from supabase_migrations.schema_migrations),
  'the migration history is the Supabase CLI''s own');

-- What hosted refuses to postgres on Auth's and Storage's objects.
select throws_ok(
  $$comment on trigger on_auth_user_created on auth.users is 'x'$$,
  '42501', null, 'comment on a trigger on auth.users: must be owner');
select throws_ok(
  $$comment on policy workflow_results_select on storage.objects is 'x'$$,
  '42501', null, 'comment on a policy on storage.objects: must be owner');
select throws_ok($$alter table auth.users add column nickname text$$,
  '42501', null, 'altering auth.users: must be owner');
select throws_ok($$create index on storage.objects (owner_id)$$,
  '42501', null, 'indexing storage.objects: must be owner');

-- What hosted allows: policies on storage.objects (supautils policy_grants), triggers on
-- auth.users (postgres holds TRIGGER), and dropping both.
select lives_ok(
  $$create policy hosted_privileges_probe on storage.objects for select to authenticated using (false);
    alter policy hosted_privileges_probe on storage.objects using (bucket_id = 'none');
    drop policy hosted_privileges_probe on storage.objects$$,
  'postgres creates, alters and drops policies on storage.objects');
select lives_ok(
  $$create trigger hosted_privileges_probe after update on auth.users
      for each row execute function private.set_updated_at();
    drop trigger hosted_privileges_probe on auth.users$$,
  'postgres creates and drops triggers on auth.users');

-- Extensions: a privileged one is created as supabase_admin; any other untrusted one is refused.
select lives_ok($$create extension if not exists citext with schema extensions$$,
  'postgres creates a privileged extension');
select is((select extowner::regrole::text from pg_extension where extname = 'citext'),
  'supabase_admin', 'which supabase_admin owns, as supautils does');
select throws_ok($$create extension if not exists adminpack$$,
  '42501', null, 'an extension outside supautils.privileged_extensions needs a superuser');

select * from finish();
rollback;
