-- A ticket may name the execution it is about ("my batch of yesterday failed"). The execution
-- must be one of the ticket's own client: checked here for every writer, so no ticket can
-- point at (and later show a summary of) another client's run.

alter table public.support_tickets
  add column execution_id uuid references public.workflow_executions (id) on delete set null;
comment on column public.support_tickets.execution_id is 'The execution the ticket is about (optional); always one of the ticket''s client.';

create index idx_support_tickets_execution_id on public.support_tickets (execution_id);

-- Members name it when they open the ticket; afterwards only staff change it (the guard trigger
-- lets members change status only).
grant insert (execution_id) on public.support_tickets to authenticated;

create or replace function private.check_ticket_execution()
returns trigger
language plpgsql
-- definer: the check compares clients whatever the caller can see, and answers the same for
-- an execution that does not exist and one of another client, so it reveals nothing.
security definer
set search_path = ''
as $$
begin
  if new.execution_id is not null and not exists (
    select 1 from public.workflow_executions e
    where e.id = new.execution_id and e.client_id = new.client_id
  ) then
    raise exception 'execution_id must name an execution of the ticket''s client'
      using errcode = 'MS422', hint = 'execution_not_of_client',
        detail = json_build_object('field', 'execution_id')::text;
  end if;
  return new;
end
$$;
comment on function private.check_ticket_execution() is 'BEFORE INSERT/UPDATE on support_tickets: execution_id names an execution of the same client (MS422 execution_not_of_client).';
revoke all on function private.check_ticket_execution() from public;

-- Also on client_id: moving a ticket that names an execution of its old client is refused
-- unless the same update clears or replaces execution_id.
create trigger ticket_execution_same_client before insert or update of execution_id, client_id
  on public.support_tickets
  for each row execute function private.check_ticket_execution();
comment on trigger ticket_execution_same_client on public.support_tickets is 'A ticket''s execution belongs to the ticket''s client, on insert, relink and move.';
