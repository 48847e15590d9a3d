// Broadcast from the database, as Realtime receives it: a logical replication stream (pgoutput,
// a temporary slot) of the publication supabase_realtime_messages_publication on
// realtime.messages, created when missing. Every committed insert into a messages partition is
// handed on as {topic, event, private, payload, id}; rolled-back inserts (Realtime's own
// authorization probes among them) never appear. A message committed while the stream is down
// is lost, as it is on Supabase (the slot is temporary).
import postgres from "postgres";

export const PUBLICATION = "supabase_realtime_messages_publication";

export interface DbMessage {
  id: string;
  topic: string;
  event: string;
  private: boolean;
  payload: unknown;
}

export interface Replication {
  close(): Promise<void>;
}

async function ensurePublication(sql: postgres.Sql): Promise<void> {
  const [found] = await sql`select 1 from pg_publication where pubname = ${PUBLICATION}`;
  if (found) return;
  try {
    await sql.unsafe(`create publication ${PUBLICATION} for table realtime.messages`);
  } catch (error) {
    // Another process created it first.
    if ((error as { code?: string }).code !== "42710") throw error;
  }
}

export async function startReplication(
  dbUrl: string,
  admin: postgres.Sql,
  onMessage: (message: DbMessage) => void,
  log: (fields: Record<string, unknown>) => void,
): Promise<Replication> {
  const [{ wal_level }] = await admin<{ wal_level: string }[]>`show wal_level`;
  if (wal_level !== "logical") {
    throw new Error(`Realtime needs wal_level = logical (the cluster has ${wal_level})`);
  }
  await ensurePublication(admin);
  const stream = postgres(dbUrl, {
    publications: PUBLICATION,
    onnotice: () => {},
    connection: { application_name: "realtime_replication_connection" },
  });
  await stream.subscribe(
    "insert",
    (row, info) => {
      if (info.relation.schema !== "realtime" || !info.relation.table.startsWith("messages")) {
        return;
      }
      const r = row as Record<string, unknown>;
      if (r.extension !== "broadcast") return;
      if (typeof r.topic !== "string" || typeof r.event !== "string") return;
      onMessage({
        id: String(r.id),
        topic: r.topic,
        event: r.event,
        private: r.private === true,
        payload: r.payload,
      });
    },
    () => log({ level: "info", msg: "realtime replication streaming", publication: PUBLICATION }),
    // postgres.js reconnects the stream by itself (the typings give the callback no argument).
    () => log({ level: "error", msg: "realtime replication stream error; reconnecting" }),
  );
  return { close: () => stream.end({ timeout: 2 }) };
}
