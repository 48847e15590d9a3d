-- Retention in the database: only admins set a client's retention (1-3650 days, null = the
-- default); which executions are due follows the client's days or the default; the content is
-- scrubbed only once the Storage folder is empty (a crash after some deletes loses nothing),
-- the rows stay as the billing record, a second purge changes nothing, and nothing not due is
-- touched.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(22);

select tests.create_rls_fixtures();

-- Finished runs: A old (100 days), A recent (10 days), B old (100 days); one not finished.
create function pg_temp.finished(key text, client text, wf text, days integer) returns void
language sql as $$
  insert into public.workflow_executions (id, workflow_id, client_id, triggered_by_user_id, status,
    input_data, output_data, completed_at, started_at)
  values (tests.fx(key), tests.fx(wf), tests.fx(client), null, 'completed',
    '{"prompts":["secret prompt one","secret prompt two"],"reference_images":[{"mime_type":"image/png","data":"iVBORw0KGgo="}]}',
    '{"successful":1,"failed":1,"cancelled":0,"total":2,"revenue":0.1}',
    now() - make_interval(days => days), now() - make_interval(days => days));
  insert into public.workflow_batch_results (execution_id, batch_index, prompt_text, status,
    result_storage_path, error_message, error_code, completed_at, attempts)
  values (tests.fx(key), 0, 'secret prompt one', 'completed', tests.fx(key) || '/0_1.png', null, null, now(), 1),
         (tests.fx(key), 1, 'secret prompt two', 'failed', null, 'blocked: secret prompt two', 'prompt_blocked', now(), 1);
  insert into storage.objects (bucket_id, name) values ('workflow-results', tests.fx(key) || '/0_1.png');
$$;
select pg_temp.finished('ret_old_a', 'client_a', 'wf_a', 100);
select pg_temp.finished('ret_recent_a', 'client_a', 'wf_a', 10);
select pg_temp.finished('ret_old_b', 'client_b', 'wf_b', 100);

create function pg_temp.due() returns uuid[] language sql as $$
  select coalesce(array_agg(d.execution_id order by d.execution_id), '{}')
  from private.retention_due(1000) d
  where d.execution_id in (tests.fx('ret_old_a'), tests.fx('ret_recent_a'), tests.fx('ret_old_b'))
$$;
create function pg_temp.ids(variadic keys text[]) returns uuid[] language sql as $$
  select array_agg(tests.fx(k) order by tests.fx(k)) from unnest(keys) k
$$;
-- As the Storage API deletes (it sets this for its own transaction).
create function pg_temp.storage_api_delete(key text) returns void language plpgsql as $$
begin
  perform set_config('storage.allow_delete_query', 'true', true);
  delete from storage.objects where bucket_id = 'workflow-results' and name like tests.fx(key) || '/%';
  perform set_config('storage.allow_delete_query', 'false', true);
end
$$;

-- who sets it ------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', format('select private.set_client_retention(%L, 5)', tests.fx('client_a'))),
  'error:MS403', 'a member cannot set retention');
select is(tests.try_as('owner-a@rls.test', format('select private.set_client_retention(%L, 5)', tests.fx('client_a'))),
  'error:MS403', 'an owner cannot set retention');
select is(tests.try_as('admin@rls.test', format('select private.set_client_retention(%L, 0)', tests.fx('client_a'))),
  'error:MS400', '0 days is refused');
select is(tests.try_as('admin@rls.test', format('select private.set_client_retention(%L, 3651)', tests.fx('client_a'))),
  'error:MS400', 'more than ten years is refused');
select is((select count(*)::int from private.client_retention), 0, 'nothing written by refused calls');
select is(tests.try_as('collab-a@rls.test', 'select * from private.client_retention'),
  'error:42501', 'members cannot read the retention table');
select is(tests.try_as('collab-a@rls.test', 'select * from private.retention_due(10)'),
  'error:42501', 'members cannot list due executions');
select is(tests.try_as('collab-a@rls.test', format('select private.purge_execution_content(%L)', tests.fx('ret_old_a'))),
  'error:42501', 'members cannot purge');

-- which are due ----------------------------------------------------------------------------
select is(pg_temp.due(), pg_temp.ids('ret_old_a', 'ret_old_b'), 'default 90 days: the two old runs are due');
select is(tests.try_as('admin@rls.test', format('select private.set_client_retention(%L, 365)', tests.fx('client_b'))),
  'ok:1', 'an admin sets a client''s retention');
select is(pg_temp.due(), pg_temp.ids('ret_old_a'), 'client B keeps a year: its old run is no longer due');
select is(tests.try_as('admin@rls.test', format('select private.set_client_retention(%L, 5)', tests.fx('client_a'))),
  'ok:1', 'an admin shortens client A''s retention');
select is(pg_temp.due(), pg_temp.ids('ret_old_a', 'ret_recent_a'), '5 days: both of A''s runs are due');

-- Storage first ----------------------------------------------------------------------------
select is(private.purge_execution_content(tests.fx('ret_old_a')), 'objects_remain',
  'an execution whose folder still holds objects is not scrubbed');
select is((select array_agg(prompt_text order by batch_index) from workflow_batch_results where execution_id = tests.fx('ret_old_a')),
  array['secret prompt one', 'secret prompt two'], 'its rows are intact (a crash after listing loses nothing)');
select pg_temp.storage_api_delete('ret_old_a');
select is(private.purge_execution_content(tests.fx('ret_old_a')), 'purged', 'once the folder is empty it is scrubbed');
select is(
  (select jsonb_build_object('input', input_data, 'output', output_data, 'status', status,
     'purged', content_purged_at is not null) from workflow_executions where id = tests.fx('ret_old_a')),
  jsonb_build_object('input', '{"prompts":["[removed by retention]","[removed by retention]"]}'::jsonb,
    'output', '{"successful":1,"failed":1,"cancelled":0,"total":2,"revenue":0.1}'::jsonb,
    'status', 'completed', 'purged', true),
  'the execution row stays: prompts and reference images replaced, totals and status kept');
select is(
  (select jsonb_agg(jsonb_build_array(batch_index, prompt_text, status, result_storage_path, error_message, error_code, attempts) order by batch_index)
   from workflow_batch_results where execution_id = tests.fx('ret_old_a')),
  '[[0,"[removed by retention]","completed",null,null,null,1],[1,"[removed by retention]","failed",null,"[removed by retention]","prompt_blocked",1]]'::jsonb,
  'the ledger rows stay with status, codes and attempts; prompts, messages and paths go');
select is(private.purge_execution_content(tests.fx('ret_old_a')), 'already_purged', 'a second purge changes nothing');
select is(pg_temp.due(), pg_temp.ids('ret_recent_a'), 'a purged run is no longer due');
select is(private.purge_execution_content(tests.fx('ret_old_b')), 'not_due', 'a run not due is refused');
select is(
  (select prompt_text from workflow_batch_results where execution_id = tests.fx('ret_old_b') and batch_index = 0)
    || (select count(*)::text from storage.objects where name like tests.fx('ret_old_b') || '/%'),
  'secret prompt one1', 'and keeps its rows and its object');

select * from finish();
rollback;
