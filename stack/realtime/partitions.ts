// Realtime's upkeep of realtime.messages (its Connect CreatePartitions step and Janitor): one
// partition per UTC day for yesterday, today and tomorrow, created as supabase_realtime_admin,
// and partitions whose day ended more than 72 hours ago dropped. A day whose rows already went
// to the default partition keeps using it (the partition cannot be created over them).
import type postgres from "postgres";

const RETENTION_MS = 72 * 3600_000;
const DAY_MS = 24 * 3600_000;

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function partitionName(date: string): string {
  return `messages_${date.replaceAll("-", "_")}`;
}

export async function maintainPartitions(
  sql: postgres.Sql,
  log: (fields: Record<string, unknown>) => void,
  now = Date.now(),
): Promise<void> {
  for (const offset of [-1, 0, 1]) {
    const from = day(now + offset * DAY_MS);
    const to = day(now + (offset + 1) * DAY_MS);
    try {
      await sql.begin(async (tx) => {
        await tx`set local role supabase_realtime_admin`;
        await tx.unsafe(
          `create table if not exists realtime.${partitionName(from)}
           partition of realtime.messages for values from ('${from}') to ('${to}')`,
        );
      });
    } catch (error) {
      log({
        level: "warn",
        msg: "messages partition not created",
        day: from,
        error: String(error),
      });
    }
  }
  const old = await sql<{ name: string }[]>`
    select c.relname as name
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'realtime.messages'::regclass and c.relname ~ '^messages_\\d{4}_\\d{2}_\\d{2}$'`;
  const cutoff = now - RETENTION_MS;
  for (const { name } of old) {
    const end = Date.parse(`${name.slice(9).replaceAll("_", "-")}T00:00:00Z`) + DAY_MS;
    if (end >= cutoff) continue;
    try {
      await sql.begin(async (tx) => {
        await tx`set local role supabase_realtime_admin`;
        await tx.unsafe(`drop table if exists realtime.${name}`);
      });
    } catch (error) {
      log({ level: "warn", msg: "old messages partition not dropped", name, error: String(error) });
    }
  }
}
