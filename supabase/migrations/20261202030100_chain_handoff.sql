-- Overlapped link hand-offs. pg_net sends a request at once when its worker is idle, but one
-- committed while the worker is busy waits for the worker's 1 s pause, so a link that asks for
-- its successor only when it stops claiming leaves the execution's slots idle for up to ~1 s
-- per hand-off (measured: 2.4 % of chain throughput with four clients). A link therefore asks
-- for its successor a little before its claim window closes and notes here when it will stop
-- claiming; a successor that arrives early and finds every slot held waits for them until
-- then instead of leaving.

create table private.chain_handoffs (
  execution_id uuid primary key references public.workflow_executions (id) on delete cascade,
  due_at timestamptz not null
);
comment on table private.chain_handoffs is 'When the current link of an execution stops claiming, so its early successor waits for the slots instead of leaving.';
revoke all on private.chain_handoffs from public, anon, authenticated, service_role;

create function private.enqueue_successor_link(p_execution_id uuid, p_due_in_ms integer)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_request_id bigint;
begin
  v_request_id := private.chain_next_link(p_execution_id);
  if v_request_id is not null then
    insert into private.chain_handoffs (execution_id, due_at)
    values (p_execution_id, now() + make_interval(secs => greatest(p_due_in_ms, 0) / 1000.0))
    on conflict (execution_id) do update set due_at = excluded.due_at;
  end if;
  return v_request_id;
end
$$;
comment on function private.enqueue_successor_link(uuid, integer) is 'Enqueues the next link (if work is left) and notes that the current one stops claiming in p_due_in_ms.';
revoke all on function private.enqueue_successor_link(uuid, integer) from public, anon, authenticated;
grant execute on function private.enqueue_successor_link(uuid, integer) to service_role;

create function private.successor_wait_ms(p_execution_id uuid, p_grace_ms integer)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(
    ceil(extract(epoch from (h.due_at - now())) * 1000 + greatest(p_grace_ms, 0)),
    0
  )::integer
  from private.chain_handoffs h
  where h.execution_id = p_execution_id
$$;
comment on function private.successor_wait_ms(uuid, integer) is 'How long an early successor should keep waiting for the slots of the link handing off (0 or null: do not wait).';
revoke all on function private.successor_wait_ms(uuid, integer) from public, anon, authenticated;
grant execute on function private.successor_wait_ms(uuid, integer) to service_role;
