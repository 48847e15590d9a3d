-- Who the caller is, from the database: profile, memberships, pending invitations and what
-- they may do. Capabilities are computed by the same helpers the policies call
-- (private.is_admin, my_client_ids, my_owned_client_ids), evaluated as the caller, so what a
-- frontend is told and what RLS allows cannot drift apart.

create or replace function public.my_capabilities()
returns jsonb
language plpgsql
stable
-- invoker: the helpers answer for auth.uid(), the caller.
set search_path = ''
as $$
declare
  v_admin boolean := (select private.is_admin());
begin
  return jsonb_build_object(
    'platform', jsonb_build_object(
      'admin', v_admin,
      'manage_clients', v_admin,
      'manage_users', v_admin,
      'manage_templates', v_admin,
      'assign_workflows', v_admin,
      'decide_requests', v_admin,
      'triage_tickets', v_admin,
      'view_analytics', v_admin,
      'view_provider_costs', v_admin
    ),
    'clients', coalesce((
      select jsonb_object_agg(m.client_id::text, jsonb_build_object(
        'role', m.role,
        'start_executions', true,
        'open_tickets', true,
        'view_members', true,
        'leave', true,
        'request_workflows', m.owner or v_admin,
        'invite_members', m.owner or v_admin,
        'manage_members', m.owner or v_admin,
        'edit_client', m.owner or v_admin,
        'view_audit', m.owner or v_admin,
        'change_status', v_admin
      ))
      from (
        select c.client_id, cm.role,
               c.client_id in (select private.my_owned_client_ids()) as owner
        from private.my_client_ids() as c (client_id)
        join public.client_members cm
          on cm.client_id = c.client_id and cm.user_id = (select auth.uid())
      ) m
    ), '{}'::jsonb)
  );
end
$$;
comment on function public.my_capabilities() is 'What the caller may do, platform-wide and per active client, from the helpers the RLS policies use.';
revoke all on function public.my_capabilities() from public, anon;
grant execute on function public.my_capabilities() to authenticated;

-- The invitee is not a member yet, so RLS shows them no invitation: this definer function
-- answers only for the caller's own, confirmed e-mail address.
create or replace function private.my_invitations()
returns table (
  id uuid,
  client_id uuid,
  client_name text,
  role text,
  invited_by_name text,
  expires_at timestamptz,
  created_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select i.id, i.client_id, c.name, i.role, inviter.name, i.expires_at, i.created_at
  from public.users u
  join auth.users au on au.id = u.id and au.email_confirmed_at is not null
  join public.client_invitations i on i.email = lower(u.email)
  join public.clients c on c.id = i.client_id and c.status = 'active'
  left join public.users inviter on inviter.id = i.invited_by
  where u.id = (select auth.uid())
    and u.status = 'active'
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
    and not exists (
      select 1 from public.client_members cm where cm.client_id = i.client_id and cm.user_id = u.id
    )
  order by i.created_at, i.id;
end
$$;
comment on function private.my_invitations() is 'Pending, unexpired invitations to active clients for the caller''s confirmed e-mail (the invitee cannot see them through RLS).';
revoke all on function private.my_invitations() from public, anon;
grant execute on function private.my_invitations() to authenticated;

create or replace function public.me()
returns jsonb
language plpgsql
stable
-- invoker: the profile, memberships and clients come through RLS as the caller sees them.
set search_path = ''
as $$
declare
  v_profile jsonb;
begin
  select jsonb_build_object(
    'id', u.id, 'email', u.email, 'name', u.name, 'role', u.role, 'status', u.status,
    'created_at', u.created_at, 'last_login', u.last_login)
  into v_profile
  from public.users u where u.id = (select auth.uid());
  if v_profile is null then
    raise exception 'No profile for this account' using errcode = 'MS404', hint = 'profile_not_found';
  end if;
  return jsonb_build_object(
    'profile', v_profile,
    'platform_role', v_profile ->> 'role',
    'memberships', coalesce((
      select jsonb_agg(jsonb_build_object(
        'client_id', c.id, 'client_name', c.name, 'client_status', c.status, 'role', cm.role,
        'joined_at', cm.created_at) order by c.name, c.id)
      from public.client_members cm
      join public.clients c on c.id = cm.client_id
      where cm.user_id = (select auth.uid())
    ), '[]'::jsonb),
    'invitations', coalesce((select jsonb_agg(to_jsonb(i)) from private.my_invitations() i), '[]'::jsonb),
    'capabilities', public.my_capabilities()
  );
end
$$;
comment on function public.me() is 'The caller: profile, platform role, memberships (client name, status, role), pending invitations and capabilities.';
revoke all on function public.me() from public, anon;
grant execute on function public.me() to authenticated;

-- Accepting without handling a token: the invitation is bound to the caller's confirmed
-- e-mail, which Auth verified when they followed the invite link or set up the account.
create or replace function private.accept_invitation_by_id(p_invitation_id uuid)
returns jsonb
language plpgsql
-- definer: the invitee is not a member yet; every rule is checked here, in this order.
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
  select u.email, u.status, au.email_confirmed_at into v_user
  from public.users u join auth.users au on au.id = u.id where u.id = v_uid;
  if not found or v_user.status <> 'active' then
    raise exception 'Your account is not active' using errcode = 'MS403', hint = 'account_not_active';
  end if;
  if v_user.email_confirmed_at is null then
    raise exception 'Confirm your e-mail address first'
      using errcode = 'MS403', hint = 'email_not_confirmed';
  end if;
  select i.* into inv from public.client_invitations i where i.id = p_invitation_id for update;
  -- Another address's invitation answers as if it did not exist: ids are not probes.
  if not found or inv.revoked_at is not null or inv.email <> lower(v_user.email) then
    raise exception 'Invitation not found' using errcode = 'MS404', hint = 'invitation_not_found';
  end if;
  return private.complete_invitation(inv, v_uid);
end
$$;
comment on function private.accept_invitation_by_id(uuid) is 'Invitee: accepts one of their pending invitations (listed by me()) by id; bound to their confirmed e-mail (404 unknown/other address/revoked, 409 used or member, 422 expired or client inactive).';
revoke all on function private.accept_invitation_by_id(uuid) from public, anon;
grant execute on function private.accept_invitation_by_id(uuid) to authenticated;
