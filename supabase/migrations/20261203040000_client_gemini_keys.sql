-- A client's stored Gemini API key: its owners set, rotate and delete it; executions of a
-- workflow that runs on the client's own key use it when the start request brings none.
--
-- The key is sealed in the Edge Function (AES-256-GCM under GEMINI_KEY_ENCRYPTION_KEY, the
-- client id as associated data), the same envelope as a per-execution key, not in Vault: Vault
-- decrypts inside the database for whoever may read vault.decrypted_secrets, so a database
-- dump, a backup or one SQL injection as postgres would hand out every client's key, whereas
-- this ciphertext is useless without a secret the database never holds. It is write-only: no
-- API role can read even the ciphertext; owners see a keyed fingerprint, when it was set and
-- whether Google has rejected it.

create table private.client_api_keys (
  client_id uuid primary key references public.clients (id) on delete cascade,
  api_key_ciphertext text not null check (length(api_key_ciphertext) between 1 and 4096),
  fingerprint text not null check (fingerprint ~ '^[A-Za-z0-9_-]{16,64}$'),
  status text not null default 'active' check (status in ('active', 'rejected')),
  set_at timestamptz not null default now(),
  set_by uuid,
  rejected_at timestamptz,
  rejected_reason text check (length(rejected_reason) <= 500),
  constraint client_api_keys_rejection_stamped check ((status = 'rejected') = (rejected_at is not null))
);
comment on table private.client_api_keys is 'Encrypted Gemini API key per client (write-only: set, rotated and deleted by owners; read only by the batch link as service_role).';
comment on column private.client_api_keys.api_key_ciphertext is 'v1.<iv>.<ciphertext> (base64url), AES-256-GCM, associated data = client:<client id>.';
comment on column private.client_api_keys.fingerprint is 'Keyed fingerprint (HMAC-SHA-256 under a key derived from GEMINI_KEY_ENCRYPTION_KEY, base64url, truncated): tells keys apart without revealing them.';
comment on column private.client_api_keys.status is 'active, or rejected once Google refused it (a new key resets it).';
comment on column private.client_api_keys.set_at is 'When this key was set or last rotated.';
comment on column private.client_api_keys.set_by is 'auth.uid() of the owner who set it.';
comment on column private.client_api_keys.rejected_at is 'When Google refused the key (null while active).';
comment on column private.client_api_keys.rejected_reason is 'What Google answered, without the key.';

alter table private.client_api_keys enable row level security;
revoke all on private.client_api_keys from public, anon, authenticated, service_role;

-- What owners may see of their key: everything but the ciphertext.
create or replace function private.client_api_key_view(p_row private.client_api_keys)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case when p_row.client_id is null then null else jsonb_build_object(
    'client_id', p_row.client_id,
    'fingerprint', p_row.fingerprint,
    'status', p_row.status,
    'set_at', p_row.set_at,
    'set_by', p_row.set_by,
    'rejected_at', p_row.rejected_at,
    'rejected_reason', p_row.rejected_reason
  ) end
$$;
comment on function private.client_api_key_view(private.client_api_keys) is 'A stored key as its owners see it: fingerprint, status and stamps, never the ciphertext.';
revoke all on function private.client_api_key_view(private.client_api_keys) from public, anon;

-- Owners only, admins included only if they own the client: the key pays Google on the
-- client's account, so platform staff have no business replacing it. A member who is not an
-- owner is told so (403); anyone else learns nothing (404).
create or replace function private.assert_client_key_owner(p_client_id uuid)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_client_id in (select private.my_owned_client_ids()) then
    return;
  end if;
  if p_client_id in (select private.my_client_ids()) then
    raise exception 'Only the client''s owners manage its Gemini API key'
      using errcode = 'MS403', hint = 'client_owner_only';
  end if;
  raise exception 'No such client' using errcode = 'MS404', hint = 'client_not_found';
end
$$;
comment on function private.assert_client_key_owner(uuid) is 'Raises unless the caller is an active owner of the active client (403 for other members, 404 for everyone else).';
revoke all on function private.assert_client_key_owner(uuid) from public, anon;

create or replace function private.set_client_api_key(
  p_client_id uuid,
  p_ciphertext text,
  p_fingerprint text
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row private.client_api_keys;
  v_rotated boolean;
begin
  perform private.assert_client_key_owner(p_client_id);
  v_rotated := exists (select 1 from private.client_api_keys k where k.client_id = p_client_id);
  insert into private.client_api_keys as k (client_id, api_key_ciphertext, fingerprint, set_by)
  values (p_client_id, p_ciphertext, p_fingerprint, (select auth.uid()))
  on conflict (client_id) do update
    set api_key_ciphertext = excluded.api_key_ciphertext,
        fingerprint = excluded.fingerprint,
        set_by = excluded.set_by,
        set_at = now(),
        status = 'active',
        rejected_at = null,
        rejected_reason = null
  returning * into v_row;
  return private.client_api_key_view(v_row) || jsonb_build_object('rotated', v_rotated);
end
$$;
comment on function private.set_client_api_key(uuid, text, text) is 'Sets or rotates the client''s sealed Gemini key (owners only); answers the owner''s view plus rotated.';
revoke all on function private.set_client_api_key(uuid, text, text) from public, anon;
grant execute on function private.set_client_api_key(uuid, text, text) to authenticated;

create or replace function private.delete_client_api_key(p_client_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row private.client_api_keys;
begin
  perform private.assert_client_key_owner(p_client_id);
  -- Idempotent: deleting an absent key answers null (a retried request is harmless).
  delete from private.client_api_keys k where k.client_id = p_client_id returning * into v_row;
  return private.client_api_key_view(v_row);
end
$$;
comment on function private.delete_client_api_key(uuid) is 'Deletes the client''s stored Gemini key (owners only); answers what was deleted (null if there was none), without the ciphertext.';
revoke all on function private.delete_client_api_key(uuid) from public, anon;
grant execute on function private.delete_client_api_key(uuid) to authenticated;

create or replace function private.client_api_key_status(p_client_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_row private.client_api_keys;
begin
  perform private.assert_client_key_owner(p_client_id);
  select * into v_row from private.client_api_keys k where k.client_id = p_client_id;
  return private.client_api_key_view(v_row);
end
$$;
comment on function private.client_api_key_status(uuid) is 'The owner''s view of the client''s stored Gemini key (fingerprint, status, stamps; null if none); owners only.';
revoke all on function private.client_api_key_status(uuid) from public, anon;
grant execute on function private.client_api_key_status(uuid) to authenticated;

-- For the batch link: the stored key of the execution's client, sealed. Only for executions
-- that run on the client's own key and brought none of their own.
create or replace function private.execution_client_api_key(p_execution_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'client_id', k.client_id,
    'api_key_ciphertext', k.api_key_ciphertext,
    'fingerprint', k.fingerprint,
    'status', k.status
  )
  from public.workflow_executions e
  join private.client_api_keys k on k.client_id = e.client_id
  where e.id = p_execution_id
    and coalesce((e.input_data ->> 'uses_client_api_key')::boolean, false)
    and not exists (select 1 from private.execution_secrets s where s.execution_id = e.id)
$$;
comment on function private.execution_client_api_key(uuid) is 'The sealed stored key of an execution''s client, for an execution on the client''s key without a key of its own. Service only.';
revoke all on function private.execution_client_api_key(uuid) from public, anon, authenticated;
grant execute on function private.execution_client_api_key(uuid) to service_role;

-- Google refused the key: mark it, unless it was rotated meanwhile (the fingerprint names the
-- key that was refused), and tell the client's members on their Realtime topic. The owner
-- also finds the change in the audit trail and in the key's status.
create or replace function private.reject_client_api_key(
  p_client_id uuid,
  p_fingerprint text,
  p_reason text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row private.client_api_keys;
begin
  update private.client_api_keys k
  set status = 'rejected', rejected_at = now(), rejected_reason = left(coalesce(p_reason, ''), 500)
  where k.client_id = p_client_id and k.fingerprint = p_fingerprint and k.status = 'active'
  returning * into v_row;
  if v_row.client_id is null then
    return false;
  end if;
  begin
    perform realtime.send(
      jsonb_build_object('client_id', v_row.client_id, 'fingerprint', v_row.fingerprint,
        'status', v_row.status, 'rejected_at', v_row.rejected_at,
        'rejected_reason', v_row.rejected_reason),
      'api_key_rejected', 'client:' || v_row.client_id, true);
  exception when others then
    -- The status and the audit row are the record; a missed broadcast only delays the news.
    raise warning 'api_key_rejected not broadcast for client %: %', v_row.client_id, sqlerrm;
  end;
  return true;
end
$$;
comment on function private.reject_client_api_key(uuid, text, text) is 'Marks the client''s stored key rejected by Google if it is still the key with this fingerprint; broadcasts api_key_rejected on client:<id>. Service only.';
revoke all on function private.reject_client_api_key(uuid, text, text) from public, anon, authenticated;
grant execute on function private.reject_client_api_key(uuid, text, text) to service_role;

-- Every set, rotation, rejection and deletion goes to the client's audit trail (owners read
-- it), without the ciphertext.
create or replace function private.write_client_api_key_audit_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.audit_logs (client_id, actor_id, action, table_name, record_id, old_data, new_data)
  values (
    coalesce(new.client_id, old.client_id),
    (select auth.uid()),
    lower(tg_op),
    tg_table_name,
    coalesce(new.client_id, old.client_id),
    case when tg_op <> 'INSERT' then to_jsonb(old) - 'api_key_ciphertext' end,
    case when tg_op <> 'DELETE' then to_jsonb(new) - 'api_key_ciphertext' end
  );
  return null;
end
$$;
comment on function private.write_client_api_key_audit_log() is 'AFTER row trigger on client_api_keys: appends set (insert), rotation or rejection (update) and deletion to audit_logs, ciphertext removed.';
revoke all on function private.write_client_api_key_audit_log() from public;

create trigger audit_client_api_keys
  after insert or update or delete on private.client_api_keys
  for each row execute function private.write_client_api_key_audit_log();
comment on trigger audit_client_api_keys on private.client_api_keys is 'Set, rotate, reject and delete of a client''s Gemini key are audited.';

-- A start without a key on a workflow that runs on the client's own key uses the stored key:
-- the run is marked as on the client's key (the link finds no key of its own and takes the
-- client's). A stored key Google rejected is refused at the start instead of failing the run.
-- Named to fire before executions_before_insert and after the input shape check.
create or replace function private.executions_use_stored_api_key()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status text;
begin
  if coalesce((new.input_data ->> 'uses_client_api_key')::boolean, false)
    or not coalesce((
      select (w.config ->> 'requires_api_key')::boolean from public.workflows w
      where w.id = new.workflow_id
    ), false) then
    return new;
  end if;
  select k.status into v_status from private.client_api_keys k where k.client_id = new.client_id;
  if v_status = 'active' then
    new.input_data := new.input_data || jsonb_build_object('uses_client_api_key', true);
  elsif v_status = 'rejected'
    -- BEFORE triggers run before RLS checks the row: only the client's own members (or
    -- service callers) may learn the key's state; anyone else is refused by RLS next.
    and ((select auth.uid()) is null or new.client_id in (select private.my_client_ids())) then
    raise exception 'The client''s stored Gemini API key was rejected by Google: an owner must set a new one, or send api_key'
      using errcode = 'MS422', hint = 'api_key_rejected',
        detail = jsonb_build_array(jsonb_build_object('field', 'api_key',
          'message', 'the stored key was rejected by Google'))::text;
  end if;
  return new;
end
$$;
comment on function private.executions_use_stored_api_key() is 'BEFORE INSERT on workflow_executions: a keyless start on a requires_api_key workflow runs on the client''s stored key (refused if Google rejected it).';
revoke all on function private.executions_use_stored_api_key() from public;

create trigger executions_api_key_from_client before insert on public.workflow_executions
  for each row execute function private.executions_use_stored_api_key();
comment on trigger executions_api_key_from_client on public.workflow_executions is 'Keyless starts on client-key workflows use the client''s stored key.';
