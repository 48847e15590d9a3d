-- The roles of a hosted Supabase project. Run as supabase_admin, the cluster's bootstrap
-- superuser (initdb -U supabase_admin), as on Supabase. Nothing the project runs (migrations,
-- seed, functions) connects as supabase_admin: they use `postgres`, which is NOT a superuser.

-- postgres: the role migrations, the SQL editor and SUPABASE_DB_URL use. Hosted gives it
-- exactly these attributes (Supabase's demote-postgres migration) and no superuser.
create role postgres login nosuperuser inherit createdb createrole replication bypassrls;
comment on role postgres is 'Project owner role (migrations, SUPABASE_DB_URL): not a superuser, as on hosted Supabase.';

-- The database is postgres's, as on hosted (it may alter database settings); the public schema
-- belongs to pg_database_owner, so postgres may create in it.
alter database postgres owner to postgres;
grant all on database postgres to postgres;

-- API roles, switched into with `set role` after a JWT is verified. Hosted made them inherit
-- in 2023; noinherit on authenticator keeps it from using them without switching.
create role anon nologin inherit;
comment on role anon is 'Requests without a user session (publishable / legacy anon key).';

create role authenticated nologin inherit;
comment on role authenticated is 'Requests carrying a verified user access token; RLS decides what they see.';

create role service_role nologin inherit bypassrls;
comment on role service_role is 'Trusted server-side callers (secret / service_role key); bypasses RLS.';

create role authenticator login noinherit;
comment on role authenticator is 'Connection role of the API gateway; can only switch into the three API roles.';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- The service roles that own Auth's and Storage's schemas. postgres is NOT their member on
-- hosted; locally it is (see 00_supautils.sql for why, and what refuses the rest).
create role supabase_auth_admin login noinherit noreplication;
comment on role supabase_auth_admin is 'Owner of the auth schema''s objects (Supabase Auth connects as it).';

create role supabase_storage_admin login noinherit createrole noreplication;
comment on role supabase_storage_admin is 'Owner of the storage schema''s objects (Supabase Storage connects as it).';
grant anon, authenticated, service_role to supabase_storage_admin;

-- Session defaults hosted sets (post-setup): extensions on the search path, auth not.
alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role postgres set search_path to "$user", public, extensions;
alter role supabase_auth_admin set search_path to auth;
alter role supabase_storage_admin set search_path to storage;

-- Statement timeouts hosted gives the API roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
