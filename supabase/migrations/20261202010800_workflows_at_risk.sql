-- What is at risk when Google retires models: every workflow whose model is retired, unknown
-- to the catalogue, or announced to shut down within the given number of days, with the
-- replacement Google recommends and how many of its runs are still going. security invoker:
-- RLS decides what the caller sees; the explicit admin check only makes a non-admin's answer
-- a clear 403 instead of an empty list.

create or replace function public.workflows_at_risk(p_within_days integer default 60)
returns table (
  workflow_id uuid,
  workflow_name text,
  client_id uuid,
  client_name text,
  workflow_status text,
  template_id uuid,
  model text,
  lifecycle text,
  retires_on date,
  days_left integer,
  replacement text,
  running_executions integer
)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  if not (select private.is_admin()) then
    raise exception 'Only platform admins can see workflows at risk'
      using errcode = 'MS403', hint = 'admin_only';
  end if;
  if p_within_days is null or p_within_days not between 0 and 3650 then
    raise exception 'within_days must be from 0 to 3650' using errcode = 'MS400', hint = 'invalid_request';
  end if;
  return query
  select w.id, w.name, w.client_id, c.name, w.status, w.template_id, w.config ->> 'model',
    case when m.id is null then 'unknown'
      else private.model_lifecycle_now(m.lifecycle, m.retires_on) end,
    m.retires_on,
    (m.retires_on - current_date)::integer,
    m.replacement,
    (select count(*)::integer from public.workflow_executions e
     where e.workflow_id = w.id and e.completed_at is null)
  from public.workflows w
  left join public.clients c on c.id = w.client_id
  left join public.image_models m on m.id = w.config ->> 'model'
  where jsonb_typeof(w.config -> 'model') = 'string'
    and (m.id is null
      or m.lifecycle = 'retired'
      or m.retires_on <= current_date + p_within_days)
  order by m.retires_on nulls first, c.name, w.name, w.id;
end
$$;
comment on function public.workflows_at_risk(integer) is 'Admin: workflows whose model is retired, unknown, or retires within p_within_days (default 60), soonest first, with replacement and running executions.';
revoke all on function public.workflows_at_risk(integer) from public, anon;
grant execute on function public.workflows_at_risk(integer) to authenticated, service_role;
