-- Helpdesk additions to support_tickets (seed 004 is the reference): an assignee from the
-- support team, bounded text, the index the keyset listing walks, and the rules the
-- foundation's guard trigger (members may only close / reopen) does not cover.

alter table public.support_tickets
  add column assigned_to uuid references public.users (id) on delete set null,
  add constraint support_tickets_subject_length check (length(subject) between 1 and 200),
  add constraint support_tickets_description_length check (length(description) between 1 and 10000);
comment on column public.support_tickets.assigned_to is 'Support staff member (a platform admin) working on the ticket; admins only set it.';
comment on constraint support_tickets_subject_length on public.support_tickets is 'Subjects are 1 to 200 characters.';
comment on constraint support_tickets_description_length on public.support_tickets is 'Descriptions are 1 to 10000 characters.';

-- The listing is keyset-paginated on (created_at desc, id desc): admins walk the first index,
-- members (RLS filters on client_id) the second.
create index idx_support_tickets_created_at_id on public.support_tickets (created_at desc, id desc);
create index idx_support_tickets_client_created_at_id on public.support_tickets (client_id, created_at desc, id desc);
create index idx_support_tickets_assigned_to on public.support_tickets (assigned_to);

create or replace function private.check_ticket_rules()
returns trigger
language plpgsql
-- definer: checking that the assignee is staff reads a users row the caller may not see.
security definer
set search_path = ''
as $$
begin
  -- Members open tickets; who works on them is the support team's call.
  if tg_op = 'INSERT' and new.assigned_to is not null
    and (select auth.uid()) is not null and not (select private.is_admin()) then
    raise exception 'Only support staff can assign tickets'
      using errcode = 'MS403', hint = 'staff_only';
  end if;
  if new.assigned_to is not null
    and (tg_op = 'INSERT' or new.assigned_to is distinct from old.assigned_to)
    and not exists (
      select 1 from public.users u
      where u.id = new.assigned_to and u.role = 'admin' and u.status = 'active'
    ) then
    raise exception 'Tickets can only be assigned to active support staff'
      using errcode = 'MS422', hint = 'assignee_not_staff';
  end if;
  -- open -> in_progress -> resolved -> closed, with reopen (-> open) from anywhere; a closed
  -- ticket goes nowhere else without being reopened, so its history stays readable.
  if tg_op = 'UPDATE' and old.status = 'closed' and new.status not in ('closed', 'open') then
    raise exception 'A closed ticket must be reopened before it can become %', new.status
      using errcode = 'MS422', hint = 'invalid_transition';
  end if;
  return new;
end
$$;
comment on function private.check_ticket_rules() is 'BEFORE INSERT/UPDATE on support_tickets: only staff assign, assignees are active admins, closed tickets only reopen.';
revoke all on function private.check_ticket_rules() from public;

-- Named to run after guard_support_tickets_update (name order), so a member touching staff
-- columns gets the permission error first.
create trigger ticket_rules before insert or update on public.support_tickets
  for each row execute function private.check_ticket_rules();
comment on trigger ticket_rules on public.support_tickets is 'Assignment and status-transition rules for every writer.';
