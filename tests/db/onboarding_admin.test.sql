-- The onboarding and admin-console SQL as the API roles see it (acting as `authenticated`,
-- which is what PostgREST does): me() and capabilities, client and user lifecycle functions,
-- provider cost withheld from members (and from the authenticated role itself, admins read it
-- through execution_provider_costs), and the admin analytics with their rollup.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(33);

select tests.create_rls_fixtures();

-- me() and capabilities ------------------------------------------------------------------------
select tests.act_as('collab-a@rls.test');
select is((select jsonb_path_query_array(public.me() -> 'memberships', '$[*].role')), '["collaborator"]'::jsonb,
  'me: a collaborator of A has one membership, as collaborator');
select is((public.my_capabilities() #>> array['clients', tests.fx('client_a')::text, 'start_executions']), 'true',
  'capabilities: a collaborator may start executions in A');
select is((public.my_capabilities() #>> array['clients', tests.fx('client_a')::text, 'manage_members']), 'false',
  'capabilities: a collaborator may not manage A''s members');
select is((public.my_capabilities() #>> '{platform,view_provider_costs}'), 'false',
  'capabilities: a collaborator sees no provider cost');
select tests.act_as('owner-a@rls.test');
select is((public.my_capabilities() #>> array['clients', tests.fx('client_a')::text, 'manage_members']), 'true',
  'capabilities: an owner manages A''s members');
select is((public.my_capabilities() #>> array['clients', tests.fx('client_b')::text]), null,
  'capabilities: nothing about a client the caller is not in');
select tests.act_as('admin@rls.test');
select is((public.my_capabilities() #>> '{platform,manage_clients}'), 'true', 'capabilities: admins manage clients');
select tests.clear_authentication();

-- client lifecycle -----------------------------------------------------------------------------
select is(tests.try_as('owner-a@rls.test',
  format($$select public.create_client('Nope', null, 'nope@rls.test', %L)$$, tests.fx('owner_a'))),
  'error:42501', 'create_client: an owner may not create clients');
select is((select count(*)::int from public.clients where name = 'Nope'), 0, 'create_client: nothing written when refused');
select is(tests.try_as('admin@rls.test', $$select public.create_client('Nope', null, 'nope@rls.test')$$),
  'error:MS400', 'create_client: a first owner is required');
select is(tests.try_as('admin@rls.test',
  format($$select public.create_client('Newco', null, 'newco@rls.test', %L)$$, tests.fx('loner'))),
  'ok:1', 'create_client: an admin creates a client with an existing user as owner');
select is((select cm.role from public.client_members cm join public.clients c on c.id = cm.client_id
           where c.name = 'Newco' and cm.user_id = tests.fx('loner')), 'owner',
  'create_client: the first owner is a member at once');
select is((select count(*)::int from public.audit_logs a join public.clients c on c.id = a.record_id
           where c.name = 'Newco' and a.table_name = 'clients' and a.action = 'insert'), 1,
  'create_client: the creation is in the audit trail');
select is(tests.try_as('admin@rls.test', $$select public.create_client('   ', null, 'blank@rls.test', tests.fx('loner'))$$),
  'error:23514', 'create_client: a blank name is refused by the table (through PostgREST too)');
select is(tests.try_as('admin@rls.test', format($$select public.create_client('Crlf', null, E'x@rls.test\r\nBcc: y@evil.test', %L)$$, tests.fx('loner'))),
  'error:23514', 'create_client: a contact e-mail with CR/LF is refused');
select is((select count(*)::int from public.clients where name in ('   ', 'Crlf')), 0, 'create_client: nothing written for bad input');
select is(tests.try_as('owner-a@rls.test',
  format($$update public.clients set status = 'suspended' where id = %L$$, tests.fx('client_a'))),
  'error:42501', 'client status: owners may not suspend their client');
select is(tests.try_as('admin@rls.test',
  format($$update public.clients set status = 'deleted' where id = %L$$, tests.fx('client_b'))),
  'ok:1', 'client status: admins soft-delete');
select is(tests.try_as('admin@rls.test',
  format($$update public.clients set status = 'active' where id = %L$$, tests.fx('client_b'))),
  'error:MS422', 'client status: a deleted client stays deleted');

-- user lifecycle -------------------------------------------------------------------------------
select is(tests.try_as('owner-a@rls.test', format($$select public.set_user_status(%L, 'suspended')$$, tests.fx('collab_a'))),
  'error:MS403', 'set_user_status: an owner sees the member but may not suspend them');
select is(tests.try_as('admin@rls.test', format($$select public.set_user_status(%L, 'suspended')$$, tests.fx('admin'))),
  'error:MS422', 'set_user_status: an admin cannot suspend themselves');
select is(tests.try_as('admin@rls.test', format($$select public.set_user_status(%L, 'suspended')$$, tests.fx('collab_a'))),
  'ok:1', 'set_user_status: an admin suspends a user');
select is((select new_data ->> 'status' from public.audit_logs where table_name = 'users'
           and record_id = tests.fx('collab_a') order by id desc limit 1), 'suspended',
  'set_user_status: the change is in the audit trail (platform-level)');
update public.users set status = 'active' where id = tests.fx('collab_a');

-- provider cost --------------------------------------------------------------------------------
update public.workflow_executions
set status = 'completed', completed_at = now(),
    output_data = '{"successful": 2, "failed": 0, "cancelled": 0, "total": 2, "cost": 0.078, "revenue": 0.2}'
where id = tests.fx('exec_a_spare');
select is((select (output_data ? 'cost') || '/' || provider_cost::text from public.workflow_executions where id = tests.fx('exec_a_spare')),
  'false/0.0780', 'cost: the finaliser''s cost moves out of output_data into provider_cost');
select is(tests.try_as('collab-a@rls.test', 'select unit_cost from public.workflow_executions'),
  'error:42501', 'cost: a member cannot read unit_cost');
select is(tests.try_as('collab-a@rls.test', 'select provider_cost from public.workflow_executions'),
  'error:42501', 'cost: a member cannot read provider_cost');
select is(tests.try_as('collab-a@rls.test', 'select id, unit_revenue, output_data from public.workflow_executions'),
  'ok:2', 'cost: a member reads their price and the run summary');
select is(tests.try_as('admin@rls.test', 'select unit_cost from public.workflow_executions'),
  'error:42501', 'cost: not through the table, even for admins (column privilege of the role)');
select is(tests.try_as('admin@rls.test',
  format($$select * from private.execution_provider_costs(array[%L]::uuid[])$$, tests.fx('exec_a_spare'))),
  'ok:1', 'cost: admins read it through execution_provider_costs');
select is(tests.try_as('owner-a@rls.test',
  format($$select * from private.execution_provider_costs(array[%L]::uuid[])$$, tests.fx('exec_a_spare'))),
  'ok:0', 'cost: members get nothing from execution_provider_costs');

-- analytics ------------------------------------------------------------------------------------
select is((select items_successful || '/' || provider_cost::text from private.execution_rollups
           where client_id = tests.fx('client_a') and workflow_id = tests.fx('wf_a')),
  '2/0.0780', 'analytics: the finished run is in the rollup');
select is(tests.try_as('owner-a@rls.test', 'select * from private.analytics_success_by_client()'),
  'error:MS403', 'analytics: members are refused');
select tests.act_as('admin@rls.test');
select is((select item_success_rate::text || '/' || completed from private.analytics_success_by_client()
           where client_id = tests.fx('client_a')), '1.0000/1', 'analytics: success by client, run and item level');
select tests.clear_authentication();

select * from finish();
rollback;
