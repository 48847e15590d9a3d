// GET /counts: how many tickets are in each status, under the list's filters (assignee,
// priority, client, subject search), for a support dashboard. RLS decides which tickets count:
// admins all, members their clients'.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { parseQuery, ticketCountsQuery, ticketStatuses } from "../../../shared/validation.ts";
import { ticketFilters } from "./filters.ts";

export function countRoutes(app: Hono<AppEnv>): void {
  app.get("/counts", async (c) => {
    const user = await requireUser(c.req.raw);
    const q = parseQuery(c.req.raw, ticketCountsQuery);
    const rows = await asUser(user.claims, (tx) =>
      tx<{ status: string; n: number }[]>`
        select t.status, count(*)::int as n from public.support_tickets t
        where true ${ticketFilters(tx, q)}
        group by t.status`);
    const counts = Object.fromEntries(ticketStatuses.map((s) => [s, 0])) as Record<
      string,
      number
    >;
    for (const row of rows) counts[row.status] = row.n;
    const total = rows.reduce((sum, row) => sum + row.n, 0);
    return c.json({ counts, total });
  });
}
