// GET /start-execution: the caller's visible executions (RLS), newest first, filtered by
// status / workflow, keyset-paginated on (created_at, id) so pages stay stable while new runs
// start.
import { clientPage, withoutPageKeys } from "../../../shared/db/client-pages.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { query } from "../../../shared/http/input.ts";
import { listExecutionsQuery, pageFrom } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { executionColumns, type ExecutionRow, providerCosts } from "./view.ts";

export const list = userRoutes()
  .get(
    "/",
    describe({
      summary: "List executions, newest first",
      ok: [200, responses.executions],
    }),
    query(listExecutionsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const { rows, costs } = await c.var.db(async (tx) => {
        const rows = await clientPage<ExecutionRow>(tx, {
          table: "workflow_executions",
          select: executionColumns(tx, "t"),
          where: tx`${q.status ? tx`and t.status = ${q.status}` : tx``}
          ${q.workflow_id ? tx`and t.workflow_id = ${q.workflow_id}` : tx``}`,
          after: q.cursor ? { createdAt: q.cursor[0], id: q.cursor[1] } : null,
          limit: q.limit + 1,
        });
        return {
          rows,
          costs: await providerCosts(
            tx,
            rows.slice(0, q.limit).map((r) => r.id),
          ),
        };
      });
      return c.json(
        pageFrom(rows, q.limit, (r) => [r.page_cursor_ts, r.page_id], (row) => {
          const { unit_revenue, ...rest } = withoutPageKeys(row);
          const cost = costs.get(row.id);
          return {
            ...rest,
            unit_revenue: Number(unit_revenue),
            // Only admins get the provider's side back from the database.
            ...(cost
              ? {
                unit_cost: Number(cost.unit_cost),
                provider_cost: cost.provider_cost === null ? null : Number(cost.provider_cost),
              }
              : {}),
          };
        }),
      );
    },
  );
