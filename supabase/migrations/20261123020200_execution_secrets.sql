-- A client's Gemini API key for one execution. The key is encrypted in the Edge Function
-- (AES-GCM, server-side secret GEMINI_KEY_ENCRYPTION_KEY, execution id as associated data),
-- so the database never sees it in clear; and even the ciphertext is out of reach of every
-- API role: the table sits in the unexposed private schema with no grants and RLS on without
-- policies. Writes go through store_execution_api_key (the starter, in the start
-- transaction); reads only through the service's execution_job.

create table private.execution_secrets (
  execution_id uuid primary key references public.workflow_executions (id) on delete cascade,
  api_key_ciphertext text not null check (length(api_key_ciphertext) between 1 and 4096),
  created_at timestamptz not null default now()
);
comment on table private.execution_secrets is 'Encrypted client Gemini API key per execution; deleted when the execution is finalised. No API role can select it.';
comment on column private.execution_secrets.api_key_ciphertext is 'v1.<iv>.<ciphertext> (base64url), AES-256-GCM, associated data = execution id.';

alter table private.execution_secrets enable row level security;
revoke all on private.execution_secrets from public, anon, authenticated, service_role;

create or replace function private.store_execution_api_key(p_execution_id uuid, p_ciphertext text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Only the starter, only on a run that declared it brings a key and has not started: a
  -- member can neither attach a key to someone else's run nor swap one mid-run.
  if not exists (
    select 1
    from public.workflow_executions e
    where e.id = p_execution_id
      and e.triggered_by_user_id = (select auth.uid())
      and e.status = 'pending'
      and coalesce((e.input_data ->> 'uses_client_api_key')::boolean, false)
  ) then
    raise exception 'No such pending execution of yours that takes an API key'
      using errcode = 'MS404', hint = 'not_found';
  end if;
  insert into private.execution_secrets (execution_id, api_key_ciphertext)
  values (p_execution_id, p_ciphertext)
  on conflict (execution_id) do nothing;
  if not found then
    raise exception 'This execution already has an API key'
      using errcode = 'MS409', hint = 'api_key_already_stored';
  end if;
end
$$;
comment on function private.store_execution_api_key(uuid, text) is 'Stores the encrypted API key of the caller''s own pending execution, once.';
revoke all on function private.store_execution_api_key(uuid, text) from public, anon;
grant execute on function private.store_execution_api_key(uuid, text) to authenticated;

-- The processor calls the private.* batch functions as service_role.
grant usage on schema private to service_role;
