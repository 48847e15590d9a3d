-- Stand-in for the part of Supabase Auth (GoTrue) that SQL can see: the users table and the
-- claim helpers. There is no auth server locally; the stack mints tokens for rows of
-- auth.users and the functions put the verified claims into request.jwt.claims.
create schema if not exists auth;
comment on schema auth is 'Supabase Auth schema (stand-in): auth.users and JWT claim helpers.';

create table auth.users (
  instance_id uuid,
  -- GoTrue always supplies the id; the default only spares local fixtures from inventing one.
  id uuid primary key default gen_random_uuid(),
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_sign_in_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
comment on table auth.users is 'Supabase Auth users (stand-in with the main GoTrue columns).';
comment on column auth.users.raw_app_meta_data is 'Server-controlled metadata (users cannot edit it); may carry {"role":"admin"}.';
comment on column auth.users.raw_user_meta_data is 'User-editable metadata (e.g. {"name": ...}); never trusted for authorization.';

-- GoTrue keeps e-mails unique for non-SSO users; there are no SSO users here.
create unique index users_email_key on auth.users (email);

-- The four helpers exactly as Supabase defines them: the older per-claim GUCs first, then the
-- request.jwt.claims JSON that PostgREST (and our functions) set.
create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
comment on function auth.uid() is 'The sub claim of the current request''s JWT (the caller''s user id), or null.';

create or replace function auth.role()
returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
comment on function auth.role() is 'The role claim of the current request''s JWT.';

create or replace function auth.email()
returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
comment on function auth.email() is 'The email claim of the current request''s JWT.';

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
comment on function auth.jwt() is 'All claims of the current request''s JWT as jsonb.';

grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;
