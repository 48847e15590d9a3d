// The local stand-in for pg_net's background worker. Run as
//   DATABASE_URL=postgresql://... deno run -A stack/pgnet-worker.ts
// It follows upstream's loop (supabase/pg_net 0.19, src/worker.c), so requests are sent when
// the real worker would send them:
//   idle: sleep until a commit that called net.wake() sets the latch (no polling);
//   busy: repeat { delete up to pg_net.batch_size expired responses; take up to
//         pg_net.batch_size queued requests (oldest first), send them all at once, wait for
//         every one of them, record the responses and commit; wait 1 s on the latch }
//         while the last round sent or expired anything.
// The latch is set only by the first commit after the worker cleared should_wake (see
// stack/pgnet/wake.ts), so back-to-back requests wait out the 1 s pause: measured on real
// pg_net 0.19.5, the median of 15 back-to-back requests reached the server after 999 ms,
// isolated ones after 3-8 ms. A batch's requests are taken off the queue in the transaction
// that records their responses, so a worker killed mid-batch leaves them queued; the queue
// itself is unlogged, so a Postgres crash empties it, as upstream's.
// Commits reach this process as NOTIFY pg_net (sent by net.wake(), delivered at commit).
import postgres from "postgres";
import { deliver, logLine } from "./pgnet/deliver.ts";
import type { QueuedRequest, ResponseRow } from "./pgnet/deliver.ts";
import { Latch, WakeFlag } from "./pgnet/wake.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");
if (!databaseUrl) {
  console.error("pgnet-worker: DATABASE_URL is required");
  Deno.exit(2);
}

/** Upstream's pause after every busy round ("slow down queue processing"). */
const loopPauseMs = 1000;
/** Upstream's worker is restarted by the postmaster 1 s after it exits on an error. */
const restartMs = 1000;
const shutdownGraceMs = 2000;
// Upstream reports the worker as application "pg_net <version>"; net.check_worker_is_up(),
// net.wait_until_running() and net.worker_restart() find this process by the same name.
const applicationName = "pg_net 0.19.5";
const defaults = { batchSize: 200, ttl: "6 hours" };

const common = {
  onnotice: () => {},
  connect_timeout: 5,
  connection: { application_name: applicationName },
};
const sql = postgres(databaseUrl, { ...common, max: 1 });

const latch = new Latch();
const wake = new WakeFlag(latch);
let stopping = false;
let current: Promise<unknown> = Promise.resolve();

function log(message: string): void {
  console.log(`${new Date().toISOString()} pgnet-worker: ${message}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Settings {
  batchSize: number;
  ttl: string;
}

// pg_net.batch_size and pg_net.ttl are server settings (postgresql.conf / ALTER SYSTEM, then
// pg_reload_conf()), read by this session like upstream's worker reads its GUCs.
async function readSettings(): Promise<Settings> {
  const [row] = await sql<{ batch_size: string | null; ttl: string | null }[]>`
    select current_setting('pg_net.batch_size', true) as batch_size,
           current_setting('pg_net.ttl', true) as ttl`;
  const size = Number(row.batch_size);
  return {
    batchSize: row.batch_size && Number.isInteger(size) && size >= 0 ? size : defaults.batchSize,
    ttl: row.ttl || defaults.ttl,
  };
}

async function deleteExpired(settings: Settings): Promise<number> {
  const rows = await sql`
    with rows as (
      select ctid from net._http_response
      where created < now() - ${settings.ttl}::interval
      order by created
      limit ${settings.batchSize}
    )
    delete from net._http_response r using rows where r.ctid = rows.ctid
    returning 1`;
  return rows.length;
}

async function consumeQueue(settings: Settings): Promise<number> {
  return await sql.begin(async (tx) => {
    const requests = await tx<QueuedRequest[]>`
      with rows as (
        select id from net.http_request_queue order by id limit ${settings.batchSize}
      )
      delete from net.http_request_queue q using rows where q.id = rows.id
      returning q.id, q.method, q.url, q.timeout_milliseconds, q.body,
        array(select key || ': ' || value from jsonb_each_text(q.headers)) as headers`;
    if (requests.length === 0) return 0;
    requests.sort((a, b) => Number(a.id) - Number(b.id));

    const rows: ResponseRow[] = await Promise.all(requests.map(async (req) => {
      const delivery = await deliver(req);
      console.log(logLine(req, delivery));
      return delivery.row;
    }));

    await tx`
      insert into net._http_response
        (id, status_code, content_type, headers, content, timed_out, error_msg)
      select id, status_code, content_type, headers, content, timed_out, error_msg
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(
        id bigint, status_code int, content_type text, headers jsonb, content text,
        timed_out bool, error_msg text
      )`;
    return requests.length;
  });
}

async function busyLoop(): Promise<void> {
  let consumed = 0;
  let expired = 0;
  do {
    const settings = await readSettings();
    expired = await deleteExpired(settings);
    const round = consumeQueue(settings);
    current = round.catch(() => {});
    consumed = await round;
    await latch.wait(loopPauseMs);
  } while (!stopping && (consumed > 0 || expired > 0));
}

async function mainLoop(): Promise<void> {
  while (!stopping) {
    if (!wake.take()) {
      await latch.wait(Infinity);
      continue;
    }
    try {
      await busyLoop();
    } catch (err) {
      if (stopping) break;
      log(`round failed, starting over in ${restartMs} ms: ${describe(err)}`);
      await sleep(restartMs);
      wake.force();
    }
  }
}

// A dedicated connection holds the LISTEN. Commits are missed while it is down (Postgres
// restart), so every (re)connect starts with a wake pending, like a restarted worker.
let connectionClosed: () => void = () => {};
const listenerOptions = {
  ...common,
  max: 1,
  max_lifetime: null,
  onnotify: () => wake.commit(),
  onclose: () => connectionClosed(),
};
const listener = postgres(databaseUrl, listenerOptions as postgres.Options<never>);

async function listenLoop(): Promise<void> {
  let attempt = 0;
  while (!stopping) {
    const closed = new Promise<void>((resolve) => connectionClosed = resolve);
    try {
      await listener`listen pg_net`;
      if (attempt > 0) log("listening again on channel pg_net");
      attempt = 0;
      wake.force();
      await closed;
    } catch (err) {
      attempt++;
      if (!stopping && (attempt === 1 || attempt % 10 === 0)) {
        log(`cannot listen (attempt ${attempt}): ${describe(err)}`);
      }
    }
    if (!stopping) await sleep(Math.min(100 * 2 ** attempt, 5000));
  }
}

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  latch.set();
  connectionClosed();
  // Let a batch in flight commit; one still open after the grace period rolls back and its
  // requests stay queued for the next worker.
  await Promise.race([current, sleep(shutdownGraceMs)]);
  await Promise.allSettled([sql.end({ timeout: 0 }), listener.end({ timeout: 0 })]);
  Deno.exit(0);
}

globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log(`unexpected error: ${describe(event.reason)}`);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => void stop(signal));
}

log(`started (pid ${Deno.pid})`);
void listenLoop();
await mainLoop();
