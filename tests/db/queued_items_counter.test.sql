-- The queued-items count the quota reads (private.client_queued_items, summed from the
-- insert-only private.client_queued_item_deltas) equals the client's pending rows after every
-- way rows become or stop being pending: a start as a member and as postgres, a bulk start,
-- claims, an expired lease put back, completion, a failure retried and one given up, a
-- cancel, deletes (the execution's cascade, rows alone), collapsing, and truncate. A start
-- over the quota is refused and appends nothing.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(22);

select tests.create_rls_fixtures();

create function pg_temp.start(actor text, wf text, client text, prompts int default 1) returns text
language sql as $$
  select tests.try_as(actor, format($q$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, %L, jsonb_build_object('prompts', (select jsonb_agg('p' || g) from generate_series(1, %s) g)))$q$,
    tests.fx(wf), tests.fx(client), (select u.id from auth.users u where u.email = actor), prompts))
$$;
-- Counter vs truth for every client that has either.
create function pg_temp.mismatches() returns text language sql as $$
  select coalesce(string_agg(format('%s: counter %s, pending %s', c, counted, actual), '; '), '')
  from (
    select coalesce(d.client_id, r.client_id) as c, coalesce(d.n, 0) as counted, coalesce(r.n, 0) as actual
    from (select client_id, sum(delta) as n from private.client_queued_item_deltas group by client_id) d
    full join (select client_id, count(*) as n from public.workflow_batch_results
               where status = 'pending' group by client_id) r on r.client_id = d.client_id
  ) x
  where counted <> actual
$$;
create function pg_temp.queued(client text) returns bigint language sql as $$
  select private.client_queued_items(tests.fx(client))
$$;
-- The run this test started for the client (its prompts are p1..pN; the fixtures' are not).
create function pg_temp.newest(client text) returns uuid language sql as $$
  select r.execution_id from public.workflow_batch_results r
  where r.client_id = tests.fx(client) and r.prompt_text in ('p1', 'x')
  order by r.created_at desc limit 1
$$;

insert into private.client_quotas (client_id, executions_per_minute, max_concurrent_executions, max_queued_items)
values (tests.fx('client_a'), 1000, 1000, 1000000), (tests.fx('client_b'), 1000, 1000, 1000000);
select is(pg_temp.mismatches(), '', 'fixtures: the counter matches the pending rows');

select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 7), 'ok:1', 'a member starts 7 prompts');
select is(pg_temp.mismatches(), '', 'after a member''s start');
select is(pg_temp.queued('client_a'),
  (select count(*) from public.workflow_batch_results where client_id = tests.fx('client_a') and status = 'pending'),
  'client_queued_items answers the client''s pending rows');

insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
select tests.fx('wf_b'), tests.fx('client_b'), tests.fx('owner_b'), '{"prompts":["x","y","z"]}'
from generate_series(1, 3);
select is(pg_temp.mismatches(), '', 'after a bulk start of 3 runs as postgres (another client)');

-- claims: three of the member's items leased, then one lease runs out and is put back.
select pg_temp.newest('client_a') as exec_a \gset
create temp table claimed (id uuid, token uuid, stem text) on commit drop;
grant all on claimed to service_role;
set local role service_role;
insert into claimed
  select (i ->> 'id')::uuid as id, (i ->> 'lease_token')::uuid as token, i ->> 'storage_stem' as stem
  from jsonb_array_elements(private.claim_batch_items(:'exec_a', 3) -> 'items') i;
reset role;
select is((select count(*)::int from claimed), 3, 'three items claimed');
select is(pg_temp.mismatches(), '', 'after a claim');
update public.workflow_batch_results set leased_until = now() - interval '1 second'
where id = (select id from claimed order by id limit 1);
set local role service_role;
select lives_ok(format('select private.claim_batch_items(%L, 0)', :'exec_a'),
  'a claim puts the expired lease back');
reset role;
select is(pg_temp.mismatches(), '', 'after an expired lease went back to pending');

-- completion, a retried failure, a failure given up
delete from claimed where id = (select id from claimed order by id limit 1);
set local role service_role;
select lives_ok(format('select private.complete_batch_item(%L, %L, %L, 5)',
  (select id from claimed order by id limit 1), (select token from claimed order by id limit 1),
  (select stem from claimed order by id limit 1) || '.png'), 'one item completes');
select lives_ok(format('select private.fail_batch_item(%L, %L, %L, %L)',
  (select id from claimed order by id desc limit 1), (select token from claimed order by id desc limit 1),
  'transient', 'try again'), 'one fails and is retried');
reset role;
select is(pg_temp.mismatches(), '', 'after a completion and a retried failure');
update public.workflow_batch_results set status = 'failed', completed_at = now()
where id = (select id from public.workflow_batch_results
            where execution_id = :'exec_a' and status = 'pending' order by batch_index limit 1);
select is(pg_temp.mismatches(), '', 'after a pending item was failed directly');

-- cancel, deletes
select tests.act_as('collab-a@rls.test');
select lives_ok(format('select private.cancel_execution(%L)', :'exec_a'), 'the member cancels');
select tests.clear_authentication();
select is(pg_temp.mismatches(), '', 'after a cancel');
delete from public.workflow_batch_results
where id = (select id from public.workflow_batch_results where client_id = tests.fx('client_b') and status = 'pending' limit 1);
select is(pg_temp.mismatches(), '', 'after one pending row was deleted');
delete from public.workflow_executions where id = pg_temp.newest('client_b');
select is(pg_temp.mismatches(), '', 'after an execution and its items were deleted (cascade)');

-- the quota refuses and appends nothing
update private.client_quotas set max_queued_items = pg_temp.queued('client_a') + 2
where client_id = tests.fx('client_a');
create temp table deltas_before on commit drop as select count(*) as n from private.client_queued_item_deltas;
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 3), 'error:MS429', 'a start over the counted quota is refused');
select is((select count(*) from private.client_queued_item_deltas), (select n from deltas_before),
  'and appends no delta');

-- collapsing keeps the sum
create temp table sum_before on commit drop as select pg_temp.queued('client_b') as n;
select private.compact_queued_item_deltas(tests.fx('client_b'));
select is((select count(*)::int from private.client_queued_item_deltas where client_id = tests.fx('client_b')), 1,
  'collapsed into one row');
select is(pg_temp.queued('client_b'), (select n from sum_before), 'with the same sum');

truncate public.workflow_batch_results;
select is((select count(*)::int from private.client_queued_item_deltas), 0, 'truncate leaves nothing queued');

select * from finish();
rollback;
