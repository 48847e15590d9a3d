-- Supabase's API roles. A hosted project already has them; the local stack creates them on a
-- fresh cluster so that migrations, grants and policies mean the same thing in both places.
-- anon / authenticated / service_role are never logged into directly: a request switches to
-- one of them with `set role` after its JWT is verified (authenticator does that for
-- PostgREST; our functions do it from the `postgres` connection).

create role anon nologin noinherit;
comment on role anon is 'Requests without a user session (publishable / legacy anon key).';

create role authenticated nologin noinherit;
comment on role authenticated is 'Requests carrying a verified user access token; RLS decides what they see.';

create role service_role nologin noinherit bypassrls;
comment on role service_role is 'Trusted server-side callers (secret / service_role key); bypasses RLS.';

create role authenticator login noinherit;
comment on role authenticator is 'Connection role of the API gateway; can only switch into the three API roles.';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
