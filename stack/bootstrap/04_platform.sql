-- Remaining pieces every Supabase project has before its first migration.

-- Realtime streams the tables added to this publication; it starts empty.
create publication supabase_realtime;
comment on publication supabase_realtime is 'Tables whose changes Supabase Realtime broadcasts.';

-- No supabase_migrations schema here: `supabase db push` creates it (as postgres) on its first
-- run and keeps the history in it, as on a new hosted project.
