// The audit trail of a client's membership changes (owners and admins), newest first.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { params, query } from "../../../shared/http/input.ts";
import { auditQuery, clientParam, pageFrom } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const audit = userRoutes()
  .get(
    "/clients/:clientId/audit",
    describe({
      summary: "A client's membership audit trail, newest first",
      ok: [200, responses.audit],
      refusals: [403, 404],
    }),
    params(clientParam),
    query(auditQuery),
    async (c) => {
      const { clientId } = c.req.valid("param");
      const q = c.req.valid("query");
      const rows = await c.var.db(async (tx) => {
        // actor_email is null for actors the caller cannot see (e.g. platform staff).
        const page = await tx`select a.id::text as id, a.client_id, a.actor_id,
                u.email as actor_email, a.action, a.table_name, a.record_id, a.old_data,
                a.new_data, a.created_at
         from public.client_audit_log(${clientId}, ${q.limit}, ${q.cursor?.[0] ?? null}) a
         left join public.users u on u.id = a.actor_id
         order by a.id desc`;
        // client_audit_log caps a page at 100 rows, so whether another page exists is asked.
        const last = page.at(-1);
        if (page.length < q.limit || !last) return page;
        const [{ more }] = await tx`select exists (select 1 from public.audit_logs
        where client_id = ${clientId} and id < ${last.id}::bigint) as more`;
        return more ? [...page, last] : page;
      });
      return c.json(pageFrom(rows, q.limit, (r) => [Number(r.id)], (r) => r));
    },
  );
