// The audit trail of a client's membership changes (owners and admins).
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { auditQuery, clientParam, parse, parseQuery } from "../../../shared/validation.ts";

export function auditRoutes(app: Hono<AppEnv>): void {
  app.get("/clients/:clientId/audit", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId } = parse(clientParam, c.req.param(), "path");
    const query = parseQuery(c.req.raw, auditQuery);
    const entries = await asUser(user.claims, (tx) =>
      // actor_email is null for actors the caller cannot see (e.g. platform staff).
      tx`select a.id::text as id, a.client_id, a.actor_id, u.email as actor_email, a.action,
                a.table_name, a.record_id, a.old_data, a.new_data, a.created_at
         from public.client_audit_log(${clientId}, ${query.limit}, ${query.before ?? null}) a
         left join public.users u on u.id = a.actor_id
         order by a.id desc`);
    const last = entries.at(-1);
    return c.json({
      entries,
      next_before: entries.length === query.limit && last ? Number(last.id) : null,
    });
  });
}
