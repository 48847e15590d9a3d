-- Local stand-in for supabase/vault 0.3: the same table, view and functions with the same
-- argument names and defaults. Real Vault encrypts with pgsodium (libsodium AEAD), which Debian
-- does not package; here `secret` holds base64 pgcrypto pgp_sym_encrypt output under a random
-- per-cluster key in vault._key, readable by superusers only. Encryption at rest, not a
-- security boundary: anyone who may read vault.decrypted_secrets sees the plaintext, as on
-- Supabase. The extension's owner is supabase_admin (hosted installs Vault as it); postgres and
-- service_role get their access from the after-create script, as on hosted. create_secret and
-- update_secret are security definer as in real Vault 0.3 (callers have no INSERT/UPDATE).

\echo use "create extension supabase_vault" to load this file. \quit

comment on schema vault is 'Supabase Vault (local stand-in): secrets encrypted at rest.';

create table vault._key (
  id int primary key default 1 check (id = 1),
  key text not null
);
comment on table vault._key is
  'Vault (local stand-in): the cluster''s secret-encryption key; superuser only (real Vault keeps it outside the database).';

-- gen_random_bytes comes from pgcrypto, on the install-time search_path as a required extension.
insert into vault._key (key) values (encode(gen_random_bytes(32), 'hex'));

create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is
  'Vault (local stand-in): secrets, `secret` encrypted with pgcrypto (key_id and nonce are unused here).';

create unique index secrets_name_idx on vault.secrets (name) where name is not null;
comment on index vault.secrets_name_idx is 'Vault (local stand-in): secret names are unique.';

-- The key is 32 random bytes, not a password: key stretching (pgcrypto's default iterated
-- S2K) would add nothing but ~0.1 ms to every read, which real Vault (libsodium) does not pay.
create function vault._encrypt(message text)
  returns text
  language sql
  volatile
  security definer
as $$
  select encode(
    pgp_sym_encrypt(message, (select k.key from vault._key as k), 's2k-mode=1, cipher-algo=aes256'),
    'base64')
$$;
comment on function vault._encrypt(text) is
  'Vault (local stand-in): encrypts a secret with the cluster key (pgcrypto).';

create function vault._decrypt(secret text)
  returns text
  language sql
  stable
  security definer
as $$
  select pgp_sym_decrypt(decode(secret, 'base64'), (select k.key from vault._key as k))
$$;
comment on function vault._decrypt(text) is
  'Vault (local stand-in): decrypts a stored secret with the cluster key (pgcrypto).';

-- Pin the helpers to wherever pgcrypto is installed (extensions on Supabase-like setups).
do $$
declare
  crypto_schema text := (
    select n.nspname from pg_extension as e
    join pg_namespace as n on n.oid = e.extnamespace
    where e.extname = 'pgcrypto'
  );
begin
  execute format('alter function vault._encrypt(text) set search_path = %I, pg_temp', crypto_schema);
  execute format('alter function vault._decrypt(text) set search_path = %I, pg_temp', crypto_schema);
end
$$;

create view vault.decrypted_secrets as
select
  s.id,
  s.name,
  s.description,
  s.secret,
  vault._decrypt(s.secret) as decrypted_secret,
  s.key_id,
  s.nonce,
  s.created_at,
  s.updated_at
from vault.secrets as s;
comment on view vault.decrypted_secrets is
  'Vault (local stand-in): vault.secrets with the plaintext in decrypted_secret.';

create function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
)
  returns uuid
  language plpgsql
  security definer
  set search_path = ''
as $$
declare
  secret_id uuid;
begin
  -- new_key_id is accepted and ignored, as in real Vault 0.3.
  insert into vault.secrets (secret, name, description)
  values (vault._encrypt(new_secret), new_name, new_description)
  returning id into secret_id;
  return secret_id;
end
$$;
comment on function vault.create_secret(text, text, text, uuid) is
  'Vault (local stand-in): stores a new encrypted secret and returns its id.';

create function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
)
  returns void
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  update vault.secrets as s
  set
    secret = case when new_secret is null then s.secret else vault._encrypt(new_secret) end,
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    updated_at = now()
  where s.id = secret_id;
end
$$;
comment on function vault.update_secret(uuid, text, text, text, uuid) is
  'Vault (local stand-in): changes a secret''s value, name or description (null keeps it).';

-- Dumps must carry the secrets and the key that decrypts them.
select pg_catalog.pg_extension_config_dump('vault.secrets', '');
select pg_catalog.pg_extension_config_dump('vault._key', '');

revoke all on schema vault from public;
revoke all on table vault._key, vault.secrets, vault.decrypted_secrets from public;
revoke all on function vault._encrypt(text), vault._decrypt(text) from public;
revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;

-- Read access for service_role (functions reading project_url / secret_key); the API roles get
-- nothing. Guarded so the extension also installs on a cluster without Supabase's roles. The
-- local stack's supautils stand-in adds postgres's grants (extension-custom-scripts).
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant usage on schema vault to service_role;
    grant select on table vault.secrets, vault.decrypted_secrets to service_role;
    grant execute on function vault._decrypt(text) to service_role;
  end if;
end
$$;
