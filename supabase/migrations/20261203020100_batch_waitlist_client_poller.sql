-- Replaces 20261203020000's private.wait_for_batch_slot: a client with nothing running (other
-- clients hold the global slots, e.g. the first moments of several clients starting together,
-- before the fair share settles) was woken only by another client's pg_net kick, so its first
-- claim could wait for pg_net's 1 s pause (seen: slowest first claim of four clients 1.1-1.3 s).
-- Such a client's oldest unfinished run keeps one polling link, as every queued run did before;
-- the client's other runs still wait in the list: one waiting link per client.

create or replace function private.wait_for_batch_slot(p_execution_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  e record;
  v_cap jsonb;
begin
  select x.id, x.client_id, x.status, x.created_at into e
  from public.workflow_executions x
  where x.id = p_execution_id;
  if not found or e.status not in ('pending', 'processing') then
    return 'done';
  end if;
  v_cap := private.batch_capacity(e.client_id);
  if exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = p_execution_id and r.status = 'processing' and r.leased_until > now()
  ) then
    return 'poll';
  end if;
  if not exists (
    select 1 from public.workflow_batch_results r
    where r.execution_id = p_execution_id and r.status = 'pending'
  ) then
    return 'done';
  end if;
  if (v_cap ->> 'client_spare')::integer > 0 then
    return 'retry';
  end if;
  -- Nothing of this client runs (other clients hold the global slots): no claim of its own
  -- will wake it, and a wake from another client's claim travels through pg_net (up to its
  -- 1 s pause). Its oldest unfinished run keeps the one polling link; the others wait.
  if not exists (
    select 1 from public.workflow_batch_results r
    where r.client_id = e.client_id and r.status = 'processing' and r.leased_until > now()
  ) and not exists (
    select 1 from public.workflow_executions x
    where x.client_id = e.client_id and x.completed_at is null
      and x.status in ('pending', 'processing')
      and (x.created_at, x.id) < (e.created_at, e.id)
  ) then
    return 'poll';
  end if;
  insert into private.batch_waitlist (execution_id, client_id)
  values (p_execution_id, e.client_id)
  on conflict (execution_id) do update set woken_at = null;
  return 'queued';
end
$$;
comment on function private.wait_for_batch_slot(uuid) is 'For a link whose claim was capped by the client or global cap and that holds nothing: queues the execution in private.batch_waitlist (''queued'', the link ends) unless capacity freed meanwhile (''retry''), another link holds its items or it is the oldest run of a client with nothing running (''poll''), or nothing is left (''done'').';
