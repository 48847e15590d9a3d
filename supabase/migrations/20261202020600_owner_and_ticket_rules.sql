-- Two rules that held on paper but not in fact.

-- The last-owner rule counted every owner membership, including those of suspended or deleted
-- users, so the last ACTIVE owner could leave (or be demoted) while a suspended one kept the
-- rule satisfied, and the client was left with nobody able to manage it. Replaces
-- 20261123010600's private.keep_an_owner(): a change is refused when it takes away the last
-- active owner; removing an inactive owner never is (it changes nothing that matters).
create or replace function private.keep_an_owner()
returns trigger
language plpgsql
-- definer: it must see and lock every membership of the client, not only the caller's view.
security definer
set search_path = ''
as $$
begin
  -- Serialise membership changes per client: two owners demoting each other at once would
  -- otherwise each still see the other as owner. NO KEY UPDATE leaves FK inserts unblocked.
  perform 1 from public.clients c where c.id = old.client_id for no key update;
  -- The client or the account itself is being deleted (cascade): there is nothing to keep.
  if not found or not exists (select 1 from public.users u where u.id = old.user_id) then
    return null;
  end if;
  -- Only the loss of an active owner can leave the client unmanaged.
  if not exists (select 1 from public.users u where u.id = old.user_id and u.status = 'active') then
    return null;
  end if;
  if not exists (
    select 1 from public.client_members cm
    join public.users u on u.id = cm.user_id
    where cm.client_id = old.client_id and cm.role = 'owner' and u.status = 'active'
  ) then
    raise exception 'A client must keep at least one active owner'
      using errcode = 'MS422', hint = 'last_owner',
        detail = json_build_object('client_id', old.client_id)::text;
  end if;
  return null;
end
$$;
comment on function private.keep_an_owner() is 'AFTER UPDATE/DELETE on client_members: refuses (MS422 last_owner) a change that takes away a client''s last active owner.';

-- A ticket moved to another client (admins may correct it) left its comments and status history
-- under the old client: readable by the old client's members, invisible to the new one's. They
-- follow the ticket now.
create or replace function private.move_ticket_children()
returns trigger
language plpgsql
-- definer: nobody may update comments or history directly; only this trigger moves them.
security definer
set search_path = ''
as $$
begin
  update public.ticket_comments c set client_id = new.client_id where c.ticket_id = new.id;
  update public.ticket_status_history h set client_id = new.client_id where h.ticket_id = new.id;
  return null;
end
$$;
comment on function private.move_ticket_children() is 'AFTER UPDATE OF client_id on support_tickets: moves the ticket''s comments and status history to its new client.';
revoke all on function private.move_ticket_children() from public;

create trigger move_ticket_children after update of client_id on public.support_tickets
  for each row when (old.client_id is distinct from new.client_id)
  execute function private.move_ticket_children();
comment on trigger move_ticket_children on public.support_tickets is 'Comments and history are readable by whoever the ticket belongs to, and only them.';
