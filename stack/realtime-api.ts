// Local stand-in for Supabase Realtime (Broadcast), mounted by the gateway at
// /realtime/v1/websocket: the websocket protocol supabase-js's realtime client speaks
// (stack/realtime/session.ts), channel authorization by the project's RLS policies on
// realtime.messages evaluated as the joining user (stack/realtime/authorization.ts), and
// Broadcast from the database: realtime.send inserts, read back through logical replication
// (stack/realtime/replication.ts). Presence and postgres_changes are not implemented (a join
// asking for them is refused with a reason saying so). `[realtime] enabled` in config.toml
// switches the endpoint on, as it does for `supabase start`.
import postgres from "postgres";
import { parse } from "smol-toml";
import type { StackKeys } from "./keys.ts";
import { Hub } from "./realtime/hub.ts";
import { maintainPartitions } from "./realtime/partitions.ts";
import { type Replication, startReplication } from "./realtime/replication.ts";
import { parseVsn } from "./realtime/serializer.ts";
import { Session } from "./realtime/session.ts";
import { connectionToken, verifyAccessToken } from "./realtime/tokens.ts";

const JANITOR_INTERVAL_MS = 3600_000;
const DEFAULT_CHANNEL_ERROR_BACKOFF_MS = 5000;

interface Service {
  db: postgres.Sql;
  hub: Hub;
  replication: Replication;
  janitor: ReturnType<typeof setInterval>;
}

let service: Promise<Service> | undefined;

function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), component: "realtime", ...fields }));
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function realtimeEnabled(): Promise<boolean> {
  const file = new URL("../supabase/config.toml", import.meta.url);
  const config = parse(await Deno.readTextFile(file)) as { realtime?: { enabled?: boolean } };
  return config.realtime?.enabled === true;
}

async function start(dbUrl: string): Promise<Service> {
  const db = postgres(dbUrl, {
    max: 4,
    onnotice: () => {},
    connection: { application_name: "realtime" },
  });
  const hub = new Hub();
  await maintainPartitions(db, log);
  const replication = await startReplication(dbUrl, db, (message) => {
    hub.publish(message.topic, message.private, {
      event: message.event,
      payload: message.payload,
      meta: { id: message.id },
    });
  }, log);
  const janitor = setInterval(
    () => maintainPartitions(db, log).catch(() => {}),
    JANITOR_INTERVAL_MS,
  );
  Deno.unrefTimer(janitor);
  return { db, hub, replication, janitor };
}

/** Starts the service (replication stream, partitions) if it is not running yet. */
export function ensureRealtime(dbUrl: string): Promise<Service> {
  service ??= start(dbUrl).catch((error) => {
    service = undefined;
    throw error;
  });
  return service;
}

export async function closeRealtime(): Promise<void> {
  const current = service;
  service = undefined;
  if (!current) return;
  const s = await current.catch(() => null);
  if (!s) return;
  clearInterval(s.janitor);
  await s.replication.close().catch(() => {});
  await s.db.end({ timeout: 2 });
}

function channelErrorBackoffMs(): number {
  const raw = Deno.env.get("REALTIME_CHANNEL_ERROR_BACKOFF_MS");
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_CHANNEL_ERROR_BACKOFF_MS;
}

export async function handleRealtime(
  req: Request,
  keys: StackKeys,
  env: { dbUrl: string },
): Promise<Response> {
  const url = new URL(req.url);
  if (!(await realtimeEnabled())) {
    return json(404, { message: "no Route matched with those values" });
  }
  if (url.pathname !== "/realtime/v1/websocket") {
    return json(404, { message: "no Route matched with those values" });
  }
  // The gateway checks the key before the upgrade; the key is read from the query string.
  const connection = await connectionToken(url.searchParams.get("apikey"), keys);
  if ("error" in connection) return json(401, { error: connection.error });
  if ((req.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
    return json(400, { error: "Expected a websocket upgrade" });
  }
  const vsn = parseVsn(url.searchParams.get("vsn"));
  if (!vsn) return json(400, { error: `Unsupported vsn ${url.searchParams.get("vsn")}` });
  let running: Service;
  try {
    running = await ensureRealtime(env.dbUrl);
  } catch (error) {
    log({ level: "error", msg: "realtime could not start", error: String(error) });
    return json(503, { error: "Realtime is not available" });
  }
  // Realtime passes the connection's x- headers to policies as request.headers. Read before
  // the upgrade: the request is closed once upgraded.
  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) if (name.startsWith("x-")) headers[name] = value;
  const { socket, response } = Deno.upgradeWebSocket(req);
  new Session(socket, {
    db: running.db,
    hub: running.hub,
    vsn,
    tenantToken: connection.token,
    headers,
    channelErrorBackoffMs: channelErrorBackoffMs(),
    verify: (token) => verifyAccessToken(token, keys),
    log,
  });
  return response;
}
