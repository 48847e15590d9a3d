-- Supabase installs extensions into a dedicated schema so they stay out of the API surface.
-- A hosted project comes with pgcrypto, uuid-ossp (schema extensions) and Vault (schema vault)
-- already installed by supabase_admin; a migration's `create extension if not exists` of
-- them is a no-op there and here.
create schema if not exists extensions;
comment on schema extensions is 'Home of installed extensions (pgcrypto, uuid-ossp, ...), as on Supabase.';

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

grant usage on schema extensions to anon, authenticated, service_role;
-- Supabase's demote-postgres grants: postgres may create in extensions and use what is there.
grant all on schema extensions to postgres;
grant all on all tables in schema extensions to postgres;
grant all on all sequences in schema extensions to postgres;
grant all on all routines in schema extensions to postgres;

create extension if not exists supabase_vault;
select supautils_local.run_custom_script('supabase_vault', 'after-create');
