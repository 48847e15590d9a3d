-- Owners manage their client's members (seed 000: "owner: member management"), replacing the
-- foundation's admin-only writes. What a bare policy cannot say is done by triggers:
-- a client always keeps an owner, and every change lands in the audit trail.
-- New members arrive only through invitations (accept_invitation), never by a direct insert
-- from an owner, so nobody is added to a client without having agreed to it.

drop policy client_members_update on public.client_members;
create policy client_members_update on public.client_members for update to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()))
  with check ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()));
comment on policy client_members_update on public.client_members is 'Owners change roles in their own clients (a collaborator cannot promote anyone, self included); admins any.';

drop policy client_members_delete on public.client_members;
create policy client_members_delete on public.client_members for delete to authenticated
  using (
    (select private.is_admin())
    or client_id in (select private.my_owned_client_ids())
    or user_id = (select auth.uid())
  );
comment on policy client_members_delete on public.client_members is 'Owners remove members of their clients; anyone may leave (delete their own membership); admins any.';

-- Only the role ever changes: moving a membership to another client or user would bypass the
-- invitation path (and the policies only see the new row).
revoke update on public.client_members from authenticated;
grant update (role) on public.client_members to authenticated;

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
  if not exists (
    select 1 from public.client_members cm
    where cm.client_id = old.client_id and cm.role = 'owner'
  ) then
    raise exception 'A client must keep at least one owner'
      using errcode = 'MS422', hint = 'last_owner',
        detail = json_build_object('client_id', old.client_id)::text;
  end if;
  return null;
end
$$;
comment on function private.keep_an_owner() is 'AFTER UPDATE/DELETE on client_members: refuses (MS422 last_owner) a change that leaves a client without an owner.';
revoke all on function private.keep_an_owner() from public;

create trigger keep_an_owner_on_update after update on public.client_members
  for each row when (old.role = 'owner' and new.role is distinct from 'owner')
  execute function private.keep_an_owner();
comment on trigger keep_an_owner_on_update on public.client_members is 'Demoting the last owner is refused.';

create trigger keep_an_owner_on_delete after delete on public.client_members
  for each row when (old.role = 'owner')
  execute function private.keep_an_owner();
comment on trigger keep_an_owner_on_delete on public.client_members is 'Removing (or leaving as) the last owner is refused.';

create trigger audit_client_members after insert or update or delete on public.client_members
  for each row execute function private.write_audit_log();
comment on trigger audit_client_members on public.client_members is 'Every membership change goes to audit_logs.';
