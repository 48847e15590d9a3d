-- The provider's cost is MasStock's business, not the client's: members see their price
-- (unit_revenue, output_data.revenue), only platform admins see what an image cost us. RLS
-- decides rows, not columns, and admins and members are both `authenticated`, so the columns
-- are withheld from the role itself and admins read cost through a function that asks
-- private.is_admin(). The same holds through PostgREST, which runs as `authenticated`.

alter table public.workflow_executions add column provider_cost numeric(12, 4);
comment on column public.workflow_executions.provider_cost is 'What the finished run cost MasStock at the provider (successful images x unit_cost). Admin-only: not granted to authenticated.';

-- The finaliser writes the cost into output_data with the rest of the summary; this moves it
-- to its own column on the way in, so output_data stays the members' view of the run.
create or replace function private.keep_provider_cost_private()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.provider_cost := (new.output_data ->> 'cost')::numeric;
  new.output_data := new.output_data - 'cost';
  return new;
end
$$;
comment on function private.keep_provider_cost_private() is 'BEFORE INSERT/UPDATE on workflow_executions: moves output_data.cost into provider_cost (admin-only).';
revoke all on function private.keep_provider_cost_private() from public;

create trigger keep_provider_cost_private
  before insert or update of output_data on public.workflow_executions
  for each row when (new.output_data ? 'cost')
  execute function private.keep_provider_cost_private();
comment on trigger keep_provider_cost_private on public.workflow_executions is 'Keeps the provider cost out of the member-readable output_data.';

update public.workflow_executions set output_data = output_data where output_data ? 'cost';

-- Column privileges: everything but unit_cost and provider_cost. A column added to this
-- table later is not readable by authenticated until it is granted here too.
revoke select on public.workflow_executions from authenticated;
grant select (
  id, workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
  started_at, completed_at, duration_seconds, error_message, created_at, idempotency_key,
  request_hash, concurrency, unit_revenue, last_kicked_at, storage_reconciled_at,
  model, image_size, error_code, input_bytes
) on public.workflow_executions to authenticated;

create or replace function private.execution_provider_costs(p_execution_ids uuid[])
returns table (execution_id uuid, unit_cost numeric, provider_cost numeric)
language plpgsql
stable
-- definer: authenticated holds no privilege on the cost columns; the admin test is the gate.
security definer
set search_path = ''
as $$
begin
  if not (select private.is_admin()) then
    return;
  end if;
  return query
    select e.id, e.unit_cost, e.provider_cost
    from public.workflow_executions e
    where e.id = any (p_execution_ids);
end
$$;
comment on function private.execution_provider_costs(uuid[]) is 'Admins: unit and total provider cost of the given executions; no rows for anyone else.';
revoke all on function private.execution_provider_costs(uuid[]) from public, anon;
grant execute on function private.execution_provider_costs(uuid[]) to authenticated, service_role;
