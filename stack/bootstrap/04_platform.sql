-- Remaining pieces every Supabase project has before its first migration.

-- Realtime streams the tables added to this publication; it starts empty.
create publication supabase_realtime;
comment on publication supabase_realtime is 'Tables whose changes Supabase Realtime broadcasts.';

-- The Supabase CLI records applied migrations here; the local stack's runner does the same.
create schema if not exists supabase_migrations;
comment on schema supabase_migrations is 'Migration history kept by the Supabase CLI (and the local stack).';

create table supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
comment on table supabase_migrations.schema_migrations is 'One row per applied migration file: version (timestamp), name, SQL.';
