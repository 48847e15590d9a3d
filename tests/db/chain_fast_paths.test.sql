-- The chain's claim with the completion (private.complete_batch_item_and_claim) and the live
-- progress switch (private.set_live_progress): what each writes and what it refuses to write.
-- Seeded users and Acme's Flash workflow; everything rolls back.
begin;
set local search_path = public, extensions;
select plan(23);

create temporary table ids (name text primary key, id uuid) on commit drop;
grant all on ids to authenticated, service_role;
create temporary table claims (n serial, c jsonb) on commit drop;
grant all on claims to authenticated, service_role;
grant usage on sequence claims_n_seq to authenticated, service_role;

select tests.authenticate_as('collaborator@acme.test');
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          auth.uid(), '{"prompts":["p0","p1","p2"]}')
  returning id)
insert into ids select 'run', id from e;
select tests.clear_authentication();

create function pg_temp.item(p_index integer) returns public.workflow_batch_results
language sql as $$
  select r.* from public.workflow_batch_results r join ids on ids.id = r.execution_id
  where ids.name = 'run' and r.batch_index = p_index
$$;
create function pg_temp.outbox() returns integer language sql as $$
  select count(*)::integer from private.execution_progress_outbox o join ids on ids.id = o.execution_id
$$;
grant execute on function pg_temp.item(integer) to service_role;

select tests.authenticate_as_service_role();
insert into claims (c) select private.claim_batch_items(id, 1) from ids where name = 'run';
select is((select (c -> 'items' -> 0 ->> 'batch_index')::integer from claims where n = 1), 0,
  'the loop''s claim leases item 0');

-- A stale lease token: nothing is completed, nothing is claimed.
insert into claims (c)
select private.complete_batch_item_and_claim(r.id, gen_random_uuid(), r.pending_storage_path || '.png', 10, 1)
from pg_temp.item(0) r;
select is((select c ->> 'committed' from claims where n = 2), 'false',
  'a completion with another lease token is refused');
select ok((select not (c ? 'next') from claims where n = 2), 'and claims nothing');
select is((select status from pg_temp.item(1)), 'pending', 'item 1 stays pending');
select is((select status from pg_temp.item(0)), 'processing', 'item 0 stays processing');

-- The current token: completed and the next item claimed in the same transaction.
insert into claims (c)
select private.complete_batch_item_and_claim(r.id, r.lease_token, r.pending_storage_path || '.png', 10, 1)
from pg_temp.item(0) r;
select is((select c ->> 'committed' from claims where n = 3), 'true', 'the completion commits');
select is((select status from pg_temp.item(0)), 'completed', 'item 0 is completed');
select is((select (c -> 'next' -> 'items' -> 0 ->> 'batch_index')::integer from claims where n = 3), 1,
  'the answer carries the claim of item 1');
select is((select status || ':' || attempts || ':' || (lease_token::text = (select c -> 'next' -> 'items' -> 0 ->> 'lease_token' from claims where n = 3))::text
           from pg_temp.item(1)), 'processing:1:true',
  'item 1 is leased with the token the answer carries');
select is((select c -> 'next' ->> 'pending' from claims where n = 3), '1', 'and says one item is left');

-- Switched off: the completion only.
select tests.clear_authentication();
update private.batch_settings set claim_with_completion = false;
select tests.authenticate_as_service_role();
insert into claims (c)
select private.complete_batch_item_and_claim(r.id, r.lease_token, r.pending_storage_path || '.png', 10, 1)
from pg_temp.item(1) r;
select is((select (c ->> 'committed') || ':' || (c ? 'next')::text from claims where n = 4), 'true:false',
  'with claim_with_completion off it completes and claims nothing');
select is((select status from pg_temp.item(2)), 'pending', 'item 2 stays pending');
select tests.clear_authentication();
update private.batch_settings set claim_with_completion = true;

select tests.authenticate_as('collaborator@acme.test');
select throws_ok($$select private.complete_batch_item_and_claim(gen_random_uuid(), gen_random_uuid(), 'x.png', 1, 1)$$,
  '42501', null, 'authenticated cannot call it');
select tests.clear_authentication();

-- Live progress switch -------------------------------------------------------------------------
select is(pg_temp.outbox(), 2, 'live progress on: the two completions queued their notices');
select tests.authenticate_as_service_role();
select throws_ok($$select private.set_live_progress(false)$$, '42501', null,
  'service_role cannot switch live progress');
select tests.clear_authentication();

select is(private.set_live_progress(false), true, 'switching off answers the previous setting (on)');
select is(pg_temp.outbox(), 0, 'switching off empties the outbox');
select tests.authenticate_as_service_role();
insert into claims (c) select private.claim_batch_items(id, 1) from ids where name = 'run';
insert into claims (c)
select private.complete_batch_item_and_claim(r.id, r.lease_token, r.pending_storage_path || '.png', 10, 1)
from pg_temp.item(2) r;
select is((select c ->> 'finalised' from claims where n = 6), 'true', 'the last item finalises the run');
select tests.clear_authentication();
select is(pg_temp.outbox(), 0, 'off: the completion queued no notice');
select is((select count(*)::integer from realtime.messages m, ids
           where ids.name = 'run' and m.topic = 'execution:' || ids.id and m.event = 'finished'), 0,
  'off: the finalisation sent no finished message');
select tests.authenticate_as_service_role();
select is(private.publish_execution_progress((select id from ids where name = 'run')) ->> 'disabled', 'true',
  'off: links are told not to publish');
select tests.clear_authentication();

select is(private.set_live_progress(true), false, 'switching on answers the previous setting (off)');
select is((select string_agg(tgname || '=' || tgenabled::text, ',' order by tgname) from pg_trigger
           where tgname in ('batch_result_progress_notice', 'executions_announce_started', 'executions_announce_finished')),
  'batch_result_progress_notice=O,executions_announce_finished=O,executions_announce_started=O',
  'switching on enables the three triggers again');

select * from finish();
rollback;
