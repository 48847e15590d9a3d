-- A start writes its execution row once (20261204030100): the BEFORE trigger stamps
-- last_kicked_at and the kick in the same statement leaves the row alone; a later kick (the
-- sweep's, in another transaction) still stamps it; a start that could not be kicked (Vault
-- secrets missing) is left unstamped, so the sweep kicks it at once. Everything rolls back.
begin;
set local search_path = public, extensions;
select plan(7);

create temporary table ids (name text primary key, id uuid) on commit drop;
grant all on ids to authenticated, service_role;
create function pg_temp.updates() returns bigint language sql as $$
  select n_tup_upd from pg_stat_xact_user_tables where relid = 'public.workflow_executions'::regclass
$$;
create temporary table before (n bigint) on commit drop;
insert into before select pg_temp.updates();

select tests.authenticate_as('collaborator@acme.test');
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          auth.uid(), '{"prompts":["p0","p1"]}')
  returning id)
insert into ids select 'kicked', id from e;
select tests.clear_authentication();

select is((select last_kicked_at from workflow_executions join ids using (id) where name = 'kicked'), now(),
  'a start is stamped as kicked now');
select is((select count(*)::int from net.http_request_queue q, ids
           where convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text), 1,
  'and its kick is queued');
select is(pg_temp.updates() - (select n from before), 0::bigint, 'without an UPDATE of the row');

-- a kick in a later transaction (the sweep) stamps again
update workflow_executions set last_kicked_at = now() - interval '1 hour' from ids
where workflow_executions.id = ids.id and name = 'kicked';
select isnt(private.kick_execution((select id from ids where name = 'kicked')), null,
  'a later kick queues a request');
select is((select last_kicked_at from workflow_executions join ids using (id) where name = 'kicked'), now(),
  'a later kick stamps it');

-- without the Vault secrets: not kicked, not stamped
delete from vault.secrets where name = 'secret_key';
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          (select id from auth.users where email = 'collaborator@acme.test'), '{"prompts":["p0"]}')
  returning id)
insert into ids select 'unkicked', id from e;
select is((select last_kicked_at from workflow_executions join ids using (id) where name = 'unkicked'), null,
  'a start that could not be kicked is not stamped');
select is((select count(*)::int from net.http_request_queue q, ids
           where convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text and ids.name = 'unkicked'), 0,
  'and nothing is queued for it');

select * from finish();
rollback;
