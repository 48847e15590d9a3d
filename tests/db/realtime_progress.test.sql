-- Live progress in the database: who may receive the execution and client topics (the RLS
-- policies on realtime.messages, checked the way Realtime checks a join: a message row for the
-- topic, realtime.topic() set, a SELECT as the user), the coalesced progress / finished /
-- started messages realtime.send writes, and the per-user signed URL cache.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(48);

select tests.create_rls_fixtures();

-- What Realtime does when a private channel joins (stack/realtime/authorization.ts).
create function pg_temp.can_receive(actor text, topic text, extension text default 'broadcast')
returns boolean
language plpgsql
as $$
declare
  v_id uuid;
  v_seen boolean;
begin
  insert into realtime.messages (topic, extension) values (topic, extension) returning id into v_id;
  perform set_config('realtime.topic', topic, true);
  perform tests.act_as(actor);
  select exists (select 1 from realtime.messages m where m.id = v_id) into v_seen;
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  delete from realtime.messages m where m.id = v_id;
  return v_seen;
end
$$;

create function pg_temp.exec_topic(key text) returns text language sql as $$
  select 'execution:' || tests.fx(key)
$$;

-- Who may join -------------------------------------------------------------------------------
select ok(pg_temp.can_receive('collab-a@rls.test', pg_temp.exec_topic('exec_a')),
  'execution topic: a collaborator of the execution''s client receives it');
select ok(pg_temp.can_receive('owner-a@rls.test', pg_temp.exec_topic('exec_a')),
  'execution topic: the owner of the execution''s client receives it');
select ok(pg_temp.can_receive('admin@rls.test', pg_temp.exec_topic('exec_a')),
  'execution topic: an admin receives any');
select ok(not pg_temp.can_receive('owner-b@rls.test', pg_temp.exec_topic('exec_a')),
  'execution topic: another client''s member is refused');
select ok(not pg_temp.can_receive('loner@rls.test', pg_temp.exec_topic('exec_a')),
  'execution topic: a user without membership is refused');
select ok(not pg_temp.can_receive('anon', pg_temp.exec_topic('exec_a')),
  'execution topic: anon is refused');
select ok(not pg_temp.can_receive('collab-a@rls.test', pg_temp.exec_topic('no_such_execution')),
  'execution topic: an unknown execution is nobody''s');
select ok(pg_temp.can_receive('collab-a@rls.test', 'client:' || tests.fx('client_a')),
  'client topic: a member receives their client''s');
select ok(pg_temp.can_receive('admin@rls.test', 'client:' || tests.fx('client_b')),
  'client topic: an admin receives any');
select ok(not pg_temp.can_receive('collab-a@rls.test', 'client:' || tests.fx('client_b')),
  'client topic: a member of A is refused B''s');
select ok(not pg_temp.can_receive('anon', 'client:' || tests.fx('client_a')),
  'client topic: anon is refused');
select ok(not pg_temp.can_receive('collab-a@rls.test', pg_temp.exec_topic('exec_a'), 'presence'),
  'presence on an execution topic is not granted (broadcast only)');

select ok(not pg_temp.can_receive('collab-a@rls.test', 'execution:not-a-uuid'),
  'a malformed topic is refused without an error');
select ok(not pg_temp.can_receive('collab-a@rls.test', pg_temp.exec_topic('exec_a') || 'x'),
  'a topic with trailing characters is refused');
select ok(not pg_temp.can_receive('collab-a@rls.test', 'tickets:' || tests.fx('client_a')),
  'an unknown topic kind is refused');
select ok(not pg_temp.can_receive('collab-a@rls.test', replace(pg_temp.exec_topic('exec_a'), 'execution', 'EXECUTION')),
  'the topic kind is case-sensitive');

-- Suspending cancels the suspended party's unfinished runs, and exec_a must stay running for
-- the rest of this file: each suspension is looked at inside a savepoint that is then rolled
-- back, its answers carried out in psql variables.
savepoint suspended;
update public.users set status = 'suspended' where id = tests.fx('collab_a');
select not pg_temp.can_receive('collab-a@rls.test', pg_temp.exec_topic('exec_a')) as user_exec_refused,
  not pg_temp.can_receive('collab-a@rls.test', 'client:' || tests.fx('client_a')) as user_client_refused
\gset
rollback to savepoint suspended;
update public.clients set status = 'suspended' where id = tests.fx('client_a');
select not pg_temp.can_receive('owner-a@rls.test', pg_temp.exec_topic('exec_a')) as client_exec_refused
\gset
rollback to savepoint suspended;
select ok(:'user_exec_refused'::boolean, 'a suspended user is refused their client''s execution topic');
select ok(:'user_client_refused'::boolean, 'a suspended user is refused their client''s topic');
select ok(:'client_exec_refused'::boolean, 'members of a suspended client are refused');

select is(tests.try_as('collab-a@rls.test', format(
    $$insert into realtime.messages (topic, extension, event, payload) values (%L, 'broadcast', 'finished', '{}')$$,
    pg_temp.exec_topic('exec_a'))),
  'error:42501', 'members cannot write a message on the topic (no insert policy: no spoofed progress)');

-- Progress messages -------------------------------------------------------------------------
create function pg_temp.messages(topic text, event text)
returns setof jsonb language sql as $$
  select m.payload from realtime.messages m
  where m.topic = $1 and m.event = $2 and m.extension = 'broadcast' and m.private
  order by (m.payload ->> 'seq')::integer
$$;

update public.workflow_executions set unit_cost = 0.039, unit_revenue = 0.1 where id = tests.fx('exec_a');
update public.workflow_batch_results set status = 'pending' where execution_id = tests.fx('exec_a');
select is((select count(*)::integer from private.execution_progress_outbox), 0,
  'a ledger row moving to pending queues no notice');

update public.workflow_batch_results
set status = 'completed', result_storage_path = tests.fx('exec_a') || '/0_1.png', completed_at = now()
where id = tests.fx('res_a0');
select is((select count(*)::integer from private.execution_progress_outbox
           where execution_id = tests.fx('exec_a')), 1,
  'an item reaching completed queues one notice');

select tests.authenticate_as_service_role();
select is(private.publish_execution_progress(tests.fx('exec_a')) ->> 'sent', 'true',
  'publish sends a progress message');
select is(private.publish_execution_progress(tests.fx('exec_a')) ->> 'sent', 'false',
  'a second publish right after sends nothing (at most one per 250 ms)');
select ok((private.publish_execution_progress(tests.fx('exec_a')) ->> 'retry_in_ms')::integer between 1 and 250,
  'and says when to try again');
select tests.clear_authentication();

select is((select count(*)::integer from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress')), 1,
  'one progress message was written');
select is((select p -> 'items' from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p),
  jsonb_build_array(jsonb_build_object('batch_index', 0, 'status', 'completed',
    'storage_path', tests.fx('exec_a') || '/0_1.png')),
  'it names the finished item with its storage path');
select is((select p -> 'progress' from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p),
  '{"total": 2, "pending": 1, "processing": 0, "completed": 1, "failed": 0, "cancelled": 0, "done": 1, "percent": 50}'::jsonb,
  'it carries the counts by status');
select is((select (p -> 'cost' ->> 'cost_so_far')::numeric from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p),
  0.039, 'and the cost so far');
select ok((select not (p::text ~* 'token=|signed') from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p),
  'and no signed URL');
select is((select count(*)::integer from private.execution_progress_outbox), 0,
  'the notice left the outbox');

update private.execution_progress_state set last_sent_at = last_sent_at - interval '1 second'
where execution_id = tests.fx('exec_a');
select tests.authenticate_as_service_role();
select is(private.publish_execution_progress(tests.fx('exec_a')) ->> 'unchanged', 'true',
  'nothing new, nothing sent');
select tests.clear_authentication();

-- A burst: 30 publish calls within the rate window, each after a new notice, send one message.
create function pg_temp.notice_and_publish(p_execution uuid) returns boolean language plpgsql as $$
begin
  insert into private.execution_progress_outbox (execution_id, batch_index, status)
  values (p_execution, 1, 'failed');
  return (private.publish_execution_progress(p_execution) ->> 'sent')::boolean;
end
$$;
update private.execution_progress_state set last_sent_at = last_sent_at - interval '1 second'
where execution_id = tests.fx('exec_a');
select is(
  (select count(*)::integer from generate_series(1, 30) i
   where pg_temp.notice_and_publish(tests.fx('exec_a'))),
  1, '30 publish calls in a burst, each with something new, send one message');
select is((select jsonb_array_length(p -> 'items') from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p
           where (p ->> 'seq')::integer = 2), 1,
  'carrying the notice queued before it');
select is((select count(*)::integer from private.execution_progress_outbox), 29,
  'the later notices wait for the next message');
delete from private.execution_progress_outbox;

-- Finished ------------------------------------------------------------------------------------
update private.execution_progress_state set last_sent_at = last_sent_at - interval '1 second'
where execution_id = tests.fx('exec_a');
update public.workflow_batch_results set status = 'failed', completed_at = now()
where id = tests.fx('res_a1');
select tests.authenticate_as_service_role();
select isnt(private.finalize_execution(tests.fx('exec_a')), null, 'the execution finalises');
select tests.clear_authentication();
select is((select count(*)::integer from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'finished')), 1,
  'its finalisation wrote one finished message');
select is((select p -> 'items' from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'finished') p),
  '[{"batch_index": 1, "status": "failed", "storage_path": null}]'::jsonb,
  'with the item not announced yet');
select is((select p ->> 'status' || '/' || (p -> 'progress' ->> 'done') from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'finished') p),
  'completed/2', 'with the final status and counts');
select is((select max((p ->> 'seq')::integer) from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'progress') p)
  < (select (p ->> 'seq')::integer from pg_temp.messages(pg_temp.exec_topic('exec_a'), 'finished') p), true,
  'finished comes after every progress message');
select is((select p ->> 'status' from pg_temp.messages('client:' || tests.fx('client_a'), 'finished') p
           where p ->> 'execution_id' = tests.fx('exec_a')::text), 'completed',
  'the client topic hears it finished');
select tests.authenticate_as_service_role();
select is(private.publish_execution_progress(tests.fx('exec_a')) ->> 'finished', 'true',
  'after finished, publish sends nothing');
select tests.clear_authentication();
select is((select count(*)::integer from realtime.messages where topic = pg_temp.exec_topic('exec_a')), 3,
  'the topic holds exactly two progress messages and one finished');

-- Started -------------------------------------------------------------------------------------
insert into public.workflow_executions (id, workflow_id, client_id, triggered_by_user_id, status, input_data)
values (tests.fx('exec_new_owner'), tests.fx('wf_b'), tests.fx('client_b'), tests.fx('owner_b'), 'completed',
  '{"prompts": ["one", "two", "three"]}');
select is((select p ->> 'total' from pg_temp.messages('client:' || tests.fx('client_b'), 'started') p
           where p ->> 'execution_id' = tests.fx('exec_new_owner')::text), '3',
  'an inserted execution is announced on its client''s topic with its size');

-- Signed URL cache ---------------------------------------------------------------------------
select tests.authenticate_as('collab-a@rls.test');
select is(private.remember_signed_urls(jsonb_build_array(
    jsonb_build_object('path', 'p/1.png', 'url', 'https://x/1?token=a', 'expires_at', now() + interval '1 hour'),
    jsonb_build_object('path', 'p/2.png', 'url', 'https://x/2?token=b', 'expires_at', now() + interval '10 minutes'))),
  2, 'a user stores the signed URLs they were given');
select is((select array_agg(signed_url order by object_path) from private.cached_signed_urls(array['p/1.png', 'p/2.png'], 900)),
  array['https://x/1?token=a'], 'only URLs with at least 15 minutes left are answered again');
select tests.authenticate_as('owner-a@rls.test');
select is((select count(*)::integer from private.cached_signed_urls(array['p/1.png', 'p/2.png'], 0)), 0,
  'another user never gets them');
select tests.clear_authentication();
select is(tests.try_as('collab-a@rls.test', 'select * from private.signed_url_cache'), 'error:42501',
  'the cache table itself is not readable by users');

select * from finish();
rollback;
