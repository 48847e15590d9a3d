// Direct Postgres access for Edge Functions (postgres.js over SUPABASE_DB_URL, which Supabase
// injects into every function). Every request's SQL runs in ONE transaction that first takes
// on the caller's identity, exactly as PostgREST does, so RLS, constraints and triggers decide.
import postgres from "postgres";
import { fromPgTimestamp } from "../core/time.ts";
import { installPromptImmediate } from "./immediate.ts";
import { isRetryableTxError } from "./pg-errors.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
export type Claims = Record<string, unknown>;

const MAX_ATTEMPTS = 3;

let pool: Sql | undefined;

/** The process-wide pool, created on first use so importing this module needs no env. */
export function db(): Sql {
  if (!pool) {
    const url = Deno.env.get("SUPABASE_DB_URL");
    if (!url) throw new Error("SUPABASE_DB_URL is not set");
    // postgres.js defers every write to setImmediate, a 1 ms timer on Deno 2.1 (immediate.ts).
    installPromptImmediate();
    pool = postgres(url, {
      // Supabase's transaction pooler (port 6543) cannot keep named prepared statements.
      prepare: false,
      // An Edge Function worker is small and short-lived; many workers share the database.
      max: 5,
      idle_timeout: 20,
      connect_timeout: 10,
      connection: { application_name: "masstock-functions" },
      onnotice: () => {},
      // Timestamps stay text in the API's one format (microseconds kept: a JS Date would drop
      // them) and dates stay `YYYY-MM-DD`; values sent as parameters are unchanged.
      types: {
        timestamptz: { to: 1184, from: [1184], parse: fromPgTimestamp },
        plainDate: { to: 1082, from: [1082], parse: (x: string) => x },
      } as unknown as Record<string, postgres.PostgresType>,
    });
  }
  return pool;
}

/** Closes the pool (tests and graceful shutdown); the next db() opens a new one. */
export async function closeDb(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.end({ timeout: 5 });
}

/**
 * A text as an SQL literal. E'' escapes mean the same whatever standard_conforming_strings
 * says: a backslash and a quote are the only characters with a meaning inside.
 */
export function sqlLiteral(text: string): string {
  if (text.includes("\0")) throw new Error("an SQL literal cannot hold NUL");
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * The statement that makes the rest of the transaction run as the caller. It goes as a simple
 * query with the claims inlined: postgres.js sends a statement with parameters in two round
 * trips when statements are not prepared (it asks for the parameter types first) and sends
 * nothing after it until that answer came back, while a simple query goes out in the same
 * write as the transaction's next statement (bench: request-overhead).
 */
export function identityStatement(role: "authenticated" | "service_role", claims: Claims): string {
  return `select set_config('request.jwt.claims', ${sqlLiteral(JSON.stringify(claims))}, true),
    set_config('role', ${sqlLiteral(role)}, true)`;
}

async function inTransaction<T>(
  role: "authenticated" | "service_role",
  claims: Claims,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const identity = identityStatement(role, claims);
  for (let attempt = 1;; attempt++) {
    try {
      return await db().begin(async (tx) => {
        // Not awaited before fn: Postgres runs the statements of a connection in order, so
        // fn's first statement still runs as the caller, and if this one failed the
        // transaction is aborted and fn's statements fail with it. Awaited before commit.
        const asCaller = tx.unsafe(identity).execute();
        const result = await fn(tx);
        await asCaller;
        return result;
      }) as T;
    } catch (err) {
      // Serialization failures and deadlocks are the database asking us to run it again.
      if (!isRetryableTxError(err) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}

/**
 * Runs `fn` in one transaction as the user the verified JWT claims name (role authenticated,
 * request.jwt.claims set, so auth.uid() works and RLS applies). `fn` may be re-run on a
 * serialization failure or deadlock, so it must only touch the database.
 */
export function asUser<T>(claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction("authenticated", claims, fn);
}

/** Same as asUser for service callers (pg_net chain, cron): role service_role bypasses RLS. */
export function asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction("service_role", { role: "service_role" }, fn);
}
