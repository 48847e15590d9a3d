-- Who changed a client's membership, and how: an append-only trail written only by triggers.
-- Owners see their client's trail (they manage members and must be able to check what
-- happened), admins see everything; nobody writes it directly, so nobody can forge or erase it.

create table public.audit_logs (
  -- An identity orders entries exactly as they were written and makes a cheap keyset cursor.
  id bigint generated always as identity primary key,
  -- No foreign keys: the trail must outlive the rows, users and clients it talks about.
  client_id uuid not null,
  actor_id uuid,
  action text not null check (action in ('insert', 'update', 'delete')),
  table_name text not null,
  record_id uuid not null,
  old_data jsonb,
  new_data jsonb,
  created_at timestamptz not null default now()
);
comment on table public.audit_logs is 'Append-only trail of membership changes (client_members, client_invitations), written by triggers.';
comment on column public.audit_logs.client_id is 'Client the changed row belongs to; decides who may read the entry.';
comment on column public.audit_logs.actor_id is 'auth.uid() of the session that made the change (null for service or SQL-editor changes).';
comment on column public.audit_logs.action is 'insert, update or delete.';
comment on column public.audit_logs.table_name is 'Table of the changed row.';
comment on column public.audit_logs.record_id is 'id of the changed row.';
comment on column public.audit_logs.old_data is 'The row before the change (null for inserts); secrets removed.';
comment on column public.audit_logs.new_data is 'The row after the change (null for deletes); secrets removed.';

-- Serves the policy (client_id) and the newest-first listing per client.
create index idx_audit_logs_client_id on public.audit_logs (client_id, id desc);
create index idx_audit_logs_actor_id on public.audit_logs (actor_id);

alter table public.audit_logs enable row level security;

create policy audit_logs_select on public.audit_logs for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()));
comment on policy audit_logs_select on public.audit_logs is 'Admins read every entry, owners their clients'' entries; there are no write policies.';

-- Privileges back the missing write policies: even a policy mistake later cannot open writes.
revoke all on public.audit_logs from anon, authenticated, service_role;
grant select on public.audit_logs to authenticated, service_role;

create or replace function private.write_audit_log()
returns trigger
language plpgsql
-- definer: the trail is written on behalf of callers who have no write access to it.
security definer
set search_path = ''
as $$
declare
  before_row jsonb;
  after_row jsonb;
begin
  -- token_hash is a credential: it never leaves its table, not even into the trail.
  if tg_op <> 'INSERT' then
    before_row := to_jsonb(old) - 'token_hash';
  end if;
  if tg_op <> 'DELETE' then
    after_row := to_jsonb(new) - 'token_hash';
  end if;
  if tg_op = 'UPDATE' and (before_row - 'updated_at') = (after_row - 'updated_at') then
    return null;
  end if;
  insert into public.audit_logs (client_id, actor_id, action, table_name, record_id, old_data, new_data)
  values (
    coalesce(after_row ->> 'client_id', before_row ->> 'client_id')::uuid,
    (select auth.uid()),
    lower(tg_op),
    tg_table_name,
    coalesce(after_row ->> 'id', before_row ->> 'id')::uuid,
    before_row,
    after_row
  );
  return null;
end
$$;
comment on function private.write_audit_log() is 'AFTER row trigger: appends the change (actor, action, before/after without secrets) to audit_logs.';
revoke all on function private.write_audit_log() from public;

create or replace function public.client_audit_log(
  p_client_id uuid,
  p_limit integer default 50,
  p_before_id bigint default null
)
returns setof public.audit_logs
language plpgsql
stable
-- invoker: RLS on clients and audit_logs decides; the checks only name the refusal.
set search_path = ''
as $$
begin
  if not exists (select 1 from public.clients c where c.id = p_client_id) then
    raise exception 'Client not found' using errcode = 'MS404', hint = 'client_not_found';
  end if;
  -- Collaborators can see the client but not its trail: say so instead of an empty list.
  if not ((select private.is_admin()) or p_client_id in (select private.my_owned_client_ids())) then
    raise exception 'Only the client''s owners can read its audit log'
      using errcode = 'MS403', hint = 'owner_only';
  end if;
  return query
    select a.*
    from public.audit_logs a
    where a.client_id = p_client_id
      and (p_before_id is null or a.id < p_before_id)
    order by a.id desc
    limit least(greatest(coalesce(p_limit, 50), 1), 100);
end
$$;
comment on function public.client_audit_log(uuid, integer, bigint) is 'Newest-first audit entries of one client (keyset: entries older than p_before_id). 404 invisible client, 403 for non-owners.';
revoke all on function public.client_audit_log(uuid, integer, bigint) from public, anon;
grant execute on function public.client_audit_log(uuid, integer, bigint) to authenticated, service_role;
