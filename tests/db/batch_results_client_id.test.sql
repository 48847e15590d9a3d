-- workflow_batch_results.client_id (migration 20261123020150): the read policy trusts it, so
-- it must always be the execution's client, whatever a writer sends, and follow the execution
-- if an admin moves it to another client.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(10);

select tests.create_rls_fixtures();

select is(
  (select array_agg(client_id = tests.fx(case when execution_id = tests.fx('exec_b') then 'client_b' else 'client_a' end))
   from public.workflow_batch_results where id in (tests.fx('res_a0'), tests.fx('res_a1'), tests.fx('res_b0'))),
  array[true, true, true], 'existing results carry their execution''s client');

-- A writer naming another client is overruled.
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_batch_results (id, execution_id, client_id, batch_index, prompt_text)
    values (tests.fx('res_new'), tests.fx('exec_a'), tests.fx('client_b'), 7, 'x')$$),
  'ok:1', 'insert naming a foreign client_id is accepted');
select is((select client_id from public.workflow_batch_results where id = tests.fx('res_new')), tests.fx('client_a'),
  'insert: client_id is copied from the execution, not taken from the writer');
select is(tests.visible_as('owner-b@rls.test', 'public.workflow_batch_results'), array['res_b0'],
  'insert: owner B still does not see the result of A''s execution');

select is(tests.try_as('service_role', $$update public.workflow_batch_results set client_id = tests.fx('client_b')
    where id = tests.fx('res_a0')$$),
  'ok:1', 'update of client_id by the service runs');
select is((select client_id from public.workflow_batch_results where id = tests.fx('res_a0')), tests.fx('client_a'),
  'update: client_id stays the execution''s client');

-- Inserting for an execution that does not exist fails like the foreign key would.
select is(tests.try_as('service_role', $$insert into public.workflow_batch_results (execution_id, batch_index, prompt_text)
    values (tests.fx('exec_new_admin'), 0, 'x')$$),
  'error:23503', 'insert for a missing execution is refused (23503)');
select is((select count(*)::int from public.workflow_batch_results where execution_id = tests.fx('exec_new_admin')), 0,
  'insert for a missing execution wrote nothing');

-- An execution moved to another client takes its results along.
update public.workflow_executions set client_id = tests.fx('client_b') where id = tests.fx('exec_a');
select is(tests.visible_as('owner-b@rls.test', 'public.workflow_batch_results'), array['res_a0', 'res_a1', 'res_b0', 'res_new'],
  'moved execution: the new client''s owner sees its results');
select is(tests.visible_as('owner-a@rls.test', 'public.workflow_batch_results'), '{}'::text[],
  'moved execution: the old client''s owner no longer does');

select * from finish();
rollback;
