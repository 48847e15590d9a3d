-- The admin console's lifecycle of clients and users, with every change in the audit trail.
-- Who may do what stays with RLS (clients and users are written by admins; owners edit their
-- client's contact details, guarded by guard_clients_update); these functions only give the
-- operations names, the rules that span rows, and refusals that say why.

-- Platform-level entries (a user's status or role) belong to no client: client_id may be
-- null, and the select policy (admins, or owners of client_id) then shows them to admins only.
alter table public.audit_logs alter column client_id drop not null;
comment on column public.audit_logs.client_id is 'Client the changed row belongs to (the client itself for clients rows; null for platform-level user changes); decides who may read the entry.';


create or replace function private.write_lifecycle_audit_log()
returns trigger
language plpgsql
-- definer: the trail is written on behalf of callers who have no write access to it.
security definer
set search_path = ''
as $$
declare
  before_row jsonb;
  after_row jsonb;
  v_client uuid;
begin
  if tg_op <> 'INSERT' then before_row := to_jsonb(old); end if;
  if tg_op <> 'DELETE' then after_row := to_jsonb(new); end if;
  if tg_op = 'UPDATE' and (before_row - 'updated_at' - 'last_login') = (after_row - 'updated_at' - 'last_login') then
    return null;
  end if;
  -- A clients row is its own client; a users row is platform-level.
  if tg_table_name = 'clients' then
    v_client := coalesce(after_row ->> 'id', before_row ->> 'id')::uuid;
  end if;
  insert into public.audit_logs (client_id, actor_id, action, table_name, record_id, old_data, new_data)
  values (v_client, (select auth.uid()), lower(tg_op), tg_table_name,
          coalesce(after_row ->> 'id', before_row ->> 'id')::uuid, before_row, after_row);
  return null;
end
$$;
comment on function private.write_lifecycle_audit_log() is 'AFTER row trigger on clients and users: appends the change (actor, before/after) to audit_logs; client rows under their own id, user rows platform-level.';
revoke all on function private.write_lifecycle_audit_log() from public;

create trigger audit_clients after insert or update or delete on public.clients
  for each row execute function private.write_lifecycle_audit_log();
comment on trigger audit_clients on public.clients is 'Creation, edits, suspension, reactivation and soft deletion of clients go to audit_logs.';

create trigger audit_users after update of status, role, name, email or delete on public.users
  for each row execute function private.write_lifecycle_audit_log();
comment on trigger audit_users on public.users is 'Suspension, reactivation, role and identity changes of users go to audit_logs.';

-- Soft deletion is final: a deleted client's data stays for billing, its door stays shut.
create or replace function private.guard_client_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status = 'deleted' and new.status <> 'deleted' then
    raise exception 'A deleted client cannot be reactivated'
      using errcode = 'MS422', hint = 'client_deleted';
  end if;
  return new;
end
$$;
comment on function private.guard_client_status() is 'BEFORE UPDATE OF status on clients: deleted is a final status.';
revoke all on function private.guard_client_status() from public;

create trigger guard_client_status before update of status on public.clients
  for each row when (old.status is distinct from new.status)
  execute function private.guard_client_status();
comment on trigger guard_client_status on public.clients is 'Keeps soft-deleted clients deleted.';

-- Newest-first keyset pages of the admin client list.
create index idx_clients_created_at on public.clients (created_at desc, id desc);
comment on index public.idx_clients_created_at is 'Keyset pagination of the client list (created_at desc, id desc).';
create index idx_users_created_at on public.users (created_at desc, id desc);
comment on index public.idx_users_created_at is 'Keyset pagination of the user list (created_at desc, id desc).';

create or replace function public.create_client(
  p_name text,
  p_company_name text,
  p_email text,
  p_owner_user_id uuid default null,
  p_owner_email text default null
)
returns jsonb
language plpgsql
-- invoker: the insert policies (admins only) decide; 403 for anyone else.
set search_path = ''
as $$
declare
  v_client record;
  v_owner record;
  v_member record;
  v_invitation jsonb;
begin
  if (p_owner_user_id is null) = (p_owner_email is null) then
    raise exception 'Name the first owner: an existing user or an e-mail to invite, not both'
      using errcode = 'MS400', hint = 'owner_required';
  end if;
  insert into public.clients (name, company_name, email)
  values (p_name, p_company_name, lower(p_email))
  returning id, name, company_name, email, status, created_at, updated_at into v_client;
  if p_owner_user_id is not null then
    select u.id, u.status into v_owner from public.users u where u.id = p_owner_user_id;
    if not found then
      raise exception 'User not found' using errcode = 'MS404', hint = 'user_not_found';
    end if;
    if v_owner.status <> 'active' then
      raise exception 'The first owner must be an active user'
        using errcode = 'MS422', hint = 'owner_not_active';
    end if;
    insert into public.client_members (client_id, user_id, role)
    values (v_client.id, p_owner_user_id, 'owner')
    returning user_id, role, created_at into v_member;
  else
    v_invitation := public.create_invitation(v_client.id, p_owner_email, 'owner');
  end if;
  return jsonb_build_object('client', to_jsonb(v_client), 'owner', to_jsonb(v_member),
                            'invitation', v_invitation);
end
$$;
comment on function public.create_client(text, text, text, uuid, text) is 'Admin: creates a client with its first owner, an existing active user (member at once) or an e-mail (owner invitation; the token is in the answer only).';
revoke all on function public.create_client(text, text, text, uuid, text) from public, anon;
grant execute on function public.create_client(text, text, text, uuid, text) to authenticated;

create or replace function public.set_user_status(p_user_id uuid, p_status text)
returns jsonb
language plpgsql
-- invoker: the users update policy (admins only) decides.
set search_path = ''
as $$
declare
  v_user record;
begin
  update public.users u set status = p_status where u.id = p_user_id
  returning u.id, u.email, u.name, u.role, u.status, u.updated_at into v_user;
  if found then
    -- Checked after RLS allowed the update, so only admins learn of this rule; raising
    -- undoes the update. An admin locking themselves out needs another admin to undo it.
    if p_user_id = (select auth.uid()) then
      raise exception 'You cannot change the status of your own account'
        using errcode = 'MS422', hint = 'own_account';
    end if;
    return to_jsonb(v_user);
  end if;
  if exists (select 1 from public.users u where u.id = p_user_id) then
    raise exception 'Only a platform admin can change a user''s status'
      using errcode = 'MS403', hint = 'admin_only';
  end if;
  raise exception 'User not found' using errcode = 'MS404', hint = 'user_not_found';
end
$$;
comment on function public.set_user_status(uuid, text) is 'Admin: suspends, reactivates or soft-deletes a user (their tokens lose access through the RLS helpers at once). 403 non-admins who can see the user, 404 otherwise.';
revoke all on function public.set_user_status(uuid, text) from public, anon;
grant execute on function public.set_user_status(uuid, text) to authenticated;

create or replace function public.assert_platform_admin()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not (select private.is_admin()) then
    raise exception 'Only a platform admin can do this' using errcode = 'MS403', hint = 'admin_only';
  end if;
end
$$;
comment on function public.assert_platform_admin() is 'Refuses (403 admin_only) unless the caller is an active platform admin: the gate before a function acts on Supabase Auth for an admin.';
revoke all on function public.assert_platform_admin() from public, anon;
grant execute on function public.assert_platform_admin() to authenticated;
