-- public.users rows come from the trigger on auth.users: name from user metadata or the
-- e-mail's local part, admin only through app metadata (users can edit user metadata).
begin;
set local search_path = public, extensions;
select plan(9);

select tests.create_user('sync-named@rls.test', 'Named Person');
select tests.create_user('sync.plain@rls.test');
select tests.create_user('sync-admin@rls.test', null, true);
insert into auth.users (id, email, raw_user_meta_data, raw_app_meta_data)
values (gen_random_uuid(), 'sync-mallory@rls.test', '{"name":"Mallory","role":"admin"}', '{"provider":"email"}'),
       (gen_random_uuid(), 'sync-other@rls.test', '{}', '{"provider":"email","role":"superuser"}');

-- As in Supabase Auth's table, the id has no default: GoTrue always supplies it.
select throws_ok(
  $$insert into auth.users (email) values ('sync-no-id@rls.test')$$,
  '23502', null, 'auth.users.id has no default (Supabase Auth always supplies it)');
-- public.users.email is required: a phone-only or anonymous Auth user is refused as a whole.
select throws_ok(
  $$insert into auth.users (id, phone, raw_app_meta_data) values (gen_random_uuid(), '15550100', '{"provider":"phone"}')$$,
  '23502', null, 'a phone-only auth user (no e-mail) is refused');
select throws_ok(
  $$insert into auth.users (id, is_anonymous, raw_app_meta_data) values (gen_random_uuid(), true, '{"provider":"anonymous"}')$$,
  '23502', null, 'an anonymous auth user (no e-mail) is refused');

select is(
  (select u.name || '/' || u.role || '/' || u.status from public.users u join auth.users a using (id) where a.email = 'sync-named@rls.test'),
  'Named Person/user/active', 'name comes from user metadata; role user; status active');
select is((select name from public.users where email = 'sync.plain@rls.test'), 'sync.plain',
  'without a name the e-mail local part is used');
select is((select role from public.users where email = 'sync-admin@rls.test'), 'admin',
  'app metadata role admin makes an admin');
select is((select name || '/' || role from public.users where email = 'sync-mallory@rls.test'), 'Mallory/user',
  'role admin in user metadata grants nothing');
select is((select role from public.users where email = 'sync-other@rls.test'), 'user',
  'any other app metadata role means user');
select is(
  (select count(*)::int from auth.users a left join public.users u using (id)
   where a.email like 'sync%@rls.test' and (u.id is null or u.email <> a.email)),
  0, 'every auth user got a public.users row with the same id and e-mail');

select * from finish();
rollback;
