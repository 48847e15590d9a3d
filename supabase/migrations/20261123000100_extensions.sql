-- Extensions the project relies on, created the way a Supabase project does. The local stack
-- installs same-API stand-ins for pg_net and supabase_vault, so these lines run unchanged on
-- both.

-- gen_random_uuid() is core Postgres; pgcrypto stays for crypt()/gen_salt() (seed passwords).
create extension if not exists pgcrypto with schema extensions;

-- Scheduled re-kicks of stalled batch chains and cleanup of old pg_net/cron rows. In
-- pg_catalog, as Supabase installs it (its supautils overrides the schema anyway): its objects
-- live in schema cron, and nothing of it lands in the exposed public schema.
create extension if not exists pg_cron with schema pg_catalog;

-- Asynchronous HTTP from SQL: the batch chain enqueues calls to process-batch; the request is
-- sent only if the enqueuing transaction commits. Objects live in schema net.
create extension if not exists pg_net with schema extensions;

-- The chain reads the functions' base URL and the secret key from Vault, never from code.
-- No `with schema vault`: that clause requires the schema to exist beforehand (true on a
-- hosted project, where Vault is preinstalled and this is a no-op); the extension's control
-- file names schema vault, so Postgres creates it here when it is missing.
create extension if not exists supabase_vault;
