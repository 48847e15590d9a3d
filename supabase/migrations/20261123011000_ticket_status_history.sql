-- Every status a ticket goes through, with who moved it and when (seed 004's
-- ticket_workflow_history). Written by trigger only, so it cannot disagree with the ticket.

create table public.ticket_status_history (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  client_id uuid not null references public.clients (id),
  from_status text,
  to_status text not null,
  changed_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now()
);
comment on table public.ticket_status_history is 'Status transitions of support tickets (from null at creation), written by trigger.';
comment on column public.ticket_status_history.client_id is 'The ticket''s client, for RLS.';
comment on column public.ticket_status_history.from_status is 'Status before the change; null for the ticket''s creation.';
comment on column public.ticket_status_history.changed_by is 'auth.uid() of the session that changed it (null for service changes).';

create index idx_ticket_status_history_ticket_id on public.ticket_status_history (ticket_id, id);
create index idx_ticket_status_history_client_id on public.ticket_status_history (client_id);
create index idx_ticket_status_history_changed_by on public.ticket_status_history (changed_by);

alter table public.ticket_status_history enable row level security;

create policy ticket_status_history_select on public.ticket_status_history for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy ticket_status_history_select on public.ticket_status_history is 'Members see the history of their clients'' tickets; admins all. No write policies.';

revoke all on public.ticket_status_history from anon, authenticated;
grant select on public.ticket_status_history to authenticated;

create or replace function private.record_ticket_status()
returns trigger
language plpgsql
-- definer: callers have no write access to the history; only this trigger writes it.
security definer
set search_path = ''
as $$
begin
  insert into public.ticket_status_history (ticket_id, client_id, from_status, to_status, changed_by)
  values (
    new.id,
    new.client_id,
    case when tg_op = 'UPDATE' then old.status end,
    new.status,
    (select auth.uid())
  );
  return null;
end
$$;
comment on function private.record_ticket_status() is 'AFTER INSERT / status UPDATE on support_tickets: appends the transition to ticket_status_history.';
revoke all on function private.record_ticket_status() from public;

create trigger record_ticket_status_on_insert after insert on public.support_tickets
  for each row execute function private.record_ticket_status();
comment on trigger record_ticket_status_on_insert on public.support_tickets is 'A ticket''s history starts with its creation.';

create trigger record_ticket_status_on_update after update of status on public.support_tickets
  for each row when (old.status is distinct from new.status)
  execute function private.record_ticket_status();
comment on trigger record_ticket_status_on_update on public.support_tickets is 'Each status change is recorded.';
