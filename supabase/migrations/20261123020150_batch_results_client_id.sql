-- Batch results carry their execution's client, so their read policy is the same set test
-- as every other client-owned table instead of a subquery over the caller's executions.
-- Found by the "RLS at scale" benchmark (bench/rls-at-scale.ts): the old policy
--   execution_id in (select e.id from workflow_executions e where e.client_id in (...))
-- built a hash of EVERY execution of the caller's clients on each read (plus a second,
-- nested RLS pass over workflow_executions), so reading one execution's 9 results cost as
-- much as all of the client's history; the ratio to the owner's plain query was 1.8 and
-- grows with history. Now it is one hashed lookup in the caller's 1-2 client ids. Who sees
-- which row is unchanged: the column is always copied from the execution, never chosen by
-- the writer.

alter table public.workflow_batch_results add column client_id uuid;
comment on column public.workflow_batch_results.client_id is 'Client of the execution (copied by trigger, never caller-chosen); what the read policy tests.';

update public.workflow_batch_results r
set client_id = e.client_id
from public.workflow_executions e
where e.id = r.execution_id;

alter table public.workflow_batch_results alter column client_id set not null;

-- The policy filters on it (and "all results of my client" listings walk it). B-tree
-- deduplication keeps a low-cardinality index like this one small.
create index idx_workflow_batch_results_client_id on public.workflow_batch_results (client_id);
comment on index public.idx_workflow_batch_results_client_id is 'Results per client: the read policy''s column.';

create or replace function private.batch_result_client_id()
returns trigger
language plpgsql
-- definer: the writer may not be able to see the execution (RLS); the copy must not depend on it.
security definer
set search_path = ''
as $$
begin
  select e.client_id into new.client_id
  from public.workflow_executions e
  where e.id = new.execution_id;
  if not found then
    raise exception 'execution % does not exist', new.execution_id
      using errcode = '23503';
  end if;
  return new;
end
$$;
revoke all on function private.batch_result_client_id() from public;

-- The copy runs for inserts issued at trigger depth 0, i.e. by a statement a caller
-- sent: an admin through RLS, service_role, the SQL editor, a function they call. Those still
-- get client_id overwritten from the execution whatever they wrote. An insert at depth > 0
-- comes from a trigger function, which only the schema owner can create; the one trigger that
-- writes ledger rows (executions_after_insert) sets the execution's own client_id. A nested
-- insert that leaves client_id null still gets the copy rather than a not-null error. Updates
-- keep the unconditional check (they are few, and admins move rows one by one).
create trigger batch_result_client_id
  before insert on public.workflow_batch_results
  for each row when (pg_trigger_depth() = 0 or new.client_id is null)
  execute function private.batch_result_client_id();
comment on trigger batch_result_client_id on public.workflow_batch_results is 'client_id of a row inserted by a caller''s statement is the execution''s client, whatever was sent (the read policy relies on it); the start trigger sets it itself.';

create trigger batch_result_client_id_update
  before update of execution_id, client_id on public.workflow_batch_results
  for each row execute function private.batch_result_client_id();
comment on trigger batch_result_client_id_update on public.workflow_batch_results is 'An update cannot move a result away from its execution''s client.';

comment on function private.batch_result_client_id() is 'BEFORE INSERT (caller statements) / UPDATE OF execution_id, client_id on workflow_batch_results: copies client_id from the execution, whatever the writer sent.';

create or replace function private.sync_batch_results_client_id()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.workflow_batch_results r
  set client_id = new.client_id
  where r.execution_id = new.id;
  return null;
end
$$;
comment on function private.sync_batch_results_client_id() is 'AFTER UPDATE OF client_id on workflow_executions: moves the execution''s results along (admins may correct an execution''s client).';
revoke all on function private.sync_batch_results_client_id() from public;

create trigger sync_batch_results_client_id
  after update of client_id on public.workflow_executions
  for each row when (old.client_id is distinct from new.client_id)
  execute function private.sync_batch_results_client_id();
comment on trigger sync_batch_results_client_id on public.workflow_executions is 'Keeps workflow_batch_results.client_id equal to the execution''s client.';

drop policy workflow_batch_results_select on public.workflow_batch_results;
create policy workflow_batch_results_select on public.workflow_batch_results for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy workflow_batch_results_select on public.workflow_batch_results is 'Members see results of their clients'' executions (client_id is the execution''s, by trigger); admins see all.';
