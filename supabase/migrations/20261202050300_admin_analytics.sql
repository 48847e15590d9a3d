-- Admin analytics: success by client (run level and item level: a run counts as completed
-- with one successful image), top workflows by usage, and usage and revenue per client per
-- month. Read from a rollup kept by trigger as runs finish, so a dashboard reads a few
-- thousand rows instead of aggregating 200k executions and their 2M results.

create table private.execution_rollups (
  client_id uuid not null,
  workflow_id uuid not null,
  month date not null,
  executions integer not null default 0,
  completed integer not null default 0,
  failed integer not null default 0,
  cancelled integer not null default 0,
  items_total integer not null default 0,
  items_successful integer not null default 0,
  items_failed integer not null default 0,
  items_cancelled integer not null default 0,
  revenue numeric(14, 4) not null default 0,
  provider_cost numeric(14, 4) not null default 0,
  primary key (client_id, workflow_id, month)
);
comment on table private.execution_rollups is 'Finished executions summed per client, workflow and month (of created_at); kept by trigger, read by the analytics functions.';
create index execution_rollups_workflow on private.execution_rollups (workflow_id);
comment on index private.execution_rollups_workflow is 'Top-workflows aggregation and joins by workflow.';
create index execution_rollups_month on private.execution_rollups (month, client_id);
comment on index private.execution_rollups_month is 'Date-bounded analytics queries.';
revoke all on private.execution_rollups from public, anon, authenticated, service_role;

-- A finished run's contribution: +1 for `sign` = 1, removed again with -1.
create or replace function private.rollup_execution(e public.workflow_executions, sign integer)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.execution_rollups as r (
    client_id, workflow_id, month, executions, completed, failed, cancelled, items_total,
    items_successful, items_failed, items_cancelled, revenue, provider_cost)
  values (
    e.client_id, e.workflow_id, date_trunc('month', e.created_at at time zone 'UTC')::date,
    sign,
    sign * (e.status = 'completed')::int,
    sign * (e.status = 'failed')::int,
    sign * (e.status = 'cancelled')::int,
    sign * coalesce((e.output_data ->> 'total')::int, 0),
    sign * coalesce((e.output_data ->> 'successful')::int, 0),
    sign * coalesce((e.output_data ->> 'failed')::int, 0),
    sign * coalesce((e.output_data ->> 'cancelled')::int, 0),
    sign * coalesce((e.output_data ->> 'revenue')::numeric, 0),
    sign * coalesce(e.provider_cost, 0))
  on conflict (client_id, workflow_id, month) do update set
    executions = r.executions + excluded.executions,
    completed = r.completed + excluded.completed,
    failed = r.failed + excluded.failed,
    cancelled = r.cancelled + excluded.cancelled,
    items_total = r.items_total + excluded.items_total,
    items_successful = r.items_successful + excluded.items_successful,
    items_failed = r.items_failed + excluded.items_failed,
    items_cancelled = r.items_cancelled + excluded.items_cancelled,
    revenue = r.revenue + excluded.revenue,
    provider_cost = r.provider_cost + excluded.provider_cost;
end
$$;
comment on function private.rollup_execution(public.workflow_executions, integer) is 'Adds (sign 1) or removes (sign -1) one finished execution from execution_rollups.';
revoke all on function private.rollup_execution(public.workflow_executions, integer) from public;

create or replace function private.maintain_execution_rollups()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.completed_at is not null then
    perform private.rollup_execution(old, -1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.completed_at is not null then
    perform private.rollup_execution(new, 1);
  end if;
  return null;
end
$$;
comment on function private.maintain_execution_rollups() is 'AFTER row trigger on workflow_executions: keeps execution_rollups equal to the finished executions.';
revoke all on function private.maintain_execution_rollups() from public;

create trigger maintain_execution_rollups_insert after insert on public.workflow_executions
  for each row when (new.completed_at is not null)
  execute function private.maintain_execution_rollups();
comment on trigger maintain_execution_rollups_insert on public.workflow_executions is 'A run inserted already finished counts at once.';
create trigger maintain_execution_rollups_update after update on public.workflow_executions
  for each row when (
    (old.completed_at is not null or new.completed_at is not null)
    and (old.status, old.output_data, old.completed_at, old.provider_cost, old.client_id, old.workflow_id, old.created_at)
      is distinct from (new.status, new.output_data, new.completed_at, new.provider_cost, new.client_id, new.workflow_id, new.created_at))
  execute function private.maintain_execution_rollups();
comment on trigger maintain_execution_rollups_update on public.workflow_executions is 'Finalisation (and any later change to a finished run) moves the rollup.';
create trigger maintain_execution_rollups_delete after delete on public.workflow_executions
  for each row when (old.completed_at is not null)
  execute function private.maintain_execution_rollups();
comment on trigger maintain_execution_rollups_delete on public.workflow_executions is 'A deleted finished run leaves the rollup.';

insert into private.execution_rollups (
  client_id, workflow_id, month, executions, completed, failed, cancelled, items_total,
  items_successful, items_failed, items_cancelled, revenue, provider_cost)
select e.client_id, e.workflow_id, date_trunc('month', e.created_at at time zone 'UTC')::date,
  count(*), count(*) filter (where e.status = 'completed'),
  count(*) filter (where e.status = 'failed'), count(*) filter (where e.status = 'cancelled'),
  coalesce(sum((e.output_data ->> 'total')::int), 0),
  coalesce(sum((e.output_data ->> 'successful')::int), 0),
  coalesce(sum((e.output_data ->> 'failed')::int), 0),
  coalesce(sum((e.output_data ->> 'cancelled')::int), 0),
  coalesce(sum((e.output_data ->> 'revenue')::numeric), 0), coalesce(sum(e.provider_cost), 0)
from public.workflow_executions e
where e.completed_at is not null
group by 1, 2, 3;

create or replace function private.require_admin()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not (select private.is_admin()) then
    raise exception 'Analytics are for platform admins' using errcode = 'MS403', hint = 'admin_only';
  end if;
end
$$;
comment on function private.require_admin() is 'Raises 403 admin_only unless the caller is an active platform admin (the analytics gate).';
revoke all on function private.require_admin() from public, anon;
grant execute on function private.require_admin() to authenticated;

create or replace function private.analytics_success_by_client(
  p_from date default null,
  p_to date default null
)
returns table (
  client_id uuid, client_name text, client_status text, executions bigint, completed bigint,
  failed bigint, cancelled bigint, execution_success_rate numeric, items_total bigint,
  items_successful bigint, items_failed bigint, item_success_rate numeric
)
language plpgsql
stable
-- definer: reads the private rollup; the first statement is the admin gate.
security definer
set search_path = ''
as $$
begin
  perform private.require_admin();
  return query
    select c.id, c.name, c.status, sum(r.executions)::bigint, sum(r.completed)::bigint,
      sum(r.failed)::bigint, sum(r.cancelled)::bigint,
      round(sum(r.completed)::numeric / nullif(sum(r.executions), 0), 4),
      sum(r.items_total)::bigint, sum(r.items_successful)::bigint, sum(r.items_failed)::bigint,
      round(sum(r.items_successful)::numeric / nullif(sum(r.items_total), 0), 4)
    from private.execution_rollups r
    join public.clients c on c.id = r.client_id
    where (p_from is null or r.month >= date_trunc('month', p_from)::date)
      and (p_to is null or r.month <= date_trunc('month', p_to)::date)
    group by c.id, c.name, c.status
    order by sum(r.executions) desc, c.name, c.id;
end
$$;
comment on function private.analytics_success_by_client(date, date) is 'Admins: finished runs per client with run-level and item-level success rates (months of created_at, inclusive bounds).';
revoke all on function private.analytics_success_by_client(date, date) from public, anon;
grant execute on function private.analytics_success_by_client(date, date) to authenticated;

create or replace function private.analytics_top_workflows(
  p_limit integer default 10,
  p_from date default null,
  p_to date default null
)
returns table (
  workflow_id uuid, workflow_name text, template_id uuid, template_name text, client_id uuid,
  client_name text, executions bigint, items_successful bigint, item_success_rate numeric,
  revenue numeric
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_admin();
  return query
    with usage as (
      select r.workflow_id, sum(r.executions) as executions,
        sum(r.items_successful) as items_successful, sum(r.items_total) as items_total,
        sum(r.revenue) as revenue
      from private.execution_rollups r
      where (p_from is null or r.month >= date_trunc('month', p_from)::date)
        and (p_to is null or r.month <= date_trunc('month', p_to)::date)
      group by r.workflow_id
      order by sum(r.executions) desc, r.workflow_id
      limit least(greatest(coalesce(p_limit, 10), 1), 100)
    )
    select w.id, w.name, t.id, t.name, c.id, c.name, u.executions::bigint,
      u.items_successful::bigint, round(u.items_successful::numeric / nullif(u.items_total, 0), 4),
      u.revenue
    from usage u
    join public.workflows w on w.id = u.workflow_id
    left join public.workflow_templates t on t.id = w.template_id
    left join public.clients c on c.id = w.client_id
    order by u.executions desc, w.id;
end
$$;
comment on function private.analytics_top_workflows(integer, date, date) is 'Admins: the most used workflows (finished runs), with template, client, item success rate and revenue.';
revoke all on function private.analytics_top_workflows(integer, date, date) from public, anon;
grant execute on function private.analytics_top_workflows(integer, date, date) to authenticated;

create or replace function private.analytics_usage_by_month(
  p_client_id uuid default null,
  p_from date default null,
  p_to date default null
)
returns table (
  client_id uuid, client_name text, month date, executions bigint, items_successful bigint,
  revenue numeric, provider_cost numeric, margin numeric
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_admin();
  return query
    -- Sum the workflows of each client and month first, then name the clients: the join and
    -- the sort see one row per client and month.
    select c.id, c.name, u.month, u.executions, u.items_successful, u.revenue, u.provider_cost,
      u.revenue - u.provider_cost
    from (
      select r.client_id, r.month, sum(r.executions)::bigint as executions,
        sum(r.items_successful)::bigint as items_successful, sum(r.revenue) as revenue,
        sum(r.provider_cost) as provider_cost
      from private.execution_rollups r
      where (p_client_id is null or r.client_id = p_client_id)
        and (p_from is null or r.month >= date_trunc('month', p_from)::date)
        and (p_to is null or r.month <= date_trunc('month', p_to)::date)
      group by r.client_id, r.month
    ) u
    join public.clients c on c.id = u.client_id
    order by u.month desc, c.name, c.id;
end
$$;
comment on function private.analytics_usage_by_month(uuid, date, date) is 'Admins: usage (finished runs, images), revenue, provider cost and margin per client per month.';
revoke all on function private.analytics_usage_by_month(uuid, date, date) from public, anon;
grant execute on function private.analytics_usage_by_month(uuid, date, date) to authenticated;
