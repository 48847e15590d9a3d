-- Stand-in for the part of Supabase Auth (GoTrue) that SQL can see: the users table and the
-- claim helpers. There is no auth server locally; the stack mints tokens for rows of
-- auth.users and the functions put the verified claims into request.jwt.claims.
-- Ownership as on hosted: schema auth is supabase_admin's, its objects supabase_auth_admin's;
-- postgres may read and write the rows and add triggers and policies, nothing else.
create schema if not exists auth authorization supabase_admin;
comment on schema auth is 'Supabase Auth schema (stand-in): auth.users and JWT claim helpers.';
grant all on schema auth to supabase_auth_admin;

set local role supabase_auth_admin;

-- The columns of Supabase Auth's auth.users after its migrations, no more, no less. GoTrue
-- always supplies the id: there is no default, so an insert without one fails as on hosted.
create table auth.users (
  instance_id uuid,
  id uuid not null,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0,
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone),
  constraint users_email_change_confirm_status_check
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
comment on column auth.users.raw_app_meta_data is 'Server-controlled metadata (users cannot edit it); may carry {"role":"admin"}.';
comment on column auth.users.raw_user_meta_data is 'User-editable metadata (e.g. {"name": ...}); never trusted for authorization.';

-- GoTrue's indexes: e-mails unique among non-SSO users, tokens unique when set.
create unique index users_email_partial_key on auth.users (email) where (is_sso_user = false);
comment on index auth.users_email_partial_key is 'Auth: A partial unique index that applies only when is_sso_user is false';
create index users_instance_id_idx on auth.users (instance_id);
create index users_instance_id_email_idx on auth.users (instance_id, lower(email::text));
create index users_is_anonymous_idx on auth.users (is_anonymous);
create unique index confirmation_token_idx on auth.users (confirmation_token)
  where confirmation_token::text !~ '^[0-9 ]*$';
create unique index recovery_token_idx on auth.users (recovery_token)
  where recovery_token::text !~ '^[0-9 ]*$';
create unique index email_change_token_current_idx on auth.users (email_change_token_current)
  where email_change_token_current::text !~ '^[0-9 ]*$';
create unique index email_change_token_new_idx on auth.users (email_change_token_new)
  where email_change_token_new::text !~ '^[0-9 ]*$';
create unique index reauthentication_token_idx on auth.users (reauthentication_token)
  where reauthentication_token::text !~ '^[0-9 ]*$';

-- GoTrue enables RLS on every auth table (no policies: only owners and bypassrls roles read).
alter table auth.users enable row level security;

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

reset role;

grant usage on schema auth to anon, authenticated, service_role, postgres;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role, postgres;
-- Supabase's demote-postgres grants: every table privilege on Auth's tables (TRIGGER included,
-- which is how migrations attach triggers to auth.users), not ownership.
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
