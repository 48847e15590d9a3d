-- Suspending a client left its queued items running: all 30 of 30 were generated and billed,
-- while its members, who lose access with the suspension, could no longer cancel (404). Now
-- the suspension itself stops the work, in the same transaction: every unfinished execution
-- of the client (or, for a suspended or deleted user, every one they started) is cancelled,
-- its queued items are never processed, and the links in flight find the run cancelled at
-- their next claim and stop (claim_batch_items hands out nothing for a cancelled run). Items
-- already being generated finish and are recorded, as with a member's cancel: their cost is
-- real. Admins still see everything (RLS). Reactivating does not resume a cancelled run.

create or replace function private.stop_unfinished_executions(p_client_id uuid, p_user_id uuid, p_reason text)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v record;
  v_stopped integer := 0;
begin
  for v in
    select x.id from public.workflow_executions x
    where x.completed_at is null
      and x.status in ('pending', 'processing')
      and (x.client_id = p_client_id or x.triggered_by_user_id = p_user_id)
    order by x.id
    -- The execution row first, as everywhere in the chain (see 20261123020400).
    for no key update
  loop
    update public.workflow_executions x
    set status = 'cancelled', error_message = coalesce(x.error_message, p_reason)
    where x.id = v.id;
    update public.workflow_batch_results r
    set status = 'cancelled', error_message = 'Not processed: ' || p_reason, completed_at = now()
    where r.execution_id = v.id and r.status = 'pending';
    perform private.finalize_execution(v.id);
    v_stopped := v_stopped + 1;
  end loop;
  return v_stopped;
end
$$;
comment on function private.stop_unfinished_executions(uuid, uuid, text) is 'Cancels every unfinished execution of a client or started by a user: queued items cancelled, in-flight ones finish; links stop at their next claim.';
revoke all on function private.stop_unfinished_executions(uuid, uuid, text) from public, anon, authenticated;

create or replace function private.stop_work_of_suspended_client()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.stop_unfinished_executions(new.id, null,
    format('Cancelled: the client was %s', new.status));
  return null;
end
$$;
comment on function private.stop_work_of_suspended_client() is 'AFTER UPDATE OF status on clients (active -> suspended/deleted): cancels the client''s unfinished executions.';
revoke all on function private.stop_work_of_suspended_client() from public;

create trigger stop_work_of_suspended_client after update of status on public.clients
  for each row when (old.status = 'active' and new.status <> 'active')
  execute function private.stop_work_of_suspended_client();
comment on trigger stop_work_of_suspended_client on public.clients is 'A suspended client''s queued work is cancelled, not generated and billed.';

create or replace function private.stop_work_of_suspended_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.stop_unfinished_executions(null, new.id,
    format('Cancelled: the account that started it was %s', new.status));
  return null;
end
$$;
comment on function private.stop_work_of_suspended_user() is 'AFTER UPDATE OF status on users (active -> suspended/deleted): cancels the executions that user started.';
revoke all on function private.stop_work_of_suspended_user() from public;

create trigger stop_work_of_suspended_user after update of status on public.users
  for each row when (old.status = 'active' and new.status <> 'active')
  execute function private.stop_work_of_suspended_user();
comment on trigger stop_work_of_suspended_user on public.users is 'A suspended or deleted user''s queued work is cancelled.';
