-- Invitations: the only way into a client. The reference (basejump) keeps the token in a
-- readable column and lets anyone holding it join under any e-mail; here the token is shown
-- once and stored only as a SHA-256 hash that no API role can read, acceptance is bound to
-- the invitee's e-mail, to the expiry and to a single use, and every change is audited.

create table public.client_invitations (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  -- Stored lower-case so one address cannot be invited twice under two spellings.
  email text not null check (email = lower(email) and length(email) between 3 and 320 and email like '_%@_%'),
  role text not null default 'collaborator' check (role in ('owner', 'collaborator')),
  token_hash text not null,
  invited_by uuid references public.users (id) on delete set null default auth.uid(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid references public.users (id) on delete set null,
  revoked_at timestamptz,
  revoked_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint client_invitations_token_hash_key unique (token_hash),
  constraint client_invitations_expiry check (expires_at > created_at and expires_at <= created_at + interval '30 days'),
  constraint client_invitations_single_outcome check (accepted_at is null or revoked_at is null)
);
comment on table public.client_invitations is 'Invitations to join a client with a role; accepted once by the invitee, before expiry.';
comment on column public.client_invitations.email is 'Invitee''s e-mail (lower case); only the signed-in user with this e-mail can accept.';
comment on column public.client_invitations.role is 'Role the invitee gets on acceptance.';
comment on column public.client_invitations.token_hash is 'hex SHA-256 of the invitation token; the token itself is never stored. Not readable by API roles.';
comment on column public.client_invitations.invited_by is 'Who sent the invitation (the caller, by default and by policy).';
comment on column public.client_invitations.expires_at is 'After this the invitation cannot be accepted (at most 30 days after creation).';
comment on column public.client_invitations.accepted_at is 'When the invitee accepted; set only by accept_invitation.';
comment on column public.client_invitations.accepted_by is 'User who accepted.';
comment on column public.client_invitations.revoked_at is 'When an owner or admin withdrew the invitation.';
comment on column public.client_invitations.revoked_by is 'Who withdrew it (stamped by trigger).';
comment on constraint client_invitations_token_hash_key on public.client_invitations is 'Looks invitations up by token hash; two tokens never collide.';
comment on constraint client_invitations_expiry on public.client_invitations is 'An invitation lives for some time, at most 30 days.';
comment on constraint client_invitations_single_outcome on public.client_invitations is 'An invitation is accepted or revoked, never both.';

-- One pending invitation per address and client: a second one is a conflict (409).
create unique index client_invitations_pending_unique on public.client_invitations (client_id, email)
  where accepted_at is null and revoked_at is null;
comment on index public.client_invitations_pending_unique is 'At most one pending invitation per client and e-mail.';
create index idx_client_invitations_client_id on public.client_invitations (client_id);
create index idx_client_invitations_invited_by on public.client_invitations (invited_by);
create index idx_client_invitations_accepted_by on public.client_invitations (accepted_by);
create index idx_client_invitations_revoked_by on public.client_invitations (revoked_by);

alter table public.client_invitations enable row level security;

create policy client_invitations_select on public.client_invitations for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy client_invitations_select on public.client_invitations is 'Members see their clients'' invitations; admins all.';

create policy client_invitations_insert on public.client_invitations for insert to authenticated
  with check (
    ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()))
    and invited_by = (select auth.uid())
  );
comment on policy client_invitations_insert on public.client_invitations is 'Owners invite to their clients, admins to any, always as themselves.';

create policy client_invitations_update on public.client_invitations for update to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()))
  with check ((select private.is_admin()) or client_id in (select private.my_owned_client_ids()));
comment on policy client_invitations_update on public.client_invitations is 'Owners and admins revoke (the only column they may write is revoked_at).';

-- Column privileges: token_hash is write-only for the API, and the outcome columns are set
-- only by accept_invitation (definer) and the revoke trigger. No delete: history stays.
revoke all on public.client_invitations from anon, authenticated;
grant select (
  id, client_id, email, role, invited_by, expires_at, accepted_at, accepted_by,
  revoked_at, revoked_by, created_at, updated_at
) on public.client_invitations to authenticated;
grant insert (client_id, email, role, token_hash, expires_at) on public.client_invitations to authenticated;
grant update (revoked_at) on public.client_invitations to authenticated;

create trigger set_updated_at before update on public.client_invitations
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.client_invitations is 'Stamps updated_at on every update.';

create or replace function private.guard_client_invitations_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- An outcome is final: a used or withdrawn invitation cannot be revived or withdrawn again.
  if (old.accepted_at is not null or old.revoked_at is not null)
    and (new.accepted_at is distinct from old.accepted_at or new.revoked_at is distinct from old.revoked_at) then
    raise exception 'This invitation is no longer pending'
      using errcode = 'MS409', hint = 'invitation_not_pending';
  end if;
  if new.revoked_at is not null and old.revoked_at is null then
    -- The caller only says "revoke"; when and by whom is the database's to record.
    new.revoked_at := now();
    new.revoked_by := (select auth.uid());
  end if;
  return new;
end
$$;
comment on function private.guard_client_invitations_update() is 'BEFORE UPDATE on client_invitations: outcomes are final; stamps revoked_at / revoked_by.';
revoke all on function private.guard_client_invitations_update() from public;

create trigger guard_client_invitations_update before update on public.client_invitations
  for each row execute function private.guard_client_invitations_update();
comment on trigger guard_client_invitations_update on public.client_invitations is 'Keeps accepted/revoked invitations final.';

create trigger audit_client_invitations after insert or update or delete on public.client_invitations
  for each row execute function private.write_audit_log();
comment on trigger audit_client_invitations on public.client_invitations is 'Every invitation change goes to audit_logs (without token_hash).';

-- create -----------------------------------------------------------------------------------
create or replace function public.create_invitation(p_client_id uuid, p_email text, p_role text)
returns jsonb
language plpgsql
-- invoker: the insert policy decides who may invite (owners, admins); 403 otherwise.
set search_path = ''
as $$
declare
  v_email text := lower(trim(p_email));
  v_token text := encode(extensions.gen_random_bytes(32), 'hex');
  v_status text;
  inv record;
begin
  select c.status into v_status from public.clients c where c.id = p_client_id;
  if not found then
    raise exception 'Client not found' using errcode = 'MS404', hint = 'client_not_found';
  end if;
  if v_status <> 'active' then
    raise exception 'The client is % and cannot take new members', v_status
      using errcode = 'MS422', hint = 'client_not_active';
  end if;

  -- An expired invitation no longer blocks a new one for the same address.
  update public.client_invitations i
  set revoked_at = now()
  where i.client_id = p_client_id and i.email = v_email
    and i.accepted_at is null and i.revoked_at is null and i.expires_at <= now();

  insert into public.client_invitations (client_id, email, role, token_hash)
  values (p_client_id, v_email, p_role, encode(sha256(convert_to(v_token, 'UTF8')), 'hex'))
  returning id, client_id, email, role, invited_by, expires_at, created_at into inv;

  -- Checked after the insert so that a caller who may not invite gets 403 either way.
  if exists (
    select 1 from public.client_members cm
    join public.users u on u.id = cm.user_id
    where cm.client_id = p_client_id and lower(u.email) = v_email
  ) then
    raise exception '% is already a member of this client', v_email
      using errcode = 'MS409', hint = 'already_member';
  end if;

  return to_jsonb(inv) || jsonb_build_object('token', v_token);
end
$$;
comment on function public.create_invitation(uuid, text, text) is 'Owner/admin: invites an e-mail with a role; returns the invitation with its token, the only time the token is ever shown.';
revoke all on function public.create_invitation(uuid, text, text) from public, anon;
grant execute on function public.create_invitation(uuid, text, text) to authenticated, service_role;

-- revoke -----------------------------------------------------------------------------------
create or replace function public.revoke_invitation(p_invitation_id uuid)
returns jsonb
language plpgsql
-- invoker: the update policy decides (owners and admins); the checks only name the refusal.
set search_path = ''
as $$
declare
  inv record;
begin
  select i.id, i.accepted_at, i.revoked_at into inv
  from public.client_invitations i where i.id = p_invitation_id;
  if not found then
    raise exception 'Invitation not found' using errcode = 'MS404', hint = 'invitation_not_found';
  end if;
  if inv.accepted_at is not null or inv.revoked_at is not null then
    raise exception 'This invitation is no longer pending'
      using errcode = 'MS409', hint = 'invitation_not_pending';
  end if;
  update public.client_invitations i set revoked_at = now()
  where i.id = p_invitation_id
  returning i.id, i.client_id, i.email, i.role, i.invited_by, i.expires_at, i.revoked_at, i.revoked_by,
    i.created_at
  into inv;
  if not found then
    raise exception 'Only the client''s owners can revoke its invitations'
      using errcode = 'MS403', hint = 'owner_only';
  end if;
  return to_jsonb(inv);
end
$$;
comment on function public.revoke_invitation(uuid) is 'Owner/admin: withdraws a pending invitation. 404 invisible, 409 not pending, 403 for non-owners.';
revoke all on function public.revoke_invitation(uuid) from public, anon;
grant execute on function public.revoke_invitation(uuid) to authenticated, service_role;

-- accept -----------------------------------------------------------------------------------
-- The rules every way of accepting shares, once the invitation is locked and known to be the
-- caller's: only once, before expiry, into an active client, not twice into one client.
create or replace function private.complete_invitation(inv public.client_invitations, p_uid uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_client_status text;
  m record;
begin
  if inv.accepted_at is not null then
    raise exception 'This invitation was already accepted'
      using errcode = 'MS409', hint = 'invitation_already_accepted';
  end if;
  if inv.expires_at <= now() then
    raise exception 'This invitation has expired' using errcode = 'MS422', hint = 'invitation_expired';
  end if;
  select c.status into v_client_status from public.clients c where c.id = inv.client_id;
  if v_client_status <> 'active' then
    raise exception 'The client is % and cannot take new members', v_client_status
      using errcode = 'MS422', hint = 'client_not_active';
  end if;
  if exists (
    select 1 from public.client_members cm where cm.client_id = inv.client_id and cm.user_id = p_uid
  ) then
    raise exception 'You are already a member of this client'
      using errcode = 'MS409', hint = 'already_member';
  end if;

  insert into public.client_members (client_id, user_id, role)
  values (inv.client_id, p_uid, inv.role)
  returning id, client_id, user_id, role, created_at into m;
  update public.client_invitations i
  set accepted_at = now(), accepted_by = p_uid
  where i.id = inv.id;
  return to_jsonb(m);
end
$$;
comment on function private.complete_invitation(public.client_invitations, uuid) is 'Accepting a locked invitation for p_uid: once, before expiry, into an active client, not twice (409 used or member, 422 expired or client inactive); called by the accept functions only.';
revoke all on function private.complete_invitation(public.client_invitations, uuid) from public, anon, authenticated;

-- In private, not public: a security definer function in an exposed schema is an RPC any
-- signed-in user can call directly (/rest/v1/rpc), outside manage-members's validation and
-- answers. Here only the function's own SQL (as the user) reaches it.
create or replace function private.accept_invitation(p_token text)
returns jsonb
language plpgsql
-- definer: the invitee is not a member yet, so RLS gives them no access to the invitation or
-- the client. Every rule is therefore checked explicitly here, in this order.
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_user record;
  inv public.client_invitations;
begin
  if v_uid is null then
    raise exception 'Sign in to accept an invitation' using errcode = 'MS403', hint = 'not_signed_in';
  end if;
  select u.email, u.status into v_user from public.users u where u.id = v_uid;
  if not found or v_user.status <> 'active' then
    raise exception 'Your account is not active' using errcode = 'MS403', hint = 'account_not_active';
  end if;

  -- Row lock: two concurrent accepts of one token serialise, so "only once" holds.
  select i.* into inv
  from public.client_invitations i
  where i.token_hash = encode(sha256(convert_to(coalesce(p_token, ''), 'UTF8')), 'hex')
  for update;
  if not found or inv.revoked_at is not null then
    raise exception 'Invitation not found' using errcode = 'MS404', hint = 'invitation_not_found';
  end if;
  if inv.email <> lower(v_user.email) then
    raise exception 'This invitation was sent to another e-mail address'
      using errcode = 'MS403', hint = 'invitation_email_mismatch';
  end if;
  return private.complete_invitation(inv, v_uid);
end
$$;
comment on function private.accept_invitation(text) is 'Invitee: joins the client with the invited role. Only the signed-in user whose e-mail matches, before expiry, once (404 unknown/revoked, 403 other e-mail, 409 used or already member, 422 expired).';
revoke all on function private.accept_invitation(text) from public, anon;
grant execute on function private.accept_invitation(text) to authenticated;
