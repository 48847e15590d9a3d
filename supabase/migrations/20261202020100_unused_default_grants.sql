-- What the platform grants the API roles by default and the product never uses. None of it is
-- reachable through PostgREST today (net, storage and the sequences are not in the exposed
-- schemas), but each is one SQL injection or one exposed view away from a real hole, so it is
-- taken away here, or, where postgres cannot take it away on hosted, refused by trigger.
-- tests/db/api_role_privileges.test.sql lists every privilege anon and authenticated keep.
--
-- What postgres can and cannot revoke on hosted: a role revokes only the grants it made
-- itself. pg_net is created by supautils as supabase_admin, who owns schema net and granted
-- everything in it to PUBLIC; storage.* belongs to supabase_storage_admin, who granted ALL on
-- storage.objects and storage.buckets to anon and authenticated (postgres holds ALL with grant
-- option there, which lets it create triggers, not take the owner's grants away). A revoke of
-- those grants by postgres changes nothing (with at most a warning), so for them this file
-- adds statement triggers that refuse the dangerous operations to the API roles instead.

-- Sequences ------------------------------------------------------------------------------------
-- The only sequences in public are the identity columns of audit_logs and
-- ticket_status_history, written by security definer triggers only (an identity default does
-- not check sequence privileges). A user who could setval them would break every audited write
-- platform-wide, and setval survives a rollback.
revoke all on all sequences in schema public from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from authenticated;

-- The write guard ---------------------------------------------------------------------------------
create or replace function private.refuse_api_role_statement()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- current_user is the role running the statement: a security definer function of ours
  -- (kick_execution, the cleanup job) runs it as postgres and passes.
  if current_user in ('anon', 'authenticated') then
    raise exception '% on %.% is not allowed for API roles', tg_op, tg_table_schema, tg_table_name
      using errcode = '42501';
  end if;
  return null;
end
$$;
comment on function private.refuse_api_role_statement() is 'Statement trigger on platform-owned tables (pg_net queue, storage): refuses the operation to anon and authenticated, whose grants there only the platform could revoke.';
revoke all on function private.refuse_api_role_statement() from public;

-- Storage ----------------------------------------------------------------------------------------
-- TRUNCATE skips RLS (and Storage's own delete protection, which is a DELETE trigger); REFERENCES
-- and TRIGGER are schema-owner tools. The product reads and writes storage only through the
-- Storage API, which runs DML under RLS; those grants stay.
revoke truncate, references, trigger on storage.objects, storage.buckets from anon, authenticated;

do $$
begin
  if has_table_privilege(current_user, 'storage.objects', 'TRIGGER')
    and has_table_privilege(current_user, 'storage.buckets', 'TRIGGER') then
    create trigger refuse_api_role_truncate before truncate on storage.objects
      for each statement execute function private.refuse_api_role_statement();
    create trigger refuse_api_role_truncate before truncate on storage.buckets
      for each statement execute function private.refuse_api_role_statement();
  else
    -- The catalog test fails loudly in this case (TRUNCATE must be refused either way).
    raise warning 'cannot create triggers on storage.objects/buckets as %: TRUNCATE by API roles stays possible where the platform granted it', current_user;
  end if;
end
$$;

-- pg_net ----------------------------------------------------------------------------------------
-- The product calls net.http_post only from kick_execution and reads net._http_response only in
-- cleanup_batch_history, both security definer functions owned by postgres. API roles must
-- not send requests (SSRF), read or rewrite the queue (each request carries the secret key) or
-- read responses.
do $$
declare
  v_owner name := (select r.rolname from pg_namespace n join pg_roles r on r.oid = n.nspowner
                   where n.nspname = 'net');
begin
  if v_owner is null then
    return;
  end if;
  if v_owner = current_user then
    -- Self-hosted (or a stand-in) where the migration role created pg_net: take it all away.
    revoke all on schema net from public, anon, authenticated;
    revoke all on all tables in schema net from public, anon, authenticated;
    revoke all on all sequences in schema net from public, anon, authenticated;
    revoke all on all functions in schema net from public, anon, authenticated;
  else
    raise notice 'schema net belongs to %: its grants to PUBLIC stay; API-role writes are refused by trigger', v_owner;
  end if;
end
$$;

-- Where the grants stay (hosted), writes are what can hurt: sending (SSRF through net.http_post
-- inserts a queue row), rewriting a queued request's url to capture its secret key, deleting
-- or truncating the queue and the responses. Reads cannot be refused this way; they need SQL
-- access that the API does not give (net is not an exposed schema and no function in an
-- exposed schema touches it, which the catalog test checks).
do $$
begin
  if to_regclass('net.http_request_queue') is null then
    return;
  end if;
  if has_table_privilege(current_user, 'net.http_request_queue', 'TRIGGER')
    and has_table_privilege(current_user, 'net._http_response', 'TRIGGER') then
    create trigger refuse_api_role_writes before insert or update or delete or truncate
      on net.http_request_queue
      for each statement execute function private.refuse_api_role_statement();
    create trigger refuse_api_role_writes before insert or update or delete or truncate
      on net._http_response
      for each statement execute function private.refuse_api_role_statement();
  else
    raise warning 'cannot create triggers on the pg_net tables as %: API roles may still enqueue requests', current_user;
  end if;
end
$$;

-- pg_graphql ---------------------------------------------------------------------------------
-- Revoked (the extension is dropped, which is how Supabase disables it): no frontend of the
-- product speaks GraphQL, and with pg_graphql installed every table authenticated may select is
-- described over /graphql/v1 to any signed-in user (names, columns, relations), the advisor's
-- pg_graphql_authenticated_table_exposed WARN. Data access is the REST API and the functions;
-- re-enabling GraphQL is one `create extension pg_graphql` away if a frontend ever needs it.
drop extension if exists pg_graphql;
