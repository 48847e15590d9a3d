// What tests need to talk to a running local stack: its coordinates (stack.json), access
// tokens for seeded users, supabase-js clients as anon / a user / the service, and a postgres
// database connection for arranging and checking rows. Call closeAll() when a file is done.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { loadOrCreateKeys, mintAccessToken, type StackKeys } from "../../stack/keys.ts";
import type { Database } from "../../shared/types/database.ts";
import type { StackState } from "../../stack/stack.ts";

export type { StackState };

function stackDir(): string {
  const dir = Deno.env.get("STACK_DIR");
  if (!dir) {
    throw new Error(
      "STACK_DIR is not set: run tests with `deno task test`, or point STACK_DIR at a running " +
        "stack's folder (e.g. STACK_DIR=$PWD/.local/dev after `deno task stack up`)",
    );
  }
  return dir;
}

let cachedState: StackState | undefined;
export function stack(): StackState {
  if (!cachedState) {
    const file = `${stackDir()}/stack.json`;
    try {
      cachedState = JSON.parse(Deno.readTextFileSync(file)) as StackState;
    } catch (err) {
      throw new Error(`cannot read ${file}: is the stack up? (${err})`);
    }
  }
  return cachedState;
}

let cachedKeys: Promise<StackKeys> | undefined;
export function keys(): Promise<StackKeys> {
  return cachedKeys ??= loadOrCreateKeys(stackDir());
}

let connection: postgres.Sql | undefined;
/**
 * A `postgres` connection, as hosted gives it (not a superuser, but bypassrls): arrange and
 * inspect rows regardless of RLS. Tests that truly need the superuser use stack().adminDbUrl.
 */
export function db(): postgres.Sql {
  return connection ??= postgres(stack().dbUrl, { max: 2, onnotice: () => {} });
}

export async function userId(email: string): Promise<string> {
  const [row] = await db()<{ id: string }[]>`select id from auth.users where email = ${email}`;
  if (!row) throw new Error(`no auth.users row for ${email}: is the seed applied?`);
  return row.id;
}

/** An access token for a seeded user, as Supabase Auth would issue after sign-in. */
export async function tokenFor(
  email: string,
  options: { expiresInSeconds?: number; extraClaims?: Record<string, unknown> } = {},
): Promise<string> {
  return await mintAccessToken(await keys(), {
    sub: await userId(email),
    email,
    expiresInSeconds: options.expiresInSeconds,
    extraClaims: { iss: `${stack().apiUrl}/auth/v1`, ...options.extraClaims },
  });
}

/** supabase-js typed with the generated database types, as a frontend would use it. */
export type Client = SupabaseClient<Database>;

function client(apiKey: string, bearer?: string): Client {
  return createClient<Database>(stack().apiUrl, apiKey, {
    global: bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : {},
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/** The frontend before sign-in: anon key only. */
export function anonClient(): Client {
  return client(stack().anonKey);
}

/** The frontend signed in as `email`. */
export async function userClient(email: string): Promise<Client> {
  return client(stack().anonKey, await tokenFor(email));
}

/** A server-side caller (pg_net, cron, webhooks): the sb_secret_ key in the apikey header. */
export function serviceClient(): Client {
  return client(stack().secretKey);
}

export async function closeAll(): Promise<void> {
  const current = connection;
  connection = undefined;
  await current?.end({ timeout: 5 });
}
