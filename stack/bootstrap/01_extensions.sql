-- Supabase installs extensions into a dedicated schema so they stay out of the API surface.
create schema if not exists extensions;
comment on schema extensions is 'Home of installed extensions (pgcrypto, uuid-ossp, ...), as on Supabase.';

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

grant usage on schema extensions to anon, authenticated, service_role;
