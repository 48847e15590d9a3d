-- RLS matrix for support_tickets: select / insert / update / delete for admin, owner of A,
-- collaborator of A, owner of B and a user without membership, including the guard on what
-- members may change (close from any status, reopen from resolved/closed, nothing else).
begin;
set local search_path = public, extensions;
select plan(37);

select tests.create_rls_fixtures();

-- select ------------------------------------------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.support_tickets'),
  array['tkt_a_closed', 'tkt_a_open', 'tkt_a_progress', 'tkt_a_resolved', 'tkt_b_open'], 'support_tickets select: admin sees all');
select is(tests.visible_as('owner-a@rls.test', 'public.support_tickets'),
  array['tkt_a_closed', 'tkt_a_open', 'tkt_a_progress', 'tkt_a_resolved'], 'support_tickets select: owner A sees A''s tickets');
select is(tests.visible_as('collab-a@rls.test', 'public.support_tickets'),
  array['tkt_a_closed', 'tkt_a_open', 'tkt_a_progress', 'tkt_a_resolved'], 'support_tickets select: collaborator A sees all of A''s tickets');
select is(tests.visible_as('owner-b@rls.test', 'public.support_tickets'),
  array['tkt_b_open'], 'support_tickets select: owner B sees B''s ticket');
select is(tests.visible_as('loner@rls.test', 'public.support_tickets'),
  '{}'::text[], 'support_tickets select: user without membership sees none');

-- insert ------------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, status)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'help', 'please', 'open')$$),
  'ok:1', 'support_tickets insert: collaborator opens a ticket for A as self');
select is((select status || '/' || user_id::text from public.support_tickets where subject = 'help'),
  'open/' || tests.fx('collab_a'), 'support_tickets insert: the member''s ticket is stored');
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description)
    values (tests.fx('client_a'), tests.fx('owner_a'), 'forged', 'x')$$),
  'error:42501', 'support_tickets insert: member cannot open a ticket in someone else''s name');
select is(tests.try_as('owner-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, status)
    values (tests.fx('client_a'), tests.fx('owner_a'), 'pre-resolved', 'x', 'resolved')$$),
  'error:42501', 'support_tickets insert: member cannot open a ticket in a status other than open');
select is(tests.try_as('owner-b@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description)
    values (tests.fx('client_a'), tests.fx('owner_b'), 'cross', 'x')$$),
  'error:42501', 'support_tickets insert: owner B cannot open a ticket for A');
select is(tests.try_as('loner@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description)
    values (tests.fx('client_a'), tests.fx('loner'), 'outsider', 'x')$$),
  'error:42501', 'support_tickets insert: user without membership cannot open a ticket');
select is((select count(*)::int from public.support_tickets where subject in ('forged', 'pre-resolved', 'cross', 'outsider')), 0,
  'support_tickets insert: refused inserts wrote nothing');
select is(tests.try_as('admin@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, status, priority)
    values (tests.fx('client_b'), tests.fx('owner_b'), 'on behalf', 'x', 'in_progress', 'urgent')$$),
  'ok:1', 'support_tickets insert: admin may open any ticket');
select is((select status || '/' || priority from public.support_tickets where subject = 'on behalf'), 'in_progress/urgent',
  'support_tickets insert: the admin''s ticket is stored');

-- update: members close (from any status) or reopen (from resolved / closed) ---------------------
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'closed' where id = tests.fx('tkt_a_open')$$),
  'ok:1', 'support_tickets update: member closes an open ticket');
select is(tests.try_as('owner-a@rls.test', $$update public.support_tickets set status = 'open' where id = tests.fx('tkt_a_resolved')$$),
  'ok:1', 'support_tickets update: member reopens a resolved ticket');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'open' where id = tests.fx('tkt_a_closed')$$),
  'ok:1', 'support_tickets update: member reopens a closed ticket');
select is(
  (select array_agg(status order by subject) from public.support_tickets
   where id in (tests.fx('tkt_a_open'), tests.fx('tkt_a_resolved'), tests.fx('tkt_a_closed'))),
  array['open', 'closed', 'open'], 'support_tickets update: the members'' status changes are stored');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set priority = 'urgent' where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot change priority');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'resolved' where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot resolve');
select is(tests.try_as('owner-a@rls.test', $$update public.support_tickets set status = 'open' where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot reopen a ticket that is in progress');
select is(tests.try_as('owner-a@rls.test', $$update public.support_tickets set status = 'in_progress' where id = tests.fx('tkt_b_open')$$),
  'ok:0', 'support_tickets update: owner A cannot touch B''s ticket');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set subject = 'edited' where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot edit the subject');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'closed', priority = 'urgent' where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot smuggle a priority change along with closing');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'closed', client_id = tests.fx('client_b') where id = tests.fx('tkt_a_progress')$$),
  'error:42501', 'support_tickets update: member cannot move a ticket to another client');
select is(tests.try_as(a, $$update public.support_tickets set status = 'closed' where id = tests.fx('tkt_a_progress')$$),
  'ok:0', 'support_tickets update: ' || a || ' cannot close A''s ticket')
from unnest(array['owner-b@rls.test', 'loner@rls.test']) a;
select is(
  (select status || '/' || priority || '/' || subject || '/' || client_id::text from public.support_tickets where id = tests.fx('tkt_a_progress')),
  'in_progress/medium/in progress/' || tests.fx('client_a'), 'support_tickets update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.support_tickets set status = 'resolved', priority = 'low' where id = tests.fx('tkt_a_progress')$$),
  'ok:1', 'support_tickets update: admin may change any column');
select is((select status || '/' || priority from public.support_tickets where id = tests.fx('tkt_a_progress')), 'resolved/low',
  'support_tickets update: the admin''s change is stored');

-- delete (admin only) -----------------------------------------------------------------------
select is(tests.try_as(a, $$delete from public.support_tickets where id = tests.fx('tkt_a_closed')$$),
  'ok:0', 'support_tickets delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.support_tickets where id = tests.fx('tkt_a_closed')), 1,
  'support_tickets delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.support_tickets where id = tests.fx('tkt_a_closed')$$),
  'ok:1', 'support_tickets delete: admin may delete');
select is((select count(*)::int from public.support_tickets where id = tests.fx('tkt_a_closed')), 0,
  'support_tickets delete: the admin''s delete took effect');

select * from finish();
rollback;
