// GET /start-execution: the caller's visible executions (RLS), newest first, filtered by
// status / workflow, keyset-paginated on (created_at, id) so pages stay stable while new runs
// start. The cursor carries created_at as Postgres text (microseconds intact).
import type { Context } from "hono";
import { Buffer } from "node:buffer";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { HttpError } from "../../../shared/http.ts";
import { listExecutionsQuery, parseQuery } from "../../../shared/validation.ts";
import { clientPage, withoutPageKeys } from "../../../shared/client-pages.ts";
import { executionColumns, type ExecutionRow, providerCosts } from "./view.ts";

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === "string" &&
      /^[0-9a-f-]{36}$/.test(value[1]) &&
      /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/.test(value[0])
    ) return value as [string, string];
  } catch { /* fall through */ }
  throw new HttpError(400, "invalid_request", "invalid query: cursor", [
    { field: "cursor", message: "must be a next_cursor value from a previous page" },
  ]);
}

export async function listExecutions(c: Context) {
  const user = await requireUser(c.req.raw);
  const q = parseQuery(c.req.raw, listExecutionsQuery);
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const { rows, costs } = await asUser(user.claims, async (tx) => {
    const rows = await clientPage<ExecutionRow>(tx, {
      table: "workflow_executions",
      select: executionColumns(tx, "t"),
      where: tx`${q.status ? tx`and t.status = ${q.status}` : tx``}
        ${q.workflow_id ? tx`and t.workflow_id = ${q.workflow_id}` : tx``}`,
      after: after ? { createdAt: after[0], id: after[1] } : null,
      limit: q.limit + 1,
    });
    return { rows, costs: await providerCosts(tx, rows.slice(0, q.limit).map((r) => r.id)) };
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return c.json({
    data: page.map((row) => {
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
    next_cursor: rows.length > q.limit && last
      ? Buffer.from(JSON.stringify([last.page_cursor_ts, last.id])).toString("base64url")
      : null,
  });
}
