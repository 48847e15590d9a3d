-- Membership management (issue 3): owner-only role changes and removals, leaving, the
-- at-least-one-owner invariant, invitations (hash-only token, e-mail bound, expiry, single
-- use) and the audit trail. Allowed and refused callers, and what each wrote.
begin;
set local search_path = public, extensions;
select plan(45);

select tests.create_rls_fixtures();
insert into public.client_members (id, client_id, user_id, role)
values (tests.fx('mem_spare_b'), tests.fx('client_b'), tests.fx('spare'), 'collaborator');
create temporary table audit_base on commit drop as select coalesce(max(id), 0) as id from public.audit_logs;
create temporary view fixture_members as
  select * from public.client_members where client_id in (tests.fx('client_a'), tests.fx('client_b'));

-- role changes -------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', format($$update public.client_members set role = 'owner' where id = %L$$, tests.fx('mem_collab_a'))),
  'ok:0', 'roles: a collaborator cannot promote themselves');
select is(tests.try_as('owner-b@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'ok:0', 'roles: an owner of another client cannot touch A');
select is(tests.try_as('owner-a@rls.test', format($$update public.client_members set user_id = %L where id = %L$$, tests.fx('loner'), tests.fx('mem_collab_a'))),
  'error:42501', 'roles: a membership cannot be moved to another user');
select is((select role from public.client_members where id = tests.fx('mem_collab_a')), 'collaborator',
  'roles: refused changes changed nothing');
select is(tests.try_as('owner-a@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'error:MS422', 'roles: the last owner cannot demote themselves');
select is(tests.try_as('admin@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'error:MS422', 'roles: not even an admin can leave a client without an owner');
select is(tests.try_as('owner-a@rls.test', format($$update public.client_members set role = 'owner' where id = %L$$, tests.fx('mem_collab_a'))),
  'ok:1', 'roles: an owner promotes a collaborator');
select is(tests.try_as('owner-a@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'ok:1', 'roles: with a second owner, an owner may step down');
select is(
  (select array_agg(role order by role) from public.client_members where client_id = tests.fx('client_a')),
  array['collaborator', 'owner'], 'roles: the allowed changes are stored');

-- removal and leaving ------------------------------------------------------------------------
-- Now collab_a is A's only owner and owner_a a collaborator.
select is(tests.try_as('owner-a@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_collab_a'))),
  'ok:0', 'remove: a collaborator cannot remove the owner');
select is(tests.try_as('collab-a@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_collab_a'))),
  'error:MS422', 'leave: the last owner cannot leave');
select is(tests.try_as('owner-b@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_owner_b'))),
  'error:MS422', 'remove: the last owner of B cannot be removed by themselves either');
select is(tests.try_as('owner-b@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_owner_a'))),
  'ok:0', 'remove: an owner of B cannot remove members of A');
select is((select count(*)::int from fixture_members), 4, 'remove: refused removals removed nothing');
select is(tests.try_as('spare@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_spare_b'))),
  'ok:1', 'leave: a collaborator may leave');
select is(tests.try_as('collab-a@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_owner_a'))),
  'ok:1', 'remove: an owner removes a member');
select is((select count(*)::int from fixture_members), 2, 'remove: the allowed removals took effect');

-- audit trail --------------------------------------------------------------------------------
select is(
  (select array_agg(action || ':' || (actor_id = tests.fx('owner_a'))::text order by id)
   from public.audit_logs where client_id = tests.fx('client_a') and table_name = 'client_members'
     and id > (select id from audit_base)),
  array['update:true', 'update:true', 'delete:false'],
  'audit: each allowed change is logged once with its actor (refused ones not at all)');
select is(
  (select old_data ->> 'role' || '>' || (new_data ->> 'role') from public.audit_logs
   where record_id = tests.fx('mem_collab_a') and id > (select id from audit_base) order by id limit 1),
  'collaborator>owner', 'audit: before and after are kept');
select is(tests.try_as('owner-b@rls.test', format($$select 1 from public.audit_logs where client_id = %L$$, tests.fx('client_a'))), 'ok:0',
  'audit: an owner of B sees nothing of A');
select is(tests.try_as('collab-a@rls.test', format($$select 1 from public.audit_logs where client_id = %L and id > %s$$, tests.fx('client_a'), (select id from audit_base))), 'ok:3',
  'audit: an owner reads their client''s trail');
select is(tests.try_as('owner-b@rls.test', format($$select * from public.client_audit_log(%L)$$, tests.fx('client_a'))),
  'error:MS404', 'audit: another client''s trail is 404');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.audit_logs (client_id, action, table_name, record_id) values (%L, 'delete', 'x', %L)$$, tests.fx('client_a'), tests.fx('client_a'))),
  'error:42501', 'audit: nobody writes the trail directly');
select is(tests.try_as('admin@rls.test', $$delete from public.audit_logs$$),
  'error:42501', 'audit: not even an admin erases it');

-- invitations --------------------------------------------------------------------------------
-- A fresh A: owner_a back as owner, collab_a as collaborator.
insert into public.client_members (id, client_id, user_id, role)
values (tests.fx('mem_owner_a'), tests.fx('client_a'), tests.fx('owner_a'), 'owner');
update public.client_members set role = 'collaborator' where id = tests.fx('mem_collab_a');

create temporary table invite (token text, id uuid) on commit drop;
grant all on invite to authenticated;
select tests.authenticate_as('owner-a@rls.test');
insert into invite select r ->> 'token', (r ->> 'id')::uuid
from public.create_invitation(tests.fx('client_a'), 'Spare@RLS.test', 'collaborator') r;
select tests.clear_authentication();
select is((select length(token) from invite), 64, 'invite: an owner invites and gets the token once');
select is(
  (select email || '|' || role || '|' || (invited_by = tests.fx('owner_a'))::text || '|' || (token_hash = encode(sha256(convert_to((select token from invite), 'UTF8')), 'hex'))::text
   from public.client_invitations where id = (select id from invite)),
  'spare@rls.test|collaborator|true|true', 'invite: stored lower-cased, by the caller, as a hash of the token');
select is(tests.try_as('owner-a@rls.test', $$select token_hash from public.client_invitations$$),
  'error:42501', 'invite: the token hash is not readable by API roles');
select is(tests.try_as('collab-a@rls.test', $$select id, email from public.client_invitations$$),
  'ok:1', 'invite: members see pending invitations');
select is(tests.try_as('collab-a@rls.test', format($$select public.create_invitation(%L, 'x@rls.test', 'owner')$$, tests.fx('client_a'))),
  'error:42501', 'invite: a collaborator cannot invite');
select is(tests.try_as('owner-b@rls.test', format($$select public.create_invitation(%L, 'x@rls.test', 'owner')$$, tests.fx('client_a'))),
  'error:MS404', 'invite: an owner of another client is told the client does not exist');
select is(tests.try_as('owner-a@rls.test', format($$select public.create_invitation(%L, 'spare@rls.test', 'owner')$$, tests.fx('client_a'))),
  'error:23505', 'invite: a second pending invitation for the same address is a conflict');
select is(tests.try_as('owner-a@rls.test', format($$select public.create_invitation(%L, 'collab-a@rls.test', 'owner')$$, tests.fx('client_a'))),
  'error:MS409', 'invite: inviting an existing member is a conflict');
select is((select count(*)::int from public.client_invitations), 1, 'invite: refused invitations wrote nothing');

select is(tests.try_as('loner@rls.test', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'error:MS403', 'accept: another signed-in user cannot use the token');
select is(tests.try_as('spare@rls.test', $$select private.accept_invitation('not-a-token')$$),
  'error:MS404', 'accept: an unknown token is 404');
select is(tests.try_as('anon', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'error:42501', 'accept: anon cannot call it');
select is(tests.try_as('spare@rls.test', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'ok:1', 'accept: the invitee joins');
select is(
  (select role from public.client_members where client_id = tests.fx('client_a') and user_id = tests.fx('spare')),
  'collaborator', 'accept: with the invited role');
select is(tests.try_as('spare@rls.test', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'error:MS409', 'accept: only once');
select is((select count(*)::int from public.client_members where user_id in (tests.fx('spare'), tests.fx('loner'))), 1,
  'accept: refused accepts wrote no membership');

-- expired and revoked
select tests.authenticate_as('owner-a@rls.test');
delete from invite;
insert into invite select r ->> 'token', (r ->> 'id')::uuid
from public.create_invitation(tests.fx('client_a'), 'loner@rls.test', 'owner') r;
select tests.clear_authentication();
update public.client_invitations set created_at = now() - interval '10 days', expires_at = now() - interval '1 day'
where id = (select id from invite);
select is(tests.try_as('loner@rls.test', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'error:MS422', 'accept: an expired invitation is refused');
select is(tests.try_as('collab-a@rls.test', format($$select public.revoke_invitation(%L)$$, (select id from invite))),
  'error:MS403', 'revoke: a collaborator cannot revoke');
select is(tests.try_as('owner-a@rls.test', format($$select public.revoke_invitation(%L)$$, (select id from invite))),
  'ok:1', 'revoke: an owner revokes');
select is(tests.try_as('loner@rls.test', format($$select private.accept_invitation(%L)$$, (select token from invite))),
  'error:MS404', 'accept: a revoked invitation is gone');
select is(
  (select array_agg(action order by id) from public.audit_logs where table_name = 'client_invitations'),
  array['insert', 'update', 'insert', 'update', 'update'],
  'audit: invitation changes are logged (create, accept, create, expiry set by the test, revoke)');

select * from finish();
rollback;
