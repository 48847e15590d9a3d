// The admin console's analytics: success by client (runs and items), top workflows by usage,
// usage and revenue per client per month. Admin-only in SQL (the functions raise 403
// admin_only for anyone else); read from the rollup finished runs keep up to date.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { query } from "../../../shared/http/input.ts";
import { analyticsQuery, wholeList } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

// numeric comes back as text from postgres.js; the dashboard wants numbers.
function numbers(rows: Record<string, unknown>[], keys: string[]) {
  return rows.map((r) => {
    const out = { ...r };
    for (const k of keys) out[k] = r[k] === null ? null : Number(r[k]);
    return out;
  });
}

export const analytics = userRoutes()
  .get(
    "/analytics/success-by-client",
    describe({
      summary: "Run and item success by client (admins)",
      ok: [200, responses.rows],
      refusals: [403],
    }),
    query(analyticsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx`select * from private.analytics_success_by_client(${q.from ?? null}, ${q.to ?? null})`
      );
      return c.json(wholeList(numbers(rows, [
        "executions",
        "completed",
        "failed",
        "cancelled",
        "execution_success_rate",
        "items_total",
        "items_successful",
        "items_failed",
        "item_success_rate",
      ])));
    },
  )
  .get(
    "/analytics/top-workflows",
    describe({
      summary: "Top workflows by usage (admins)",
      ok: [200, responses.rows],
      refusals: [403],
    }),
    query(analyticsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx`select * from private.analytics_top_workflows(${q.limit}, ${q.from ?? null}, ${
          q.to ?? null
        })`
      );
      return c.json(
        wholeList(
          numbers(rows, ["executions", "items_successful", "item_success_rate", "revenue"]),
        ),
      );
    },
  )
  .get(
    "/analytics/usage",
    describe({
      summary: "Usage and revenue per client per month (admins)",
      ok: [200, responses.rows],
      refusals: [403],
    }),
    query(analyticsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx`select client_id, client_name, to_char(month, 'YYYY-MM') as month, executions,
                items_successful, revenue, provider_cost, margin
         from private.analytics_usage_by_month(${q.client_id ?? null}, ${q.from ?? null}, ${
          q.to ?? null
        })`
      );
      return c.json(wholeList(numbers(rows, [
        "executions",
        "items_successful",
        "revenue",
        "provider_cost",
        "margin",
      ])));
    },
  );
