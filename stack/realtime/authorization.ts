// Channel authorization the way Supabase Realtime does it (lib/realtime/tenants/authorization.ex):
// in a transaction that is always rolled back, insert one broadcast and one presence row for
// the topic as the service's own connection, then become the caller (role from the JWT,
// request.jwt.claims, realtime.topic, request.headers) and see which of the two rows the
// caller's RLS lets it SELECT (read) or, for writes, whether it may INSERT one. The project's
// policies on realtime.messages therefore decide, evaluated as the joining user.
import type postgres from "postgres";
import type { Claims } from "./tokens.ts";

export interface ReadPolicies {
  broadcast: boolean;
  presence: boolean;
}

export interface AuthContext {
  topic: string;
  claims: Claims;
  headers: Record<string, string>;
}

class Rollback extends Error {}

async function asCaller(tx: postgres.TransactionSql, ctx: AuthContext): Promise<void> {
  await tx`select set_config('role', ${ctx.claims.role}, true),
                  set_config('realtime.topic', ${ctx.topic}, true),
                  set_config('request.jwt.claims', ${JSON.stringify(ctx.claims)}, true),
                  set_config('request.headers', ${JSON.stringify(ctx.headers)}, true)`;
}

/** Which extensions the caller may read on the topic. Throws on a policy error. */
export async function readPolicies(sql: postgres.Sql, ctx: AuthContext): Promise<ReadPolicies> {
  let result: ReadPolicies = { broadcast: false, presence: false };
  try {
    await sql.begin(async (tx) => {
      const rows = await tx<{ id: string; extension: string }[]>`
        insert into realtime.messages (topic, extension)
        values (${ctx.topic}, 'broadcast'), (${ctx.topic}, 'presence')
        returning id, extension`;
      const broadcastId = rows.find((r) => r.extension === "broadcast")!.id;
      const presenceId = rows.find((r) => r.extension === "presence")!.id;
      await asCaller(tx, ctx);
      const visible = await tx<{ id: string }[]>`
        select id from realtime.messages
        where topic = ${ctx.topic}
          and ((extension = 'broadcast' and id = ${broadcastId})
            or (extension = 'presence' and id = ${presenceId}))`;
      const ids = new Set(visible.map((r) => r.id));
      result = { broadcast: ids.has(broadcastId), presence: ids.has(presenceId) };
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return result;
}

/** Whether the caller may send a broadcast on the topic (an INSERT its policies allow). */
export async function canBroadcast(sql: postgres.Sql, ctx: AuthContext): Promise<boolean> {
  let allowed = false;
  try {
    await sql.begin(async (tx) => {
      await asCaller(tx, ctx);
      try {
        await tx.savepoint((sp) =>
          sp`insert into realtime.messages (topic, extension) values (${ctx.topic}, 'broadcast')`
        );
        allowed = true;
      } catch (error) {
        if ((error as { code?: string }).code !== "42501") throw error;
      }
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return allowed;
}
