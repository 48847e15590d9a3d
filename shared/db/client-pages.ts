// Newest-first keyset pages over a client-owned table (executions, tickets), shaped so the
// planner can use the (client_id, created_at desc, id desc) index.
//
// Filtering only through RLS makes Postgres walk the global created_at index and discard
// other clients' rows: ~5 ms at 200k executions and growing with the platform, while a
// member sees 1–2 clients. So a member's page is read per visible client (one short index
// range each, merged); an admin's page is one global scan. Which branch runs is decided in
// SQL by `(select private.is_admin())` (a one-time filter), not in TypeScript, and RLS still
// applies to both branches.
import type postgres from "postgres";
import type { Tx } from "./db.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

export interface ClientPage {
  /** The table, aliased `t` in `select` and `where`. */
  table: "workflow_executions" | "support_tickets";
  /** Columns to return (refer to the table as `t`); `t.created_at` and `t.id` are always added. */
  select: Fragment;
  /** Extra conditions, each starting with `and` (refer to the table as `t`). */
  where: Fragment;
  /** Only this client (the request's client filter), if given. */
  clientId?: string;
  /** The keyset position to continue after. */
  after?: { createdAt: string; id: string } | null;
  /** Rows to fetch (ask for one more than the page to learn whether another exists). */
  limit: number;
}

export function clientPage<T extends postgres.Row>(tx: Tx, page: ClientPage) {
  const table = tx`public.${tx(page.table)}`;
  const after = page.after
    // ::text first: postgres.js serializes a timestamptz parameter through a JS Date, which
    // drops the microseconds and so skips rows within the cursor's millisecond.
    ? tx`and (t.created_at, t.id) < (${page.after.createdAt}::text::timestamptz, ${page.after.id}::uuid)`
    : tx``;
  const rows = (scope: Fragment) =>
    tx`select ${page.select}, t.created_at as page_ts, to_json(t.created_at) #>> '{}' as page_cursor_ts,
         t.id as page_id
       from ${table} t
       where ${scope} ${page.where} ${after}
       order by t.created_at desc, t.id desc
       limit ${page.limit}`;
  if (page.clientId) {
    return tx<(T & PageKeys)[]>`${rows(tx`t.client_id = ${page.clientId}`)}`;
  }
  return tx<(T & PageKeys)[]>`
    select * from (
      (${rows(tx`(select private.is_admin())`)})
      union all
      (select p.* from private.my_client_ids() as c (client_id)
       cross join lateral (${rows(tx`t.client_id = c.client_id`)}) p
       where not (select private.is_admin()))
    ) merged
    order by page_ts desc, page_id desc
    limit ${page.limit}`;
}

/** Keyset columns every row carries; page_cursor_ts is ISO text so microseconds survive. */
export interface PageKeys {
  page_ts: Date;
  page_cursor_ts: string;
  page_id: string;
}

/** Drops the keyset columns from a row before it is answered. */
export function withoutPageKeys<T extends PageKeys>(row: T): Omit<T, keyof PageKeys> {
  const { page_ts: _ts, page_cursor_ts: _cursor, page_id: _id, ...rest } = row;
  return rest;
}
