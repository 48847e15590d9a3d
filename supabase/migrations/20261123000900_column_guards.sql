-- Column- and transition-level limits that policies cannot express (a policy sees the new
-- row, not which columns changed). They apply to user sessions (role authenticated) that are
-- not platform admins; service_role, postgres and security definer functions owned by
-- postgres are trusted paths and pass through. Violations raise 42501
-- (insufficient_privilege) naming the column, which the functions map to 403.
-- These are security invoker on purpose: current_user must be the caller's role. The role
-- test is its own statement because trusted roles (service_role) cannot even parse a call
-- into schema private.

-- The one diff the guards share: which column (other than the allowed ones) an update
-- changed. Security definer only so user sessions may call it without a grant of their own
-- on anything: it reads no table.
create or replace function private.first_changed_column(old_row jsonb, new_row jsonb, allowed text[])
returns text
language sql
immutable
security definer
set search_path = ''
as $$
  select n.key
  from jsonb_each(new_row) n
  where n.value is distinct from old_row -> n.key
    and n.key <> all (allowed)
  order by n.key
  limit 1
$$;
comment on function private.first_changed_column(jsonb, jsonb, text[]) is 'First column (by name) that differs between two row images, ignoring the allowed ones; null when none.';
revoke all on function private.first_changed_column(jsonb, jsonb, text[]) from public, anon;
grant execute on function private.first_changed_column(jsonb, jsonb, text[]) to authenticated;

create or replace function private.guard_clients_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text;
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if (select private.is_admin()) then
    return new;
  end if;
  changed := private.first_changed_column(to_jsonb(old), to_jsonb(new), array['name', 'company_name', 'email', 'updated_at']);
  if changed is not null then
    raise exception 'only an admin can change column "%" of clients', changed
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_clients_update() is 'BEFORE UPDATE on clients: non-admins (owners) may change only name, company_name and email.';
revoke all on function private.guard_clients_update() from public;

create trigger guard_clients_update before update on public.clients
  for each row execute function private.guard_clients_update();
comment on trigger guard_clients_update on public.clients is 'Keeps status (soft delete) and ids admin-only while owners edit contact details.';

create or replace function private.guard_workflow_requests_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text;
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if (select private.is_admin()) then
    return new;
  end if;
  -- The update policy already limits owners to pending rows; this is the decided-request
  -- backstop in case that policy is ever widened.
  if old.status <> 'pending' then
    raise exception 'only an admin can change a request that is %', old.status
      using errcode = '42501';
  end if;
  changed := private.first_changed_column(to_jsonb(old), to_jsonb(new), array['notes', 'updated_at']);
  if changed is not null then
    raise exception 'only an admin can change column "%" of workflow_requests', changed
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_workflow_requests_update() is 'BEFORE UPDATE on workflow_requests: non-admins may change only notes, and only while pending.';
revoke all on function private.guard_workflow_requests_update() from public;

create trigger guard_workflow_requests_update before update on public.workflow_requests
  for each row execute function private.guard_workflow_requests_update();
comment on trigger guard_workflow_requests_update on public.workflow_requests is 'Approving or rejecting (status) is for admins only.';

create or replace function private.guard_support_tickets_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text;
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if (select private.is_admin()) then
    return new;
  end if;
  changed := private.first_changed_column(to_jsonb(old), to_jsonb(new), array['status', 'updated_at']);
  if changed is not null then
    raise exception 'only support staff can change column "%" of support_tickets', changed
      using errcode = '42501';
  end if;
  if new.status is distinct from old.status
    and not (
      new.status = 'closed'
      or (new.status = 'open' and old.status in ('resolved', 'closed'))
    ) then
    raise exception 'members may only close a ticket or reopen a resolved or closed one (not % -> %)',
      old.status, new.status
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_support_tickets_update() is 'BEFORE UPDATE on support_tickets: non-admins may only close a ticket or reopen a resolved/closed one.';
revoke all on function private.guard_support_tickets_update() from public;

create trigger guard_support_tickets_update before update on public.support_tickets
  for each row execute function private.guard_support_tickets_update();
comment on trigger guard_support_tickets_update on public.support_tickets is 'Triage (in_progress, resolved, priority, text) stays with support staff.';
