-- Schema for helpers that policies and triggers call. It is not in the API's exposed schemas
-- and nobody but postgres may use it unless granted function by function.
create schema if not exists private;
comment on schema private is 'Internal helpers for RLS and triggers; not exposed through the API.';

revoke all on schema private from public;
-- Policies run as the caller, so the caller must be able to reach the helpers they call.
grant usage on schema private to authenticated;

create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.set_updated_at() is 'BEFORE UPDATE trigger: stamps updated_at so callers cannot forget or forge it.';
revoke all on function private.set_updated_at() from public;
