// GET /counts: how many tickets are in each status, under the list's filters (assignee,
// priority, client, subject search), for a support dashboard. RLS decides which tickets count:
// admins all, members their clients'.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { query } from "../../../shared/http/input.ts";
import { ticketCountsQuery, ticketStatuses } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { ticketFilters } from "./filters.ts";

export const counts = userRoutes()
  .get(
    "/counts",
    describe({ summary: "Count tickets per status", ok: [200, responses.ticketCounts] }),
    query(ticketCountsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx<{ status: string; n: number }[]>`
        select t.status, count(*)::int as n from public.support_tickets t
        where true ${ticketFilters(tx, q)}
        group by t.status`
      );
      const byStatus: Record<string, number> = Object.fromEntries(
        ticketStatuses.map((s) => [s, 0]),
      );
      for (const row of rows) byStatus[row.status] = row.n;
      const total = rows.reduce((sum, row) => sum + row.n, 0);
      return c.json({ counts: byStatus, total });
    },
  );
