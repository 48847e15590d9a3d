-- Ticket comments (internal notes admin-only, by RLS), the status history trigger, and the
-- assignment / transition rules added in issue 3. Allowed and refused callers, rows written.
begin;
set local search_path = public, extensions;
select plan(26);

select tests.create_rls_fixtures();

-- comments -----------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', format($$insert into public.ticket_comments (ticket_id, body) values (%L, 'member note')$$, tests.fx('tkt_a_open'))),
  'ok:1', 'comments: a member comments on their client''s ticket');
select is((select author_id || '|' || client_id from public.ticket_comments where body = 'member note'),
  tests.fx('collab_a') || '|' || tests.fx('client_a'), 'comments: author and client come from the caller and the ticket');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.ticket_comments (ticket_id, body, is_internal) values (%L, 'sneaky', true)$$, tests.fx('tkt_a_open'))),
  'error:42501', 'comments: a member cannot write an internal note');
select is(tests.try_as('owner-b@rls.test', format($$insert into public.ticket_comments (ticket_id, body) values (%L, 'intruder')$$, tests.fx('tkt_a_open'))),
  'error:MS404', 'comments: another client''s ticket is not found');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.ticket_comments (ticket_id, body, client_id) values (%L, 'moved', %L)$$, tests.fx('tkt_a_open'), tests.fx('client_b'))),
  'error:42501', 'comments: client_id is not the caller''s to set');
select is(tests.try_as('anon', format($$insert into public.ticket_comments (ticket_id, body) values (%L, 'anon')$$, tests.fx('tkt_a_open'))),
  'error:42501', 'comments: anon cannot comment');
select is((select count(*)::int from public.ticket_comments where body in ('sneaky', 'intruder', 'moved', 'anon')), 0,
  'comments: refused comments wrote nothing');
select is(tests.try_as('admin@rls.test', format($$insert into public.ticket_comments (ticket_id, body, is_internal) values (%L, 'staff only', true)$$, tests.fx('tkt_a_open'))),
  'ok:1', 'comments: an admin writes an internal note');
select is(tests.try_as('owner-a@rls.test', format($$select 1 from public.ticket_comments where ticket_id = %L$$, tests.fx('tkt_a_open'))),
  'ok:1', 'comments: members see the public comment only, not the internal note');
select is(tests.try_as('admin@rls.test', format($$select 1 from public.ticket_comments where ticket_id = %L$$, tests.fx('tkt_a_open'))),
  'ok:2', 'comments: admins see both');
select is(tests.try_as('owner-b@rls.test', $$select 1 from public.ticket_comments$$),
  'ok:0', 'comments: another client sees none');
select is(tests.try_as('collab-a@rls.test', $$update public.ticket_comments set body = 'edited'$$),
  'error:42501', 'comments: no edits');
select is(tests.try_as('admin@rls.test', $$delete from public.ticket_comments$$),
  'error:42501', 'comments: no deletions');

-- status history -----------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', format($$update public.support_tickets set status = 'closed' where id = %L$$, tests.fx('tkt_a_open'))),
  'ok:1', 'history: a member closes a ticket');
select is(
  (select array_agg(coalesce(from_status, '-') || '>' || to_status || ':' || coalesce((changed_by = tests.fx('collab_a'))::text, 'system') order by id)
   from public.ticket_status_history where ticket_id = tests.fx('tkt_a_open')),
  array['->open:system', 'open>closed:true'], 'history: creation and the change are recorded with who did it');
select is(tests.try_as('admin@rls.test', format($$update public.support_tickets set priority = 'high' where id = %L$$, tests.fx('tkt_a_progress'))),
  'ok:1', 'history: a change that keeps the status...');
select is((select count(*)::int from public.ticket_status_history where ticket_id = tests.fx('tkt_a_progress')), 1,
  'history: ...records nothing new');
select is(tests.try_as('owner-a@rls.test', format($$select 1 from public.ticket_status_history where ticket_id = %L$$, tests.fx('tkt_a_open'))),
  'ok:2', 'history: members read their tickets'' history');
select is(tests.try_as('owner-b@rls.test', format($$select 1 from public.ticket_status_history where ticket_id = %L$$, tests.fx('tkt_a_open'))),
  'ok:0', 'history: other clients do not');
select is(tests.try_as('admin@rls.test', format($$insert into public.ticket_status_history (ticket_id, client_id, to_status) values (%L, %L, 'open')$$, tests.fx('tkt_a_open'), tests.fx('client_a'))),
  'error:42501', 'history: nobody writes it directly');

-- assignment and transitions -----------------------------------------------------------------
select is(tests.try_as('owner-a@rls.test', format($$update public.support_tickets set assigned_to = %L where id = %L$$, tests.fx('admin'), tests.fx('tkt_a_progress'))),
  'error:42501', 'assign: a member cannot assign');
select is(tests.try_as('owner-a@rls.test', format($$insert into public.support_tickets (client_id, user_id, subject, description, assigned_to) values (%L, %L, 'pre-assigned', 'd', %L)$$, tests.fx('client_a'), tests.fx('owner_a'), tests.fx('admin'))),
  'error:MS403', 'assign: a member cannot open a pre-assigned ticket');
select is(tests.try_as('admin@rls.test', format($$update public.support_tickets set assigned_to = %L where id = %L$$, tests.fx('owner_a'), tests.fx('tkt_a_progress'))),
  'error:MS422', 'assign: only support staff can be assignees');
select is(tests.try_as('admin@rls.test', format($$update public.support_tickets set assigned_to = %L where id = %L$$, tests.fx('admin'), tests.fx('tkt_a_progress'))),
  'ok:1', 'assign: an admin assigns an admin');
select is(tests.try_as('admin@rls.test', format($$update public.support_tickets set status = 'in_progress' where id = %L$$, tests.fx('tkt_a_closed'))),
  'error:MS422', 'transitions: a closed ticket must be reopened first');
select is(
  (select array_agg(status || '|' || coalesce(assigned_to::text, '-') order by subject) from public.support_tickets
   where id in (tests.fx('tkt_a_closed'), tests.fx('tkt_a_progress'))),
  array['closed|-', 'in_progress|' || tests.fx('admin')], 'assign/transitions: only the allowed change is stored');

select * from finish();
rollback;
