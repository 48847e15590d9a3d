-- Members reach these tables directly through PostgREST, not only through the functions, and a
-- direct insert could name every column: a caller-chosen id (which could reclaim the Storage
-- folder of a deleted execution), a created_at in 1970 or 2999 (which starved the sweep and
-- pinned rows to page 1 of every listing), the server-owned columns of a run. From now on an
-- API session may name only the columns a caller legitimately chooses; id, created_at,
-- updated_at and every derived column take their defaults or are set by trigger. Naming
-- another column is refused (42501, 403 through the functions). Admins are API sessions too:
-- the same list holds for them.

-- workflow_executions: the start request. status is kept insertable for the policy's sake (it
-- insists on pending); concurrency, prices and chain bookkeeping come from the triggers.
revoke insert on public.workflow_executions from authenticated;
grant insert (workflow_id, client_id, triggered_by_user_id, status, input_data, idempotency_key, request_hash)
  on public.workflow_executions to authenticated;

-- support_tickets: what a member writes when opening a ticket (status and assignee are checked
-- by the policy and check_ticket_rules).
revoke insert on public.support_tickets from authenticated;
grant insert (client_id, user_id, subject, description, status, priority, assigned_to)
  on public.support_tickets to authenticated;

-- workflow_requests: reviewed_by / reviewed_at are stamped by review_workflow_request.
revoke insert on public.workflow_requests from authenticated;
grant insert (client_id, workflow_id, status, notes, requested_by, admin_notes)
  on public.workflow_requests to authenticated;

-- client_invitations: an owner could insert an invitation with a token_hash of their choosing
-- (a weak token) and any expiry up to 30 days. The token is now always made here, by trigger,
-- from 32 random bytes, and the expiry is the default; create_invitation reads the token back
-- from a transaction-local setting to show it once. A direct insert gets an invitation whose
-- token nobody knows (harmless: it can only be revoked).
revoke insert on public.client_invitations from authenticated;
grant insert (client_id, email, role) on public.client_invitations to authenticated;

create or replace function private.issue_invitation_token()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_token text;
begin
  if new.token_hash is null then
    v_token := encode(extensions.gen_random_bytes(32), 'hex');
    new.token_hash := encode(sha256(convert_to(v_token, 'UTF8')), 'hex');
    perform set_config('masstock.invitation_token', v_token, true);
  end if;
  return new;
end
$$;
comment on function private.issue_invitation_token() is 'BEFORE INSERT on client_invitations: the token is made by the database (API roles cannot write token_hash); its clear text is left in the transaction-local setting masstock.invitation_token for create_invitation.';
revoke all on function private.issue_invitation_token() from public;

create trigger issue_invitation_token before insert on public.client_invitations
  for each row execute function private.issue_invitation_token();
comment on trigger issue_invitation_token on public.client_invitations is 'Invitation tokens are random and made by the database, never chosen by the inviter.';

-- E-mail addresses with spaces or control characters (CR/LF: header injection in whatever
-- mails the invitation) are refused by every writer, not only by the function's validation.
alter table public.client_invitations
  add constraint client_invitations_email_plain check (email !~ '[[:space:][:cntrl:]]');
comment on constraint client_invitations_email_plain on public.client_invitations is 'No whitespace or control characters (CR/LF) in an invitee address.';

-- Replaces 20261123010700's version: the token comes from the trigger, and a malformed address
-- is a clear 400 before anything is written.
create or replace function public.create_invitation(p_client_id uuid, p_email text, p_role text)
returns jsonb
language plpgsql
-- invoker: the insert policy decides who may invite (owners, admins); 403 otherwise.
set search_path = ''
as $$
declare
  v_email text := lower(trim(p_email));
  v_token text;
  v_status text;
  inv record;
begin
  if v_email is null or length(v_email) not between 3 and 320
    or v_email !~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$' then
    raise exception 'email must be an e-mail address without spaces or control characters'
      using errcode = 'MS400', hint = 'invalid_request',
        detail = jsonb_build_array(jsonb_build_object('field', 'email',
          'message', 'must be an e-mail address'))::text;
  end if;
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

  perform set_config('masstock.invitation_token', '', true);
  insert into public.client_invitations (client_id, email, role)
  values (p_client_id, v_email, p_role)
  returning id, client_id, email, role, invited_by, expires_at, created_at into inv;
  v_token := nullif(current_setting('masstock.invitation_token', true), '');
  perform set_config('masstock.invitation_token', '', true);
  if v_token is null then
    raise exception 'create_invitation: the invitation token was not issued';
  end if;

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
comment on function public.create_invitation(uuid, text, text) is 'Owner/admin: invites an e-mail with a role; returns the invitation with its token (made by the database), the only time the token is ever shown. 400 malformed e-mail.';
