-- Suspended or deleted users, and members of a suspended client, lose access; an admin who is
-- suspended is no longer an admin. The RLS helpers decide this, so every table follows.
begin;
set local search_path = public, extensions;
select plan(31);

select tests.create_rls_fixtures();

-- A suspended user ------------------------------------------------------------------------
update public.users set status = 'suspended' where id = tests.fx('collab_a');

select is(tests.visible_as('collab-a@rls.test', t::regclass), '{}'::text[], 'suspended collaborator sees nothing in ' || t)
from unnest(array['public.clients', 'public.client_members', 'public.workflows', 'public.workflow_requests',
  'public.workflow_executions', 'public.workflow_batch_results', 'public.support_tickets', 'storage.objects']) t;
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'suspended collaborator cannot start a run');
select is(tests.try_as('collab-a@rls.test', $$update public.support_tickets set status = 'closed' where id = tests.fx('tkt_a_open')$$),
  'ok:0', 'suspended collaborator cannot close a ticket');
select is(tests.visible_as('owner-a@rls.test', 'public.workflow_executions'),
  array['exec_a', 'exec_a_spare'], 'the active owner of the same client keeps access');

-- A deleted user --------------------------------------------------------------------------
update public.users set status = 'deleted' where id = tests.fx('owner_b');
select is(tests.visible_as('owner-b@rls.test', 'public.clients'), '{}'::text[], 'deleted owner no longer sees the client');
select is(tests.visible_as('owner-b@rls.test', 'public.support_tickets'), '{}'::text[], 'deleted owner no longer sees tickets');
select is(tests.try_as('owner-b@rls.test', $$update public.clients set name = 'ghost' where id = tests.fx('client_b')$$),
  'ok:0', 'deleted owner cannot rename the client');

-- A suspended admin -----------------------------------------------------------------------
update public.users set status = 'suspended' where id = tests.fx('admin');
select is(tests.visible_as('admin@rls.test', 'public.clients'), '{}'::text[], 'suspended admin sees no clients');
select is(tests.visible_as('admin@rls.test', 'public.workflow_templates'), '{}'::text[], 'suspended admin sees no templates');
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_templates (name, workflow_type, config) values ('x', 'nano_banana', '{"model":"m","max_prompts":1,"requires_api_key":false}')$$),
  'error:42501', 'suspended admin cannot create templates');
select is(tests.try_as('admin@rls.test', $$update public.users set status = 'active' where id = tests.fx('admin')$$),
  'ok:0', 'suspended admin cannot reactivate self');
select is((select status from public.users where id = tests.fx('admin')), 'suspended', 'suspended admin is still suspended');

-- A suspended client ----------------------------------------------------------------------
update public.users set status = 'active' where id in (tests.fx('collab_a'), tests.fx('owner_b'), tests.fx('admin'));
update public.clients set status = 'suspended' where id = tests.fx('client_a');

select is(tests.visible_as('owner-a@rls.test', t::regclass), '{}'::text[], 'owner of a suspended client sees nothing in ' || t)
from unnest(array['public.clients', 'public.workflows', 'public.workflow_executions', 'public.workflow_batch_results',
  'public.support_tickets', 'storage.objects']) t;
select is(tests.visible_as('owner-a@rls.test', 'public.users'), array['owner_a'],
  'owner of a suspended client no longer sees its members');
select is(tests.try_as('owner-a@rls.test', $$update public.clients set status = 'active' where id = tests.fx('client_a')$$),
  'ok:0', 'owner cannot lift the suspension');
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'suspended?', 'x')$$),
  'error:42501', 'member of a suspended client cannot open tickets');
select is(tests.visible_as('owner-b@rls.test', 'public.clients'), array['client_b'], 'other clients are unaffected');
select is(tests.visible_as('admin@rls.test', 'public.clients'), array['client_a', 'client_b'], 'admin still sees the suspended client');

update public.clients set status = 'active' where id = tests.fx('client_a');
select is(tests.visible_as('collab-a@rls.test', 'public.clients'), array['client_a'], 'reactivating the client restores access');

select * from finish();
rollback;
