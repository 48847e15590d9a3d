-- RLS matrix for users, clients and client_members: select / insert / update / delete for
-- admin, owner of A, collaborator of A, owner of B (another client) and a user without any
-- membership. anon is covered for every table in rls_anon.test.sql.
begin;
set local search_path = public, extensions;
select plan(92);

select tests.create_rls_fixtures();

-- users: select ---------------------------------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.users'),
  array['admin', 'collab_a', 'loner', 'owner_a', 'owner_b', 'spare'], 'users select: admin sees every user');
select is(tests.visible_as('owner-a@rls.test', 'public.users'),
  array['collab_a', 'owner_a'], 'users select: owner A sees self and the members of A');
select is(tests.visible_as('collab-a@rls.test', 'public.users'),
  array['collab_a', 'owner_a'], 'users select: collaborator A sees self and the members of A');
select is(tests.visible_as('owner-b@rls.test', 'public.users'),
  array['owner_b'], 'users select: owner B sees only self');
select is(tests.visible_as('loner@rls.test', 'public.users'),
  array['loner'], 'users select: user without membership sees only self');

-- users: insert (rows normally come from the auth trigger) --------------------------------
select is(
  tests.try_as(a, $$insert into public.users (id, email, name) values (tests.fx('orphan'), 'orphan@rls.test', 'Orphan')$$),
  'error:42501', 'users insert: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.users where id = tests.fx('orphan')), 0,
  'users insert: refused inserts wrote nothing');
select is(
  tests.try_as('admin@rls.test', $$insert into public.users (id, email, name) values (tests.fx('orphan'), 'orphan@rls.test', 'Orphan')$$),
  'ok:1', 'users insert: admin may insert');
select is((select name from public.users where id = tests.fx('orphan')), 'Orphan',
  'users insert: the admin''s row is stored');

-- users: update ---------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$update public.users set role = 'admin' where id = tests.fx('collab_a')$$),
  'ok:0', 'users update: collaborator cannot make self admin');
select is(tests.try_as('owner-a@rls.test', $$update public.users set name = 'Self Renamed' where id = tests.fx('owner_a')$$),
  'ok:0', 'users update: owner cannot edit own row');
select is(tests.try_as('owner-a@rls.test', $$update public.users set status = 'suspended' where id = tests.fx('collab_a')$$),
  'ok:0', 'users update: owner cannot edit a member of the same client');
select is(tests.try_as('owner-b@rls.test', $$update public.users set name = 'x' where id = tests.fx('owner_a')$$),
  'ok:0', 'users update: owner B cannot edit a user of A');
select is(tests.try_as('loner@rls.test', $$update public.users set name = 'x' where id = tests.fx('loner')$$),
  'ok:0', 'users update: user without membership cannot edit own row');
select is(
  (select array_agg(name || '/' || role || '/' || status order by name) from public.users
   where id in (tests.fx('owner_a'), tests.fx('collab_a'), tests.fx('loner'))),
  array['Collaborator A/user/active', 'Loner/user/active', 'Owner A/user/active'],
  'users update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.users set name = 'Renamed Loner' where id = tests.fx('loner')$$),
  'ok:1', 'users update: admin may edit any user');
select is((select name from public.users where id = tests.fx('loner')), 'Renamed Loner',
  'users update: the admin''s change is stored');

-- users: delete ---------------------------------------------------------------------------
select is(tests.try_as(a, $$delete from public.users where id = tests.fx('orphan')$$),
  'ok:0', 'users delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(tests.try_as('collab-a@rls.test', $$delete from public.users where id = tests.fx('collab_a')$$),
  'ok:0', 'users delete: collaborator cannot delete own row');
select is((select count(*)::int from public.users where id in (tests.fx('orphan'), tests.fx('collab_a'))), 2,
  'users delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.users where id = tests.fx('orphan')$$),
  'ok:1', 'users delete: admin may delete');
select is((select count(*)::int from public.users where id = tests.fx('orphan')), 0,
  'users delete: the admin''s delete took effect');

-- clients: select -------------------------------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.clients'),
  array['client_a', 'client_b'], 'clients select: admin sees every client');
select is(tests.visible_as('owner-a@rls.test', 'public.clients'),
  array['client_a'], 'clients select: owner A sees only A');
select is(tests.visible_as('collab-a@rls.test', 'public.clients'),
  array['client_a'], 'clients select: collaborator A sees only A');
select is(tests.visible_as('owner-b@rls.test', 'public.clients'),
  array['client_b'], 'clients select: owner B sees only B');
select is(tests.visible_as('loner@rls.test', 'public.clients'),
  '{}'::text[], 'clients select: user without membership sees none');

-- clients: insert -------------------------------------------------------------------------
select is(
  tests.try_as(a, $$insert into public.clients (id, name, email) values (tests.fx('client_new'), 'New', 'new@rls.test')$$),
  'error:42501', 'clients insert: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.clients where id = tests.fx('client_new')), 0,
  'clients insert: refused inserts wrote nothing');
select is(
  tests.try_as('admin@rls.test', $$insert into public.clients (id, name, email) values (tests.fx('client_new'), 'New', 'new@rls.test')$$),
  'ok:1', 'clients insert: admin may insert');
select is((select name from public.clients where id = tests.fx('client_new')), 'New',
  'clients insert: the admin''s row is stored');

-- clients: update (owners: name, company_name, email only) --------------------------------
select is(tests.try_as('owner-a@rls.test', $$update public.clients set name = 'A Renamed' where id = tests.fx('client_a')$$),
  'ok:1', 'clients update: owner renames own client');
select is(tests.try_as('owner-a@rls.test',
  $$update public.clients set company_name = 'A Holdings', email = 'billing@a.rls.test' where id = tests.fx('client_a')$$),
  'ok:1', 'clients update: owner edits company_name and email');
select is(
  (select name || '/' || company_name || '/' || email from public.clients where id = tests.fx('client_a')),
  'A Renamed/A Holdings/billing@a.rls.test', 'clients update: the owner''s edits are stored');
select is(tests.try_as('owner-a@rls.test', $$update public.clients set status = 'suspended' where id = tests.fx('client_a')$$),
  'error:42501', 'clients update: owner cannot change status');
select is(tests.try_as('owner-a@rls.test', $$update public.clients set name = 'A2', status = 'deleted' where id = tests.fx('client_a')$$),
  'error:42501', 'clients update: owner cannot smuggle a status change along with a rename');
select is(tests.try_as('owner-a@rls.test', $$update public.clients set name = 'Taken' where id = tests.fx('client_b')$$),
  'ok:0', 'clients update: owner A cannot edit client B');
select is(tests.try_as('collab-a@rls.test', $$update public.clients set name = 'Collab' where id = tests.fx('client_a')$$),
  'ok:0', 'clients update: collaborator cannot edit own client');
select is(tests.try_as('owner-b@rls.test', $$update public.clients set name = 'Taken' where id = tests.fx('client_a')$$),
  'ok:0', 'clients update: owner B cannot edit client A');
select is(tests.try_as('loner@rls.test', $$update public.clients set name = 'Taken' where id = tests.fx('client_a')$$),
  'ok:0', 'clients update: user without membership cannot edit client A');
select is(
  (select array_agg(name || '/' || status order by name) from public.clients
   where id in (tests.fx('client_a'), tests.fx('client_b'))),
  array['A Renamed/active', 'Client B/active'], 'clients update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.clients set status = 'suspended', name = 'New 2' where id = tests.fx('client_new')$$),
  'ok:1', 'clients update: admin may change any column');
select is((select name || '/' || status from public.clients where id = tests.fx('client_new')), 'New 2/suspended',
  'clients update: the admin''s change is stored');

-- clients: delete -------------------------------------------------------------------------
select is(tests.try_as(a, $$delete from public.clients where id = tests.fx('client_a')$$),
  'ok:0', 'clients delete: ' || a || ' cannot delete client A')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(tests.try_as('owner-b@rls.test', $$delete from public.clients where id = tests.fx('client_b')$$),
  'ok:0', 'clients delete: owner B cannot delete own client');
select is((select count(*)::int from public.clients where id in (tests.fx('client_a'), tests.fx('client_b'))), 2,
  'clients delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.clients where id = tests.fx('client_new')$$),
  'ok:1', 'clients delete: admin may delete');
select is((select count(*)::int from public.clients where id = tests.fx('client_new')), 0,
  'clients delete: the admin''s delete took effect');

-- client_members: select ------------------------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.client_members'),
  array['mem_collab_a', 'mem_owner_a', 'mem_owner_b'], 'client_members select: admin sees all memberships');
select is(tests.visible_as('owner-a@rls.test', 'public.client_members'),
  array['mem_collab_a', 'mem_owner_a'], 'client_members select: owner A sees the memberships of A');
select is(tests.visible_as('collab-a@rls.test', 'public.client_members'),
  array['mem_collab_a', 'mem_owner_a'], 'client_members select: collaborator A sees the memberships of A');
select is(tests.visible_as('owner-b@rls.test', 'public.client_members'),
  array['mem_owner_b'], 'client_members select: owner B sees the memberships of B');
select is(tests.visible_as('loner@rls.test', 'public.client_members'),
  '{}'::text[], 'client_members select: user without membership sees none');

-- client_members: insert (admin only, owners included in the refusal) -------------------------
select is(
  tests.try_as(a, $$insert into public.client_members (id, client_id, user_id, role) values (tests.fx('mem_spare_b'), tests.fx('client_b'), tests.fx('spare'), 'collaborator')$$),
  'error:42501', 'client_members insert: ' || a || ' cannot add a member to B')
from unnest(array['owner-b@rls.test', 'owner-a@rls.test', 'collab-a@rls.test', 'loner@rls.test']) a;
select is(
  tests.try_as('loner@rls.test', $$insert into public.client_members (client_id, user_id, role) values (tests.fx('client_a'), tests.fx('loner'), 'owner')$$),
  'error:42501', 'client_members insert: a user cannot join a client on their own');
select is((select count(*)::int from public.client_members where user_id in (tests.fx('spare'), tests.fx('loner'))), 0,
  'client_members insert: refused inserts wrote nothing');
select is(
  tests.try_as('admin@rls.test', $$insert into public.client_members (id, client_id, user_id, role) values (tests.fx('mem_spare_b'), tests.fx('client_b'), tests.fx('spare'), 'collaborator')$$),
  'ok:1', 'client_members insert: admin may add a member');
select is((select role from public.client_members where id = tests.fx('mem_spare_b')), 'collaborator',
  'client_members insert: the admin''s row is stored');

-- client_members: update ---------------------------------------------------------------------
-- Migration 20261123010600 (domain range) widens the policy table's "admin only": owners
-- manage their own client's roles, and only the role column is writable at all.
select is(tests.try_as('collab-a@rls.test', $$update public.client_members set role = 'owner' where id = tests.fx('mem_collab_a')$$),
  'ok:0', 'client_members update: collaborator cannot promote self');
select is(tests.try_as('owner-b@rls.test', $$update public.client_members set role = 'collaborator' where id = tests.fx('mem_owner_a')$$),
  'ok:0', 'client_members update: owner B cannot touch A''s memberships');
select is(tests.try_as('loner@rls.test', $$update public.client_members set role = 'owner' where id = tests.fx('mem_collab_a')$$),
  'ok:0', 'client_members update: user without membership cannot change a role');
select is(tests.try_as('owner-a@rls.test', $$update public.client_members set user_id = tests.fx('loner') where id = tests.fx('mem_collab_a')$$),
  'error:42501', 'client_members update: a membership cannot be handed to another user');
select is(
  (select array_agg(user_id::text || '/' || role order by role) from public.client_members
   where id in (tests.fx('mem_collab_a'), tests.fx('mem_owner_a'))),
  array[tests.fx('collab_a') || '/collaborator', tests.fx('owner_a') || '/owner'],
  'client_members update: refused updates changed nothing');
select is(tests.try_as('owner-a@rls.test', $$update public.client_members set role = 'owner' where id = tests.fx('mem_collab_a')$$),
  'ok:1', 'client_members update: owner A promotes a member of A');
select is((select role from public.client_members where id = tests.fx('mem_collab_a')), 'owner',
  'client_members update: the owner''s change is stored');
select is(tests.try_as('owner-a@rls.test', $$update public.client_members set role = 'collaborator' where id = tests.fx('mem_collab_a')$$),
  'ok:1', 'client_members update: owner A demotes the member again');
select is(tests.try_as('admin@rls.test', $$update public.client_members set role = 'owner' where id = tests.fx('mem_spare_b')$$),
  'ok:1', 'client_members update: admin may change a role');
select is((select role from public.client_members where id = tests.fx('mem_spare_b')), 'owner',
  'client_members update: the admin''s change is stored');

-- client_members: delete ---------------------------------------------------------------------
-- Same migration: owners remove members of their client and anyone may leave.
select is(tests.try_as('collab-a@rls.test', $$delete from public.client_members where id = tests.fx('mem_owner_a')$$),
  'ok:0', 'client_members delete: collaborator cannot remove another member');
select is(tests.try_as('owner-b@rls.test', $$delete from public.client_members where id = tests.fx('mem_owner_a')$$),
  'ok:0', 'client_members delete: owner B cannot remove A''s owner');
select is(tests.try_as('owner-a@rls.test', $$delete from public.client_members where id = tests.fx('mem_spare_b')$$),
  'ok:0', 'client_members delete: owner A cannot remove a member of B');
select is(tests.try_as('loner@rls.test', $$delete from public.client_members where id = tests.fx('mem_owner_a')$$),
  'ok:0', 'client_members delete: user without membership cannot remove anyone');
select is((select count(*)::int from public.client_members where id in (tests.fx('mem_owner_a'), tests.fx('mem_spare_b'))), 2,
  'client_members delete: refused deletes removed nothing');
insert into public.client_members (client_id, user_id) values (tests.fx('client_b'), tests.fx('loner'));
select is(tests.try_as('owner-b@rls.test', $$delete from public.client_members where id = tests.fx('mem_spare_b')$$),
  'ok:1', 'client_members delete: owner B removes a member of B');
select is(tests.try_as('loner@rls.test', $$delete from public.client_members where user_id = tests.fx('loner')$$),
  'ok:1', 'client_members delete: a member may leave');
select is(tests.try_as('admin@rls.test', $$delete from public.client_members where id = tests.fx('mem_collab_a')$$),
  'ok:1', 'client_members delete: admin may remove a member');
select is((select count(*)::int from public.client_members where user_id in (tests.fx('spare'), tests.fx('loner'), tests.fx('collab_a'))), 0,
  'client_members delete: the allowed deletes took effect');

select * from finish();
rollback;
