// What "nothing written" means for the hardening suites: a fingerprint (row count + content
// hash) of every table a request could touch, taken before and after a batch of requests.
// Hashing the content, not only counting, also catches an UPDATE that should not have run.
import { db } from "./stack.ts";

export type Fingerprint = Map<string, string>;

// Every table of the product's schemas, Storage's objects and pg_net's outbox. pg_net's
// response log and pg_cron's history are left out: background housekeeping writes them.
const watched = `
  select format('%I.%I', table_schema, table_name) as name
  from information_schema.tables
  where table_type = 'BASE TABLE'
    and (table_schema in ('public', 'private')
      or (table_schema = 'storage' and table_name in ('objects', 'buckets'))
      or (table_schema = 'net' and table_name = 'http_request_queue')
      or (table_schema = 'auth' and table_name = 'users'))
  order by 1`;

// Bookkeeping the pg_cron sweep keeps on finished executions, whoever calls the API.
const rowText = `(to_jsonb(x) - '{last_kicked_at,storage_reconciled_at}'::text[])::text`;

// The queued-items counter is compared by what it says, each client's sum: collapsing a
// client's deltas into one row (pg_cron, every 10 minutes) rewrites its rows, not its counts.
const meaning: Record<string, string> = {
  "private.client_queued_item_deltas": `(select client_id, sum(delta) as queued
    from private.client_queued_item_deltas group by client_id having sum(delta) <> 0)`,
};

let tables: string[] | undefined;

async function tableNames(): Promise<string[]> {
  return tables ??= (await db().unsafe<{ name: string }[]>(watched)).map((r) => r.name);
}

/** One query: `count:md5` of every watched table. */
export async function fingerprint(): Promise<Fingerprint> {
  const names = await tableNames();
  const parts = names.map((t, i) =>
    `(select count(*) || ':' || coalesce(md5(string_agg(md5(${rowText}), ',' order by md5(${rowText}))), '')
      from ${meaning[t] ?? t} x) as t${i}`
  );
  const [row] = await db().unsafe<Record<string, string>[]>(`select ${parts.join(", ")}`);
  return new Map(names.map((t, i) => [t, row[`t${i}`]]));
}

/** Tables whose rows differ between two fingerprints (empty when nothing was written). */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((t) => before.get(t) !== after.get(t)).sort();
}

/**
 * Waits until no execution is pending or processing and pg_net's outbox is empty, so a
 * chain left running by an earlier suite cannot be mistaken for a write of ours.
 */
export async function quiesce(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db()<{ busy: number }[]>`
      select (select count(*) from public.workflow_executions
                where status in ('pending', 'processing'))::int
           + (select count(*) from net.http_request_queue)::int as busy`;
    if (row.busy === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the stack is still busy after ${timeoutMs} ms (${row.busy} items)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
