// Database access for the Storage stand-in: one pool per database URL, and a transaction
// helper that becomes the caller the way PostgREST and Supabase Storage do (transaction-local
// `request.jwt.claims` + `role`), so storage.objects RLS makes every decision.
import postgres from "postgres";
import type { Caller } from "./caller.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

const pools = new Map<string, Sql>();

export function pool(dbUrl: string): Sql {
  let sql = pools.get(dbUrl);
  if (!sql) {
    sql = postgres(dbUrl, { max: 4, idle_timeout: 30, onnotice: () => {} });
    pools.set(dbUrl, sql);
  }
  return sql;
}

// Ends every pool; the host calls this on shutdown and tests call it to leave no timers.
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((sql) => sql.end({ timeout: 1 })));
}

// Superuser work (bucket lookups, as Storage's `asSuperUser()`) happens before `becomeCaller`.
export async function becomeCaller(tx: Tx, caller: Caller): Promise<void> {
  await tx`
    select set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true),
           set_config('request.jwt.claim.sub', ${caller.sub ?? ""}, true),
           set_config('request.jwt.claim.role', ${caller.role}, true),
           set_config('role', ${caller.role}, true)`;
}

export function asCaller<T>(
  dbUrl: string,
  caller: Caller,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return pool(dbUrl).begin(async (tx) => {
    await becomeCaller(tx, caller);
    return await work(tx);
  }) as Promise<T>;
}

export interface Bucket {
  id: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

export async function findBucket(tx: Tx | Sql, id: string): Promise<Bucket | null> {
  const [row] = await tx<Bucket[]>`
    select id, public, file_size_limit::float8 as file_size_limit, allowed_mime_types
    from storage.buckets where id = ${id}`;
  return row ?? null;
}

// Newer Storage schemas add owner_id/version/user_metadata; fill them only where they exist
// so the stand-in works on both the minimal and the full storage schema.
const optionalColumns = new Map<string, Promise<Set<string>>>();

export function objectColumns(dbUrl: string): Promise<Set<string>> {
  let columns = optionalColumns.get(dbUrl);
  if (!columns) {
    columns = pool(dbUrl)<{ column_name: string }[]>`
      select column_name from information_schema.columns
      where table_schema = 'storage' and table_name = 'objects'`
      .then((rows) => new Set(rows.map((r) => r.column_name)));
    columns.catch(() => optionalColumns.delete(dbUrl));
    optionalColumns.set(dbUrl, columns);
  }
  return columns;
}
