-- Supabase grants every API role everything in public by default. anon (no user session)
-- has no business in this project: take it all away, now and for objects created later.
-- authenticated keeps DML and RLS decides row by row; service_role keeps everything.
revoke all on all tables in schema public from anon;
revoke all on all sequences in schema public from anon;
revoke all on all functions in schema public from anon;

alter default privileges for role postgres in schema public revoke all on tables from anon;
alter default privileges for role postgres in schema public revoke all on sequences from anon;
alter default privileges for role postgres in schema public revoke all on functions from anon;

-- Functions are also executable by PUBLIC (which anon is part of) unless revoked. Future
-- functions get EXECUTE only through the explicit grants above (authenticated,
-- service_role) or their own grant statements.
alter default privileges for role postgres revoke execute on functions from public;

-- TRUNCATE ignores RLS, and REFERENCES / TRIGGER are schema-owner tools: a user session
-- needs none of them.
revoke truncate, references, trigger on all tables in schema public from authenticated;
alter default privileges for role postgres in schema public
  revoke truncate, references, trigger on tables from authenticated;
