-- Ticket conversations. Internal notes are the support team's: only admins write them and
-- only admins read them, decided by RLS so no code path can leak one.

create table public.ticket_comments (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  -- Copied from the ticket by trigger so the policies test membership directly (indexed),
  -- instead of a per-row subquery into support_tickets.
  client_id uuid not null references public.clients (id),
  author_id uuid references public.users (id) on delete set null default auth.uid(),
  body text not null check (length(body) between 1 and 10000),
  is_internal boolean not null default false,
  created_at timestamptz not null default now()
);
comment on table public.ticket_comments is 'Comments on support tickets; internal notes visible to admins only.';
comment on column public.ticket_comments.client_id is 'The ticket''s client (set by trigger, never by the caller).';
comment on column public.ticket_comments.author_id is 'Who wrote it (the caller, by default and by policy).';
comment on column public.ticket_comments.is_internal is 'Staff-only note: written and read by admins only.';

create index idx_ticket_comments_ticket_id on public.ticket_comments (ticket_id, created_at);
create index idx_ticket_comments_client_id on public.ticket_comments (client_id);
create index idx_ticket_comments_author_id on public.ticket_comments (author_id);
-- The policies filter on is_internal too; the project indexes every column a policy reads.
create index idx_ticket_comments_is_internal on public.ticket_comments (is_internal, client_id);

alter table public.ticket_comments enable row level security;

create policy ticket_comments_select on public.ticket_comments for select to authenticated
  using (
    (select private.is_admin())
    or (client_id in (select private.my_client_ids()) and not is_internal)
  );
comment on policy ticket_comments_select on public.ticket_comments is 'Members read the public comments of their clients'' tickets; admins read everything, internal notes included.';

create policy ticket_comments_insert on public.ticket_comments for insert to authenticated
  with check (
    author_id = (select auth.uid())
    and (
      (select private.is_admin())
      or (client_id in (select private.my_client_ids()) and not is_internal)
    )
  );
comment on policy ticket_comments_insert on public.ticket_comments is 'Members comment on their clients'' tickets as themselves, never internally; admins may write internal notes.';

-- Comments are a record of the conversation: no edits or deletions through the API.
revoke all on public.ticket_comments from anon, authenticated;
grant select on public.ticket_comments to authenticated;
grant insert (ticket_id, body, is_internal) on public.ticket_comments to authenticated;

create or replace function private.set_ticket_comment_client()
returns trigger
language plpgsql
-- invoker: the ticket must be visible to the caller, so commenting on another client's
-- ticket fails here as "not found" before any policy runs.
set search_path = ''
as $$
begin
  select t.client_id into new.client_id from public.support_tickets t where t.id = new.ticket_id;
  if not found then
    raise exception 'Ticket not found' using errcode = 'MS404', hint = 'ticket_not_found';
  end if;
  return new;
end
$$;
comment on function private.set_ticket_comment_client() is 'BEFORE INSERT on ticket_comments: copies the ticket''s client_id (404 if the caller cannot see the ticket).';
revoke all on function private.set_ticket_comment_client() from public;

create trigger set_ticket_comment_client before insert on public.ticket_comments
  for each row execute function private.set_ticket_comment_client();
comment on trigger set_ticket_comment_client on public.ticket_comments is 'client_id always comes from the ticket.';
