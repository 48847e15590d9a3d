// The Auth stand-in's database access: its own pool, connected the way Supabase Auth is, as
// supabase_auth_admin (the owner of the auth schema's tables), so it can do exactly what
// GoTrue can and no more.
import postgres from "postgres";

export type AuthSql = postgres.Sql;
export type AuthTx = postgres.TransactionSql;

const pools = new Map<string, AuthSql>();

export function authDb(dbUrl: string): AuthSql {
  let pool = pools.get(dbUrl);
  if (!pool) {
    pool = postgres(dbUrl, {
      max: 4,
      idle_timeout: 30,
      // A startup parameter: every connection of the pool is supabase_auth_admin from the
      // first statement on.
      connection: { application_name: "masstock-auth", role: "supabase_auth_admin" } as Record<
        string,
        string
      >,
      onnotice: () => {},
    });
    pools.set(dbUrl, pool);
  }
  return pool;
}

export async function closeAuthPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end({ timeout: 5 })));
}
