// The local stand-in for pg_net's background worker. Run as
//   DATABASE_URL=postgresql://... deno run -A stack/pgnet-worker.ts
// It claims queued requests in a transaction (`for update skip locked`), sends them
// concurrently, records one net._http_response row per request and deletes the queue rows in
// that same transaction. A worker killed mid-batch therefore leaves its rows queued for the
// next one: delivery is at-least-once and a committed request is never lost. It wakes on
// NOTIFY pg_net (sent at commit by the queue trigger) and polls every second in case a
// notification was missed, reconnects with backoff, and exits cleanly on SIGTERM/SIGINT.
import postgres from "postgres";
import { deliver, logLine } from "./pgnet/deliver.ts";
import type { QueuedRequest, ResponseRow } from "./pgnet/deliver.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");
if (!databaseUrl) {
  console.error("pgnet-worker: DATABASE_URL is required");
  Deno.exit(2);
}

// Several batches may be in flight so one slow endpoint does not hold up later requests.
const maxBatches = 4;
const pollMs = 1000;
const cleanupMs = 30_000;
const shutdownGraceMs = 2000;
// net.check_worker_is_up() and net.worker_restart() find the worker by this name.
const applicationName = "pg_net worker";

const common = {
  onnotice: () => {},
  connect_timeout: 5,
  connection: { application_name: applicationName },
};
const sql = postgres(databaseUrl, { ...common, max: maxBatches + 1 });

// pg_net.batch_size / pg_net.ttl are read like the real worker's GUCs (postgresql.conf or
// `alter database ... set`), re-read on every cleanup tick.
const defaultBatchSize = 200;
let batchSize = defaultBatchSize;
let stopping = false;
let wanted = true;
let inFlight = 0;
let failures = 0;
let retryAt = 0;
const running = new Set<Promise<void>>();

function log(message: string): void {
  console.log(`${new Date().toISOString()} pgnet-worker: ${message}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function backoffMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runBatch(): Promise<number> {
  return await sql.begin(async (tx) => {
    const limit = batchSize;
    const requests = await tx<QueuedRequest[]>`
      select id, method, url, headers, body, timeout_milliseconds
      from net.http_request_queue
      order by id
      limit ${limit}
      for update skip locked`;
    if (requests.length === 0) return 0;
    // A full batch means more are waiting: claim them now, alongside this one.
    if (requests.length === limit) kick();

    const rows: ResponseRow[] = await Promise.all(requests.map(async (req) => {
      const delivery = await deliver(req);
      console.log(logLine(req, delivery));
      return delivery.row;
    }));

    await tx`
      with recorded as (
        insert into net._http_response
          (id, status_code, content_type, headers, content, timed_out, error_msg)
        select id, status_code, content_type, headers, content, timed_out, error_msg
        from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(
          id bigint, status_code int, content_type text, headers jsonb, content text,
          timed_out bool, error_msg text
        )
        returning id
      )
      delete from net.http_request_queue where id in (select id from recorded)`;
    return requests.length;
  });
}

function pump(): void {
  while (!stopping && wanted && inFlight < maxBatches && Date.now() >= retryAt) {
    wanted = false;
    inFlight++;
    const batch: Promise<void> = runBatch().then(
      (claimed) => {
        failures = 0;
        // A non-empty claim may have left more behind (batch size, or rows locked by a
        // concurrent claim): look again at once instead of waiting for the poll.
        if (claimed > 0) wanted = true;
      },
      (err) => {
        failures++;
        retryAt = Date.now() + backoffMs(failures);
        wanted = true;
        if (!stopping) log(`batch failed (retry #${failures}): ${describe(err)}`);
      },
    ).finally(() => {
      inFlight--;
      running.delete(batch);
      pump();
    });
    running.add(batch);
  }
}

function kick(): void {
  wanted = true;
  pump();
}

async function readSettings(): Promise<void> {
  try {
    const [{ value }] = await sql<{ value: string | null }[]>`
      select current_setting('pg_net.batch_size', true) as value`;
    const parsed = Number(value);
    batchSize = Number.isInteger(parsed) && parsed > 0 ? parsed : defaultBatchSize;
  } catch (err) {
    if (!stopping) log(`cannot read pg_net.batch_size: ${describe(err)}`);
  }
}

async function cleanup(): Promise<void> {
  await readSettings();
  try {
    await sql`
      delete from net._http_response
      where created < now() - coalesce(nullif(current_setting('pg_net.ttl', true), ''), '6 hours')::interval`;
  } catch (err) {
    if (!stopping) log(`response cleanup failed: ${describe(err)}`);
  }
}

// A dedicated connection holds the LISTEN; when it drops (Postgres restart) it is re-opened
// with backoff, and every (re)start kicks once to pick up anything sent while deaf.
let connectionClosed: () => void = () => {};
const listenerOptions = {
  ...common,
  max: 1,
  max_lifetime: null,
  onnotify: () => kick(),
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
      kick();
      await closed;
    } catch (err) {
      attempt++;
      if (!stopping && (attempt === 1 || attempt % 10 === 0)) {
        log(`cannot listen (attempt ${attempt}): ${describe(err)}`);
      }
    }
    if (!stopping) await sleep(backoffMs(attempt + 1));
  }
}

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  clearInterval(pollTimer);
  clearInterval(cleanupTimer);
  connectionClosed();
  // Let in-flight batches commit; anything still open after the grace period rolls back and
  // stays queued for the next worker.
  await Promise.race([Promise.allSettled([...running]), sleep(shutdownGraceMs)]);
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

const pollTimer = setInterval(kick, pollMs);
const cleanupTimer = setInterval(() => void cleanup(), cleanupMs);
log(`started (pid ${Deno.pid})`);
await cleanup();
void listenLoop();
kick();
