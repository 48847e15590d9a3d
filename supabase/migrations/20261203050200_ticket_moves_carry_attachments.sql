-- A ticket moved to another client already takes its comments and history along
-- (20261202020600); its attachments follow too now. Their objects stay where they are (the
-- path <ticket_id>/<attachment_id> names no client) and storage.objects' policies read access
-- from the rows, so the old client's members lose the files in the same transaction and the
-- new client's gain them. Replaces private.move_ticket_children().
create or replace function private.move_ticket_children()
returns trigger
language plpgsql
-- definer: nobody may update comments, history or attachments directly; only this trigger.
security definer
set search_path = ''
as $$
begin
  update public.ticket_comments c set client_id = new.client_id where c.ticket_id = new.id;
  update public.ticket_status_history h set client_id = new.client_id where h.ticket_id = new.id;
  update public.ticket_attachments a set client_id = new.client_id where a.ticket_id = new.id;
  return null;
end
$$;
comment on function private.move_ticket_children() is 'AFTER UPDATE OF client_id on support_tickets: moves the ticket''s comments, status history and attachments to its new client.';
