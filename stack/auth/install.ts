// Applied at every stack boot, before the Auth stand-in serves: makes sure the role Supabase
// Auth connects as exists and owns what it must, and creates the Auth tables the platform
// bootstrap does not (sessions, refresh tokens, identities, one-time tokens, ...) as that role.
// On a stack whose bootstrap already made auth.users Supabase Auth's full table, owned by
// supabase_auth_admin, the first steps find nothing to do.
import type postgres from "postgres";

const schemaFile = new URL("./schema.sql", import.meta.url);

// auth.users columns GoTrue reads and writes that an older bootstrap may lack.
const userColumns: [string, string][] = [
  ["invited_at", "timestamptz"],
  ["confirmation_token", "varchar(255)"],
  ["confirmation_sent_at", "timestamptz"],
  ["recovery_token", "varchar(255)"],
  ["recovery_sent_at", "timestamptz"],
  ["email_change_token_new", "varchar(255)"],
  ["email_change", "varchar(255)"],
  ["email_change_sent_at", "timestamptz"],
  ["phone", "text default null"],
  ["phone_confirmed_at", "timestamptz"],
  ["phone_change", "text default ''"],
  ["phone_change_token", "varchar(255) default ''"],
  ["phone_change_sent_at", "timestamptz"],
  ["email_change_token_current", "varchar(255) default ''"],
  ["email_change_confirm_status", "smallint default 0"],
  ["reauthentication_token", "varchar(255) default ''"],
  ["reauthentication_sent_at", "timestamptz"],
  ["is_sso_user", "boolean not null default false"],
];

/** `sql` connects as the platform's superuser (supabase_admin), as Auth's own migrations run. */
export async function installAuthSchema(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`
      do $$ begin
        if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
          create role supabase_auth_admin login noinherit noreplication;
        end if;
      end $$`);
    const [state] = await tx<
      { owner: string; can_create: boolean; can_write: boolean; can_crypt: boolean }[]
    >`
      select t.tableowner as owner,
             has_schema_privilege('supabase_auth_admin', 'auth', 'create') as can_create,
             has_table_privilege('supabase_auth_admin', 'auth.users', 'insert, update, delete')
               as can_write,
             has_schema_privilege('supabase_auth_admin', 'extensions', 'usage') as can_crypt
      from pg_tables t where t.schemaname = 'auth' and t.tablename = 'users'`;
    // Only on a bootstrap where postgres owns auth: give the auth admin what hosted gives it.
    if (!state.can_create) {
      await tx.unsafe(`grant usage, create on schema auth to supabase_auth_admin`);
    }
    if (!state.can_write) await tx.unsafe(`grant all on auth.users to supabase_auth_admin`);
    // Passwords are bcrypt hashes made with pgcrypto's crypt(), GoTrue's format ($2a$).
    if (!state.can_crypt) {
      await tx.unsafe(`grant usage on schema extensions to supabase_auth_admin`);
    }
    const present = new Set(
      (await tx<{ column_name: string }[]>`
        select column_name from information_schema.columns
        where table_schema = 'auth' and table_name = 'users'`).map((r) => r.column_name),
    );
    const missing = userColumns.filter(([name]) => !present.has(name));
    if (missing.length) {
      await tx.unsafe(`set local role ${state.owner}`);
      await tx.unsafe(
        `alter table auth.users ${
          missing.map(([n, t]) => `add column if not exists ${n} ${t}`).join(", ")
        }`,
      );
      await tx.unsafe(`reset role`);
    }
    await tx.unsafe(`set local role supabase_auth_admin`);
    await tx.unsafe(await Deno.readTextFile(schemaFile));
  });
}
