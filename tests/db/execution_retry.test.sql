-- Retry links through the database API: a row naming retry_of is accepted only for a finished
-- run of the caller's own client and workflow, re-running exactly its failed/cancelled items
-- with their prompts; public.retry_execution applies the same rules as the caller. Each
-- refusal writes nothing; the original's items are never changed.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(18);

select tests.create_rls_fixtures();

-- exec_a_spare (client a) finished: item 0 failed, 1 completed, 2 cancelled. exec_a still runs.
-- exec_b (client b) finished with a failed item.
update public.workflow_executions set input_data = '{"prompts":["spare","spare ok","spare cut"]}'
where id = tests.fx('exec_a_spare');
insert into public.workflow_batch_results (execution_id, batch_index, prompt_text, status) values
  (tests.fx('exec_a_spare'), 0, 'spare', 'failed'),
  (tests.fx('exec_a_spare'), 1, 'spare ok', 'completed'),
  (tests.fx('exec_a_spare'), 2, 'spare cut', 'cancelled');
update public.workflow_executions set status = 'completed', completed_at = now()
where id = tests.fx('exec_b');
update public.workflow_batch_results set status = 'failed' where id = tests.fx('res_b0');

create temp table original_items on commit drop as
  select id, status, prompt_text, result_storage_path from public.workflow_batch_results
  where execution_id in (tests.fx('exec_a_spare'), tests.fx('exec_b'));
grant select on original_items to authenticated;
create temp table retried (r jsonb) on commit drop;
grant select, insert on retried to authenticated;

create or replace function pg_temp.direct(retry_of text, indexes text, prompts text,
  wf text default 'wf_a', client text default 'client_a', who text default 'collab_a')
returns text language sql as $$
  select format($q$insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data, retry_of, retry_indexes)
      values (tests.fx(%L), tests.fx(%L), tests.fx(%L), jsonb_build_object('prompts', %L::jsonb),
              %s, %s)$q$, wf, client, who, prompts,
    coalesce(format('tests.fx(%L)', retry_of), 'null'), coalesce(quote_literal(indexes) || '::int[]', 'null'))
$$;

-- direct inserts -----------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a', '{0}', '["a cat"]')),
  'error:MS409', 'a running execution cannot be retried');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_b', '{0}', '["b"]')),
  'error:MS404', 'a link to another client''s run is refused (from one''s own workflow)');
select matches(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_b', '{0}', '["b"]', 'wf_b', 'client_b')),
  '^error:', 'a link to another client''s run is refused (naming their workflow)');
select is(tests.try_as('owner-b@rls.test', pg_temp.direct('exec_a_spare', '{0}', '["spare"]', 'wf_b', 'client_b', 'owner_b')),
  'error:MS404', 'another client''s owner cannot link to client a''s run');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a_spare', '{1}', '["spare ok"]')),
  'error:MS422', 'a completed item is not retried');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a_spare', '{0}', '["something else"]')),
  'error:MS422', 'the failed item''s index with another prompt is refused');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a_spare', '{0,0}', '["spare","spare"]')),
  'error:MS422', 'one original item cannot be re-run twice in one retry');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a_spare', null, '["spare"]')),
  'error:23514', 'retry_of without retry_indexes is refused');
select matches(tests.try_as('collab-a@rls.test', pg_temp.direct(null, '{0}', '["spare"]')),
  '^error:', 'retry_indexes without retry_of is refused');
select is((select count(*)::int from public.workflow_executions where retry_of is not null), 0,
  'no refused insert wrote a row');
select is(tests.try_as('collab-a@rls.test', pg_temp.direct('exec_a_spare', '{0,2}', '["spare","spare cut"]')),
  'ok:1', 'the honest direct insert (failed and cancelled items, own client) is a start');

-- public.retry_execution as the caller ---------------------------------------------------------------
select is(tests.try_as('owner-b@rls.test', format('select public.retry_execution(%L)', tests.fx('exec_a_spare'))),
  'error:MS404', 'retry_execution: another client''s run is not found');
select is(tests.try_as('collab-a@rls.test', format('select public.retry_execution(%L)', tests.fx('exec_a'))),
  'error:MS409', 'retry_execution: a running run is refused');
select is(tests.try_as('anon', format('select public.retry_execution(%L)', tests.fx('exec_a_spare'))),
  'error:42501', 'retry_execution: anon may not call it');

select tests.authenticate_as('collab-a@rls.test');
insert into retried select public.retry_execution(tests.fx('exec_a_spare'), true, 'k1', 'h1');
select is(
  (select (r ->> 'replayed') || ':' || (select array_to_string(x.retry_indexes, ',') || '/' || (x.input_data ->> 'prompts')
     from public.workflow_executions x where x.id = (r ->> 'id')::uuid)
   from retried),
  'false:0,2/["spare", "spare cut"]', 'retry_execution re-queues the failed and cancelled items, in order');
select is((select public.retry_execution(tests.fx('exec_a_spare'), true, 'k1', 'h1') ->> 'id'),
  (select r ->> 'id' from retried), 'the same Idempotency-Key answers the same retry');
select tests.clear_authentication();

select is(
  (select count(*)::int from public.workflow_batch_results r join original_items o using (id)
   where (r.status, r.prompt_text, r.result_storage_path) is distinct from (o.status, o.prompt_text, o.result_storage_path)),
  0, 'the originals'' items are untouched');

-- once retention has scrubbed the original, its marker prompts are not re-run
update public.workflow_executions set content_purged_at = now() where id = tests.fx('exec_a_spare');
select is(tests.try_as('collab-a@rls.test', format('select public.retry_execution(%L, true, %L)',
    tests.fx('exec_a_spare'), 'k2')),
  'error:MS422', 'a run whose content retention removed cannot be retried');

select * from finish();
rollback;
