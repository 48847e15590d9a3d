-- The API roles outside the policy matrix: anon (no user session) is refused every operation
-- on every table and view in public, whatever is added later, and cannot reach the private
-- helpers; service_role bypasses RLS and sees and writes every row.
begin;
set local search_path = public, extensions;

create temp table api_relations on commit drop as
  select c.relname, c.relkind,
    -- an ordinary column: identity and generated columns refuse `set x = x` before any
    -- privilege check
    (select a.attname from pg_attribute a
     where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attidentity = '' and a.attgenerated = ''
     order by a.attnum limit 1) as first_column
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f');
-- The assertions below read this list while acting as anon.
grant select on api_relations to anon;

select plan(
  (select count(*)::int from api_relations)
  + 3 * (select count(*)::int from api_relations where relkind in ('r', 'p'))
  + 1 + 2 + 1 + 10 + 4
);

select tests.create_rls_fixtures();
select ok((select count(*) from api_relations where relkind = 'r') >= 9, 'public has the tables under test');

-- anon: every operation refused with permission denied --------------------------------------
select tests.authenticate_as_anon();

select throws_ok(
  format('select * from public.%I', relname), '42501',
  format('permission denied for %s %s', case when relkind in ('v', 'm') then 'view' else 'table' end, relname),
  format('anon: select on public.%s is refused', relname))
from api_relations order by relname;
select throws_ok(
  format('insert into public.%I default values', relname), '42501',
  format('permission denied for table %s', relname), format('anon: insert into public.%s is refused', relname))
from api_relations where relkind in ('r', 'p') order by relname;
select throws_ok(
  format('update public.%I set %I = %I', relname, first_column, first_column), '42501',
  format('permission denied for table %s', relname), format('anon: update of public.%s is refused', relname))
from api_relations where relkind in ('r', 'p') order by relname;
select throws_ok(
  format('delete from public.%I', relname), '42501',
  format('permission denied for table %s', relname), format('anon: delete from public.%s is refused', relname))
from api_relations where relkind in ('r', 'p') order by relname;

select throws_ok('select private.is_admin()', '42501', null, 'anon: cannot call private.is_admin()');
select throws_ok('select private.my_client_ids()', '42501', null, 'anon: cannot call private.my_client_ids()');

-- A forged sub claim does not help an anon request either.
select set_config('request.jwt.claims', json_build_object('role', 'anon', 'sub', tests.fx('admin'))::text, true);
select throws_ok('select * from public.clients', '42501', null, 'anon with a forged sub claim is still refused');

select tests.clear_authentication();

-- service_role: bypasses RLS ------------------------------------------------------------------
select is(tests.visible_as('service_role', 'public.users'),
  array['admin', 'collab_a', 'loner', 'owner_a', 'owner_b', 'spare'], 'service_role sees every user');
select is(tests.visible_as('service_role', 'public.clients'), array['client_a', 'client_b'], 'service_role sees every client');
select is(tests.visible_as('service_role', 'public.client_members'),
  array['mem_collab_a', 'mem_owner_a', 'mem_owner_b'], 'service_role sees every membership');
select is(tests.visible_as('service_role', 'public.workflow_templates'), array['tpl', 'tpl_spare'], 'service_role sees every template');
select is(tests.visible_as('service_role', 'public.workflows'),
  array['wf_a', 'wf_a_inactive', 'wf_a_spare', 'wf_b'], 'service_role sees every workflow');
select is(tests.visible_as('service_role', 'public.workflow_requests'),
  array['req_a_approved', 'req_a_pending', 'req_a_pending2', 'req_b_pending'], 'service_role sees every request');
select is(tests.visible_as('service_role', 'public.workflow_executions'),
  array['exec_a', 'exec_a_spare', 'exec_b'], 'service_role sees every execution');
select is(tests.visible_as('service_role', 'public.workflow_batch_results'),
  array['res_a0', 'res_a1', 'res_b0'], 'service_role sees every batch result');
select is(tests.visible_as('service_role', 'public.support_tickets'),
  array['tkt_a_closed', 'tkt_a_open', 'tkt_a_progress', 'tkt_a_resolved', 'tkt_b_open'], 'service_role sees every ticket');
select is(tests.visible_as('service_role', 'storage.objects'), array['obj_a', 'obj_b'], 'service_role sees every result object');

-- The batch processor's writes.
select is(tests.try_as('service_role', $$update public.workflow_executions set status = 'completed', output_data = '{"total":2}' where id = tests.fx('exec_a')$$),
  'ok:1', 'service_role updates an execution');
select is(tests.try_as('service_role', $$update public.workflow_batch_results set status = 'completed', result_storage_path = 'p' where id = tests.fx('res_a0')$$),
  'ok:1', 'service_role updates a batch result');
select is(tests.try_as('service_role', $$insert into storage.objects (id, bucket_id, name) values (tests.fx('obj_new'), 'workflow-results', tests.fx('exec_a') || '/1_1.png')$$),
  'ok:1', 'service_role stores a result object');
select is(
  (select e.status || '/' || (select r.status from public.workflow_batch_results r where r.id = tests.fx('res_a0'))
     || '/' || (select count(*) from storage.objects o where o.id = tests.fx('obj_new'))
   from public.workflow_executions e where e.id = tests.fx('exec_a')),
  'completed/completed/1', 'service_role writes are stored');

select * from finish();
rollback;
