-- The trimmed start path (migrations 20261123020150 and 020300): the start trigger writes the ledger's
-- client_id itself and the per-row copy is skipped for it, but every insert a caller sends
-- (admin, service_role) still has client_id forced to the execution's client; the kick reads
-- both Vault secrets at once and still refuses to send without them. Everything rolls back.
begin;
set local search_path = public, extensions;
select plan(13);

create temporary table ids (name text primary key, id uuid) on commit drop;
grant all on ids to authenticated, service_role;

-- start: as the collaborator, through RLS ------------------------------------------------------
select tests.authenticate_as('collaborator@acme.test');
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          auth.uid(), '{"prompts":["p0","p1","p2"]}')
  returning id)
insert into ids select 'acme', id from e;
select tests.clear_authentication();

select is((select array_agg(client_id::text || ':' || status order by batch_index)
           from workflow_batch_results r join ids on ids.id = r.execution_id),
  array_fill('c0000000-0000-4000-8000-000000000001:pending'::text, array[3]),
  'start: every ledger row carries the execution''s client and is pending');
select is((select count(*)::int from net.http_request_queue q, ids
           where q.url = (select rtrim(decrypted_secret, '/') from vault.decrypted_secrets where name = 'project_url')
                         || '/functions/v1/process-batch'
             and convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text
             and q.headers ->> 'apikey' = (select decrypted_secret from vault.decrypted_secrets where name = 'secret_key')),
  1, 'start: one process-batch call queued with the project URL and the secret key');

-- callers' own inserts still get the execution's client, whatever they send ------------------
select is(tests.try_as('admin@masstock.test', format($$insert into public.workflow_batch_results
    (execution_id, client_id, batch_index, prompt_text) values (%L, 'c0000000-0000-4000-8000-000000000002', 10, 'admin')$$,
    (select id from ids))), 'ok:1', 'admin: insert naming another client runs');
select is((select client_id::text from workflow_batch_results r join ids on ids.id = r.execution_id where batch_index = 10),
  'c0000000-0000-4000-8000-000000000001', 'admin: client_id is the execution''s, not the one sent');
select is(tests.try_as('service_role', format($$insert into public.workflow_batch_results
    (execution_id, client_id, batch_index, prompt_text) values (%L, 'c0000000-0000-4000-8000-000000000002', 11, 'service')$$,
    (select id from ids))), 'ok:1', 'service_role: insert naming another client runs');
select is((select client_id::text from workflow_batch_results r join ids on ids.id = r.execution_id where batch_index = 11),
  'c0000000-0000-4000-8000-000000000001', 'service_role: client_id is the execution''s, not the one sent');
-- A statement inside a function the caller runs is still the caller's (depth 0).
create function pg_temp.insert_result(p_execution uuid, p_client uuid, p_index integer)
returns void language sql as $$
  insert into public.workflow_batch_results (execution_id, client_id, batch_index, prompt_text)
  values (p_execution, p_client, p_index, 'via function')
$$;
select pg_temp.insert_result((select id from ids), 'c0000000-0000-4000-8000-000000000002', 12);
select is((select client_id::text from workflow_batch_results r join ids on ids.id = r.execution_id where batch_index = 12),
  'c0000000-0000-4000-8000-000000000001', 'function: client_id is the execution''s, not the one sent');
select is(tests.try_as('service_role', format($$update public.workflow_batch_results set client_id = 'c0000000-0000-4000-8000-000000000002'
    where execution_id = %L and batch_index = 0$$, (select id from ids))), 'ok:1', 'update naming another client runs');
select is((select client_id::text from workflow_batch_results r join ids on ids.id = r.execution_id where batch_index = 0),
  'c0000000-0000-4000-8000-000000000001', 'update: client_id stays the execution''s');

-- a trigger that writes ledger rows without a client_id gets the copy, not a not-null error --
create temporary table nested_writes (execution_id uuid, batch_index integer) on commit drop;
create function pg_temp.write_result() returns trigger language plpgsql as $$
begin
  insert into public.workflow_batch_results (execution_id, batch_index, prompt_text)
  values (new.execution_id, new.batch_index, 'nested');
  return null;
end
$$;
create trigger write_result after insert on nested_writes for each row execute function pg_temp.write_result();
insert into nested_writes select id, 13 from ids;
select is((select client_id::text from workflow_batch_results r join ids on ids.id = r.execution_id where batch_index = 13),
  'c0000000-0000-4000-8000-000000000001', 'nested insert without client_id: copied from the execution');
select throws_ok($$insert into nested_writes values ('00000000-0000-4000-8000-0000000000ff', 0)$$,
  '23503', null, 'nested insert for a missing execution is refused');

-- the kick without its secrets: nothing queued, not stamped -----------------------------------
update workflow_executions e set last_kicked_at = null from ids where e.id = ids.id;
delete from vault.secrets where name = 'secret_key';
select is(private.kick_execution((select id from ids)), null, 'kick without the secret key: no request');
select is((select count(*)::int || ':' || bool_and(e.last_kicked_at is null)::text
           from net.http_request_queue q, ids, workflow_executions e
           where e.id = ids.id and convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text),
  '1:true', 'kick without the secret key: still only the start''s call queued, last_kicked_at untouched');

select * from finish();
rollback;
