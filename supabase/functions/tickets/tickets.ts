// Tickets: open (members of the client), list with filters and keyset pagination, read one
// with comments and history, change status / priority / assignee. Who may change which
// column is the database's rule (RLS + guard triggers): members close or reopen, staff triage.
import { HttpError } from "../../../shared/core/errors.ts";
import { clientPage, withoutPageKeys } from "../../../shared/db/client-pages.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import {
  idParam,
  pageFrom,
  ticketCreate,
  ticketPatch,
  ticketsQuery,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

const columns = `id, client_id, user_id, subject, description, status, priority, assigned_to,
  created_at, updated_at`;
// The same columns read from the list's table alias `t` (see shared/db/client-pages.ts).
const pageColumns = `t.id, t.client_id, t.user_id, t.subject, t.description, t.status,
  t.priority, t.assigned_to, t.created_at, t.updated_at`;

export const tickets = userRoutes()
  .post(
    "/",
    describe({ summary: "Open a ticket", ok: [201, responses.ticket], refusals: [403] }),
    body(ticketCreate),
    async (c) => {
      const b = c.req.valid("json");
      const [ticket] = await c.var.db((tx) =>
        tx`insert into public.support_tickets
           (client_id, user_id, subject, description, priority)
         values (${b.client_id}, ${c.var.user.userId}, ${b.subject}, ${b.description},
                 ${b.priority ?? "medium"})
         returning ${tx.unsafe(columns)}`
      );
      return c.json({ ticket }, 201);
    },
  )
  .get(
    "/",
    describe({ summary: "List tickets, newest first", ok: [200, responses.tickets] }),
    query(ticketsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        clientPage<Record<string, unknown>>(tx, {
          table: "support_tickets",
          select: tx.unsafe(pageColumns),
          where: tx`${q.status ? tx`and t.status = ${q.status}` : tx``}
          ${q.priority ? tx`and t.priority = ${q.priority}` : tx``}`,
          clientId: q.client_id,
          after: q.cursor ? { createdAt: q.cursor[0], id: q.cursor[1] } : null,
          limit: q.limit + 1,
        })
      );
      return c.json(pageFrom(rows, q.limit, (r) => [r.page_cursor_ts, r.page_id], withoutPageKeys));
    },
  )
  .get(
    "/:id",
    describe({
      summary: "One ticket with comments and history",
      ok: [200, responses.ticketDetail],
      refusals: [404],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await c.var.db(async (tx) => {
        const [ticket] = await tx`select ${tx.unsafe(columns)} from public.support_tickets
        where id = ${id}`;
        if (!ticket) throw new HttpError("ticket_not_found", "No such ticket");
        // Internal notes are filtered by RLS: members never receive them.
        const comments = await tx`select id, author_id, body, is_internal, created_at
        from public.ticket_comments where ticket_id = ${id} order by created_at, id`;
        const history = await tx`select from_status, to_status, changed_by, created_at
        from public.ticket_status_history where ticket_id = ${id} order by id`;
        return { ticket, comments, history };
      });
      return c.json(result);
    },
  )
  .patch(
    "/:id",
    describe({
      summary: "Change status, priority or assignee",
      ok: [200, responses.ticket],
      refusals: [403, 404, 422],
    }),
    params(idParam),
    body(ticketPatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const ticket = await c.var.db(async (tx) => {
        const [row] = await tx`update public.support_tickets set ${tx(b)}
        where id = ${id} returning ${tx.unsafe(columns)}`;
        return row ??
          refuse("ticket", await tx`select 1 from public.support_tickets where id = ${id}`);
      });
      return c.json({ ticket });
    },
  );
