-- RLS matrix for workflow_executions, workflow_batch_results and the workflow-results objects
-- in storage.objects: select / insert / update / delete for admin, owner of A, collaborator of
-- A, owner of B and a user without membership.
begin;
set local search_path = public, extensions;
-- Started runs try to kick process-batch and warn that the test database has no Vault secrets.
set local client_min_messages = error;
select plan(86);

select tests.create_rls_fixtures();

-- workflow_executions: select ---------------------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.workflow_executions'),
  array['exec_a', 'exec_a_spare', 'exec_b'], 'workflow_executions select: admin sees all');
select is(tests.visible_as('owner-a@rls.test', 'public.workflow_executions'),
  array['exec_a', 'exec_a_spare'], 'workflow_executions select: owner A sees A''s executions');
select is(tests.visible_as('collab-a@rls.test', 'public.workflow_executions'),
  array['exec_a', 'exec_a_spare'], 'workflow_executions select: collaborator A sees all of A''s executions');
select is(tests.visible_as('owner-b@rls.test', 'public.workflow_executions'),
  array['exec_b'], 'workflow_executions select: owner B sees B''s execution');
select is(tests.visible_as('loner@rls.test', 'public.workflow_executions'),
  '{}'::text[], 'workflow_executions select: user without membership sees none');

-- workflow_executions: insert (members start pending runs as themselves) --------------------
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, status, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), 'pending', '{"prompts":["new-collab"]}')$$),
  'ok:1', 'workflow_executions insert: collaborator starts a run on an active workflow of A');
select is(tests.try_as('owner-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('owner_a'), '{"prompts":["new-owner"]}')$$),
  'ok:1', 'workflow_executions insert: owner starts a run (status defaults to pending)');
select is(
  (select array_agg(status || '/' || triggered_by_user_id::text order by triggered_by_user_id) from public.workflow_executions
   where input_data -> 'prompts' ->> 0 in ('new-collab', 'new-owner')),
  (select array_agg('pending/' || u::text order by u) from unnest(array[tests.fx('collab_a'), tests.fx('owner_a')]) u),
  'workflow_executions insert: both runs are stored as pending, attributed to their starter');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('owner_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: collaborator cannot start a run in someone else''s name');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: collaborator cannot start an anonymous run');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, status, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), 'completed', '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: collaborator cannot insert a run that is already completed');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a_inactive'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: an inactive workflow cannot be started');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_b'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: A cannot run (and be billed for) B''s workflow');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_b'), tests.fx('client_b'), tests.fx('collab_a'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: collaborator A cannot start a run for client B');
select is(tests.try_as('owner-b@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('owner_b'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: owner B cannot start a run for client A');
select is(tests.try_as('loner@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('loner'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: user without membership cannot start a run');
-- Seed 000 gives admins ALL on executions: an admin may start a run for any client, but only
-- as themselves and on an active workflow of that client.
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_b'), tests.fx('client_b'), tests.fx('admin'), '{"prompts":["new-admin"]}')$$),
  'ok:1', 'workflow_executions insert: admin may start a run for any client');
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_b'), tests.fx('client_b'), tests.fx('owner_b'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: admin cannot start a run in another user''s name');
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_b'), tests.fx('client_a'), tests.fx('admin'), '{"prompts":["x"]}')$$),
  'error:42501', 'workflow_executions insert: admin cannot file B''s workflow under client A');
select is((select count(*)::int from public.workflow_executions
           where id not in (tests.fx('exec_a'), tests.fx('exec_a_spare'), tests.fx('exec_b'))
             and input_data -> 'prompts' ->> 0 not in ('new-collab', 'new-owner', 'new-admin')
             and client_id in (tests.fx('client_a'), tests.fx('client_b'))), 0,
  'workflow_executions insert: refused inserts wrote nothing');

-- workflow_executions: update / delete (admin only) -----------------------------------------
select is(tests.try_as(a, $$update public.workflow_executions set status = 'completed', output_data = '{"total":0}' where id = tests.fx('exec_a')$$),
  'ok:0', 'workflow_executions update: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(tests.try_as('collab-a@rls.test', $$update public.workflow_executions set status = 'completed' where input_data -> 'prompts' ->> 0 = 'new-collab'$$),
  'ok:0', 'workflow_executions update: collaborator cannot update even the run they started');
select is(
  (select array_agg(status || '/' || coalesce(output_data::text, 'null') order by status) from public.workflow_executions
   where id = tests.fx('exec_a') or input_data -> 'prompts' ->> 0 = 'new-collab'),
  array['pending/null', 'processing/null'], 'workflow_executions update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.workflow_executions set error_message = 'admin note' where id = tests.fx('exec_b')$$),
  'ok:1', 'workflow_executions update: admin may update');
select is((select error_message from public.workflow_executions where id = tests.fx('exec_b')), 'admin note',
  'workflow_executions update: the admin''s change is stored');

select is(tests.try_as(a, $$delete from public.workflow_executions where id = tests.fx('exec_a_spare')$$),
  'ok:0', 'workflow_executions delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_executions where id = tests.fx('exec_a_spare')), 1,
  'workflow_executions delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.workflow_executions where id = tests.fx('exec_a_spare')$$),
  'ok:1', 'workflow_executions delete: admin may delete');
select is((select count(*)::int from public.workflow_executions where id = tests.fx('exec_a_spare')), 0,
  'workflow_executions delete: the admin''s delete took effect');

-- workflow_batch_results: members of the execution's client read, admins write ------------------
select is(tests.visible_as('admin@rls.test', 'public.workflow_batch_results'),
  array['res_a0', 'res_a1', 'res_b0'], 'workflow_batch_results select: admin sees all');
select is(tests.visible_as('owner-a@rls.test', 'public.workflow_batch_results'),
  array['res_a0', 'res_a1'], 'workflow_batch_results select: owner A sees results of A''s executions');
select is(tests.visible_as('collab-a@rls.test', 'public.workflow_batch_results'),
  array['res_a0', 'res_a1'], 'workflow_batch_results select: collaborator A sees results of A''s executions');
select is(tests.visible_as('owner-b@rls.test', 'public.workflow_batch_results'),
  array['res_b0'], 'workflow_batch_results select: owner B sees results of B''s execution');
select is(tests.visible_as('loner@rls.test', 'public.workflow_batch_results'),
  '{}'::text[], 'workflow_batch_results select: user without membership sees none');

select is(tests.try_as(a, $$insert into public.workflow_batch_results (id, execution_id, batch_index, prompt_text)
    values (tests.fx('res_new'), tests.fx('exec_a'), 7, 'forged')$$),
  'error:42501', 'workflow_batch_results insert: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_batch_results where id = tests.fx('res_new')), 0,
  'workflow_batch_results insert: refused inserts wrote nothing');
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_batch_results (id, execution_id, batch_index, prompt_text)
    values (tests.fx('res_new'), tests.fx('exec_a'), 7, 'admin')$$),
  'ok:1', 'workflow_batch_results insert: admin may insert');
select is((select prompt_text from public.workflow_batch_results where id = tests.fx('res_new')), 'admin',
  'workflow_batch_results insert: the admin''s row is stored');

select is(tests.try_as(a, $$update public.workflow_batch_results set status = 'completed', result_storage_path = 'x' where id = tests.fx('res_a0')$$),
  'ok:0', 'workflow_batch_results update: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select status || '/' || coalesce(result_storage_path, 'null') from public.workflow_batch_results where id = tests.fx('res_a0')),
  'processing/null', 'workflow_batch_results update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.workflow_batch_results set error_message = 'checked' where id = tests.fx('res_b0')$$),
  'ok:1', 'workflow_batch_results update: admin may update');
select is((select error_message from public.workflow_batch_results where id = tests.fx('res_b0')), 'checked',
  'workflow_batch_results update: the admin''s change is stored');

select is(tests.try_as(a, $$delete from public.workflow_batch_results where id = tests.fx('res_a1')$$),
  'ok:0', 'workflow_batch_results delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_batch_results where id = tests.fx('res_a1')), 1,
  'workflow_batch_results delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.workflow_batch_results where id = tests.fx('res_a1')$$),
  'ok:1', 'workflow_batch_results delete: admin may delete');
select is((select count(*)::int from public.workflow_batch_results where id = tests.fx('res_a1')), 0,
  'workflow_batch_results delete: the admin''s delete took effect');

-- storage.objects in workflow-results: read by admin and the owning client's members ------------
select is((select public from storage.buckets where id = 'workflow-results'), false,
  'storage: bucket workflow-results is private');
select is(tests.visible_as('admin@rls.test', 'storage.objects'),
  array['obj_a', 'obj_b'], 'storage select: admin sees every result object');
select is(tests.visible_as('owner-a@rls.test', 'storage.objects'),
  array['obj_a'], 'storage select: owner A sees objects of A''s executions');
select is(tests.visible_as('collab-a@rls.test', 'storage.objects'),
  array['obj_a'], 'storage select: collaborator A sees objects of A''s executions');
select is(tests.visible_as('owner-b@rls.test', 'storage.objects'),
  array['obj_b'], 'storage select: owner B sees objects of B''s execution');
select is(tests.visible_as('loner@rls.test', 'storage.objects'),
  '{}'::text[], 'storage select: user without membership sees none');
select ok(tests.try_as('anon', $$select 1 from storage.objects where bucket_id = 'workflow-results'$$) in ('ok:0', 'error:42501'),
  'storage select: anon sees none');

select is(tests.try_as(a, format($$insert into storage.objects (id, bucket_id, name) values (tests.fx('obj_new'), 'workflow-results', '%s/9_1.png')$$, tests.fx('exec_a'))),
  'error:42501', 'storage insert: ' || a || ' cannot upload into workflow-results')
from unnest(array['admin@rls.test', 'owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from storage.objects where id = tests.fx('obj_new')), 0,
  'storage insert: refused uploads wrote nothing');

select ok(tests.try_as(a, $$update storage.objects set name = name || '.bak', metadata = '{"x":1}' where id = tests.fx('obj_a')$$) in ('ok:0', 'error:42501'),
  'storage update: ' || a || ' cannot change a result object')
from unnest(array['admin@rls.test', 'owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select name || '/' || coalesce(metadata::text, 'null') from storage.objects where id = tests.fx('obj_a')),
  tests.fx('exec_a') || '/0_1700000000.png/null', 'storage update: refused updates changed nothing');

select ok(tests.try_as(a, $$delete from storage.objects where id = tests.fx('obj_a')$$) in ('ok:0', 'error:42501'),
  'storage delete: ' || a || ' cannot delete a result object')
from unnest(array['admin@rls.test', 'owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from storage.objects where id in (tests.fx('obj_a'), tests.fx('obj_b'))), 2,
  'storage delete: refused deletes removed nothing');

select * from finish();
rollback;
