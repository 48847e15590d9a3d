-- The last-owner rule counts active owners only, and a ticket moved to another client takes its
-- comments and history along.
begin;
set local search_path = public, extensions;
select plan(11);

select tests.create_rls_fixtures();

-- Client A gets a second owner who is then suspended: on paper two owners, in fact one.
insert into public.client_members (client_id, user_id, role) values (tests.fx('client_a'), tests.fx('spare'), 'owner');
update public.users set status = 'suspended' where id = tests.fx('spare');

select is(tests.try_as('owner-a@rls.test', format($$delete from public.client_members where id = %L$$, tests.fx('mem_owner_a'))),
  'error:MS422', 'the last active owner cannot leave while only a suspended owner remains');
select is(tests.try_as('admin@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'error:MS422', 'nor be demoted by an admin');
select is((select role from public.client_members where id = tests.fx('mem_owner_a')), 'owner', 'owner A is still owner');
select is(tests.try_as('admin@rls.test', format($$delete from public.client_members where client_id = %L and user_id = %L$$, tests.fx('client_a'), tests.fx('spare'))),
  'ok:1', 'removing the suspended owner is fine (an active owner remains)');
update public.users set status = 'deleted' where id = tests.fx('owner_a');
select is(tests.try_as('admin@rls.test', format($$update public.client_members set role = 'collaborator' where id = %L$$, tests.fx('mem_owner_a'))),
  'ok:1', 'demoting an owner who is no longer active takes nothing away');
update public.users set status = 'active' where id = tests.fx('owner_a');

-- Ticket move ----------------------------------------------------------------------------------
insert into public.ticket_comments (ticket_id, client_id, author_id, body)
values (tests.fx('tkt_a_open'), tests.fx('client_a'), tests.fx('collab_a'), 'the comment');
select is(tests.try_as('admin@rls.test', format($$update public.support_tickets set client_id = %L where id = %L$$, tests.fx('client_b'), tests.fx('tkt_a_open'))),
  'ok:1', 'an admin moves a ticket to client B');

create function pg_temp.seen(actor text) returns text language plpgsql as $$
declare
  v text;
begin
  perform tests.act_as(actor);
  select (select count(*) from public.ticket_comments where ticket_id = tests.fx('tkt_a_open'))::text || '/'
      || (select count(*) from public.ticket_status_history where ticket_id = tests.fx('tkt_a_open'))::text
  into v;
  perform tests.clear_authentication();
  return v;
end
$$;
grant execute on function pg_temp.seen(text) to authenticated;

select is(pg_temp.seen('owner-b@rls.test'), '1/1', 'the new client sees the ticket''s comment and history');
select is(pg_temp.seen('owner-a@rls.test'), '0/0', 'the old client sees neither any more');
select is((select count(*)::int from public.ticket_comments where ticket_id = tests.fx('tkt_a_open') and client_id <> tests.fx('client_b'))
  + (select count(*)::int from public.ticket_status_history where ticket_id = tests.fx('tkt_a_open') and client_id <> tests.fx('client_b')), 0,
  'every comment and history row carries the new client');
select is(tests.try_as('owner-b@rls.test', format($$insert into public.ticket_comments (ticket_id, body) values (%L, 'from b')$$, tests.fx('tkt_a_open'))),
  'ok:1', 'the new client can comment');
select is((select client_id from public.ticket_comments where body = 'from b'), tests.fx('client_b'), 'under its own client');

select * from finish();
rollback;
