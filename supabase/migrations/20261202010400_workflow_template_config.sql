-- A workflow keeps a copy of its template's config (later template edits must not change what
-- a client bought), so moving assigned workflows to a new template config is an explicit
-- propagation. To propagate without losing what was set per workflow (the assignment's
-- overrides, an admin's later edits), each workflow remembers the template config it was
-- last assigned or propagated from: the keys where its config differs from that copy are its
-- own, and a propagation keeps them.

alter table public.workflows add column template_config jsonb;
comment on column public.workflows.template_config is 'The template config this workflow was last assigned or propagated from; where config differs from it, the workflow''s own settings (kept by a propagation).';

-- Existing workflows: the best knowledge there is, today's template config.
update public.workflows w set template_config = t.config
from public.workflow_templates t where t.id = w.template_id;

create or replace function private.workflows_template_config()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.template_id is distinct from old.template_id then
    select t.config into new.template_config
    from public.workflow_templates t where t.id = new.template_id;
    if not found then
      new.template_config := null;
    end if;
  end if;
  return new;
end
$$;
comment on function private.workflows_template_config() is 'BEFORE INSERT/UPDATE on workflows: a new assignment (insert or another template_id) records the template config it copied.';
revoke all on function private.workflows_template_config() from public;

create trigger workflows_template_config before insert or update on public.workflows
  for each row execute function private.workflows_template_config();
comment on trigger workflows_template_config on public.workflows is 'Remembers which template config an assignment started from.';

create or replace function private.config_overrides(p_config jsonb, p_template_config jsonb)
returns jsonb
language sql
immutable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb)
  from jsonb_each(coalesce(p_config, '{}'::jsonb)) c
  where c.key <> 'workflow_type'
    and c.value is distinct from coalesce(p_template_config, '{}'::jsonb) -> c.key
$$;
comment on function private.config_overrides(jsonb, jsonb) is 'The settings of a workflow config that differ from the template config it came from (workflow_type aside).';
revoke all on function private.config_overrides(jsonb, jsonb) from public, anon;
grant execute on function private.config_overrides(jsonb, jsonb) to authenticated, service_role;
