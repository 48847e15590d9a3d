-- Workflow requests, as issue 3 defines them: any member of a client (owner or collaborator)
-- files a request, admins approve or reject it with notes, and the decision records who and
-- when. The foundation let only owners file requests (the schema document's role matrix);
-- issue 3 widens that to collaborators because they are the ones running the workflows and
-- noticing what they need, while the decision itself stays with admins.

alter table public.workflow_requests
  add column requested_by uuid references public.users (id) on delete set null default auth.uid(),
  add column admin_notes text,
  add column reviewed_by uuid references public.users (id) on delete set null,
  add column reviewed_at timestamptz,
  add constraint workflow_requests_notes_length check (length(notes) <= 2000),
  add constraint workflow_requests_admin_notes_length check (length(admin_notes) <= 2000);
comment on column public.workflow_requests.requested_by is 'Member who filed the request (the caller, by default and by policy).';
comment on column public.workflow_requests.admin_notes is 'The admin''s answer when approving or rejecting.';
comment on column public.workflow_requests.reviewed_by is 'Admin who approved or rejected (stamped by trigger).';
comment on column public.workflow_requests.reviewed_at is 'When the request was approved or rejected (stamped by trigger).';

comment on constraint workflow_requests_notes_length on public.workflow_requests is 'Requester notes are at most 2000 characters.';
comment on constraint workflow_requests_admin_notes_length on public.workflow_requests is 'Admin notes are at most 2000 characters.';

-- requested_by is filtered on when listing "my requests".
create index idx_workflow_requests_requested_by on public.workflow_requests (requested_by);
create index idx_workflow_requests_reviewed_by on public.workflow_requests (reviewed_by);

drop policy workflow_requests_insert on public.workflow_requests;
create policy workflow_requests_insert on public.workflow_requests for insert to authenticated
  with check (
    (select private.is_admin())
    or (
      client_id in (select private.my_client_ids())
      and status = 'pending'
      and requested_by = (select auth.uid())
      -- The requested workflow must be one of that same client's (RLS on workflows applies).
      and exists (
        select 1 from public.workflows w
        where w.id = workflow_id and w.client_id = workflow_requests.client_id
      )
    )
  );
comment on policy workflow_requests_insert on public.workflow_requests is 'Members (owners and collaborators, per issue 3) file pending requests for their client''s workflows as themselves; admins any.';

create or replace function private.review_workflow_request()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    -- Members file requests; the answer columns are the admins'.
    if new.admin_notes is not null and (select auth.uid()) is not null
      and not (select private.is_admin()) then
      raise exception 'Only an admin can write admin_notes'
        using errcode = 'MS403', hint = 'admin_only';
    end if;
    if new.status = 'pending' then
      new.reviewed_by := null;
      new.reviewed_at := null;
    else
      new.reviewed_by := (select auth.uid());
      new.reviewed_at := now();
    end if;
    return new;
  end if;
  if new.status is distinct from old.status then
    -- A decision is final: re-deciding would rewrite what the client was told.
    if old.status <> 'pending' then
      raise exception 'This request was already % and cannot change', old.status
        using errcode = 'MS422', hint = 'request_already_decided';
    end if;
    if new.status = 'pending' then
      raise exception 'A request cannot go back to pending'
        using errcode = 'MS422', hint = 'request_already_decided';
    end if;
    new.reviewed_by := (select auth.uid());
    new.reviewed_at := now();
  else
    -- The stamps belong to the decision; nobody edits them afterwards.
    new.reviewed_by := old.reviewed_by;
    new.reviewed_at := old.reviewed_at;
  end if;
  return new;
end
$$;
comment on function private.review_workflow_request() is 'BEFORE INSERT/UPDATE on workflow_requests: admin_notes are admins'', decisions are final (pending -> approved | rejected once) and stamp reviewed_by / reviewed_at.';
revoke all on function private.review_workflow_request() from public;

-- Named to run after guard_workflow_requests_update (triggers fire in name order), so a
-- non-admin's status change is refused as a permission error before any domain rule.
create trigger review_workflow_request before insert or update on public.workflow_requests
  for each row execute function private.review_workflow_request();
comment on trigger review_workflow_request on public.workflow_requests is 'Makes decisions final and records who decided and when.';
