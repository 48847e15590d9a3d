-- Per-tenant quotas on starting executions through the database API: each limit refuses with
-- MS429 (quota_exceeded, retry_after_seconds) and writes nothing; a client's own row overrides
-- the platform default; another tenant is unaffected; trusted writers are not counted.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(16);

select tests.create_rls_fixtures();

create function pg_temp.start(actor text, wf text, client text, prompts int default 1) returns text
language sql as $$
  select tests.try_as(actor, format($q$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, %L, jsonb_build_object('prompts', (select jsonb_agg('p' || g) from generate_series(1, %s) g)))$q$,
    tests.fx(wf), tests.fx(client), (select u.id from auth.users u where u.email = actor), prompts))
$$;
create function pg_temp.a_runs() returns int language sql as $$
  select count(*)::int from public.workflow_executions where client_id = tests.fx('client_a')
$$;

-- executions per minute ------------------------------------------------------------------------
-- The fixtures' runs were created in this transaction (now()): they count too.
update private.quota_defaults set executions_per_minute = pg_temp.a_runs() + 2;
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'ok:1', 'per minute: a start within the quota');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'ok:1', 'per minute: the last start within the quota');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'error:MS429', 'per minute: one more is refused');
select throws_like(
  format($$select tests.act_as('collab-a@rls.test'); insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, %L, '{"prompts":["x"]}')$$, tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a')),
  'Quota exceeded: executions_per_minute (limit %). Retry in % s.', 'per minute: the error names the quota and when to retry');
select tests.clear_authentication();
select is(pg_temp.start('owner-b@rls.test', 'wf_b', 'client_b'), 'ok:1', 'per minute: another tenant still starts');
insert into private.client_quotas (client_id, executions_per_minute) values (tests.fx('client_a'), 1000);
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'ok:1', 'per minute: a client override raises the limit');

-- a multi-row insert counts whole ------------------------------------------------------------------
update private.client_quotas set executions_per_minute = pg_temp.a_runs() + 3 where client_id = tests.fx('client_a');
create temp table before_bulk on commit drop as select pg_temp.a_runs() as n;
grant select on before_bulk to authenticated;
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    select %L, %L, %L, '{"prompts":["bulk"]}' from generate_series(1, 200)$$, tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'))),
  'error:MS429', 'one statement of 200 starts is refused whole');
select is(pg_temp.a_runs(), (select n from before_bulk), 'and writes none of them');
update private.client_quotas set executions_per_minute = 1000 where client_id = tests.fx('client_a');

-- concurrent executions ---------------------------------------------------------------------------
update private.client_quotas set max_concurrent_executions =
  (select count(*) from public.workflow_executions where client_id = tests.fx('client_a') and completed_at is null)
  where client_id = tests.fx('client_a');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'error:MS429', 'concurrent: a start beyond the unfinished-runs limit is refused');
update private.client_quotas set max_concurrent_executions = null where client_id = tests.fx('client_a');

-- queued items ----------------------------------------------------------------------------------
update private.client_quotas set max_queued_items =
  (select count(*) from public.workflow_batch_results where client_id = tests.fx('client_a') and status = 'pending') + 5
  where client_id = tests.fx('client_a');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 6), 'error:MS429', 'queued items: a start that would queue too many items is refused');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 5), 'ok:1', 'queued items: one that fits is fine');
update private.client_quotas set max_queued_items = null where client_id = tests.fx('client_a');

-- bytes per day --------------------------------------------------------------------------------
update private.client_quotas set max_input_bytes_per_day =
  (select coalesce(sum(input_bytes), 0) from public.workflow_executions where client_id = tests.fx('client_a')) + 100
  where client_id = tests.fx('client_a');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 100), 'error:MS429', 'bytes per day: a large input over the daily budget is refused');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a', 1), 'ok:1', 'bytes per day: a small one still fits');
select ok((select bool_and(input_bytes > 0) from public.workflow_executions where client_id = tests.fx('client_a') and input_bytes is not null),
  'input_bytes is recorded by the database');

-- trusted writers ---------------------------------------------------------------------------------
update private.client_quotas set executions_per_minute = 0, max_concurrent_executions = 0 where client_id = tests.fx('client_a');
select lives_ok(format($$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, %L, '{"prompts":["ops"]}')$$, tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a')),
  'postgres (migrations, operations) is not counted');
select is(pg_temp.start('collab-a@rls.test', 'wf_a', 'client_a'), 'error:MS429', 'a quota of 0 stops the client''s members');

select * from finish();
rollback;
