// Tickets: open (members of the client), list with filters and keyset pagination, read one
// with comments, history, attachments and its execution's summary, change status / priority /
// assignee / execution / client (a move). Who may change which
// column is the database's rule (RLS + guard triggers): members close or reopen, staff triage.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { HttpError } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import {
  encodeTicketCursor,
  idParam,
  parse,
  parseBody,
  parseQuery,
  ticketCreate,
  ticketPatch,
  ticketsQuery,
} from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";
import { clientPage, withoutPageKeys } from "../../../shared/client-pages.ts";
import { executionSummary, ticketAttachments } from "./ticket-details.ts";
import { ticketFilters } from "./filters.ts";

// created_at as JSON text keeps its microseconds, which the cursor needs (a JS Date drops them).
const columns = `id, client_id, user_id, subject, description, status, priority, assigned_to,
  execution_id, to_json(created_at) #>> '{}' as created_at, updated_at`;
// The same columns read from the list's table alias `t` (see shared/client-pages.ts).
const pageColumns = `t.id, t.client_id, t.user_id, t.subject, t.description, t.status,
  t.priority, t.assigned_to, t.execution_id, to_json(t.created_at) #>> '{}' as created_at,
  t.updated_at`;

export function ticketRoutes(app: Hono<AppEnv>): void {
  app.post("/", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, ticketCreate);
    const [ticket] = await asUser(user.claims, (tx) =>
      tx`insert into public.support_tickets
           (client_id, user_id, subject, description, priority, execution_id)
         values (${body.client_id}, ${user.userId}, ${body.subject}, ${body.description},
                 ${body.priority ?? "medium"}, ${body.execution_id ?? null})
         returning ${tx.unsafe(columns)}`);
    return c.json({ ticket }, 201);
  });

  app.get("/", async (c) => {
    const user = await requireUser(c.req.raw);
    const q = parseQuery(c.req.raw, ticketsQuery);
    const rows = await asUser(user.claims, (tx) =>
      clientPage<Record<string, unknown>>(tx, {
        table: "support_tickets",
        select: tx.unsafe(pageColumns),
        where: tx`${q.status ? tx`and t.status = ${q.status}` : tx``}
          ${ticketFilters(tx, { ...q, client_id: undefined })}`,
        clientId: q.client_id,
        after: q.cursor ? { createdAt: q.cursor.created_at, id: q.cursor.id } : null,
        limit: q.limit + 1,
      }));
    // One row more than asked says whether another page exists, without a count.
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const next_cursor = rows.length > q.limit && last
      ? encodeTicketCursor({ created_at: last.page_cursor_ts, id: last.page_id })
      : null;
    const tickets = page.map(withoutPageKeys);
    return c.json({ tickets, next_cursor });
  });

  app.get("/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const result = await asUser(user.claims, async (tx) => {
      const [ticket] = await tx`select ${tx.unsafe(columns)} from public.support_tickets
        where id = ${id}`;
      if (!ticket) throw new HttpError(404, "not_found", "No such ticket");
      // Internal notes are filtered by RLS: members never receive them.
      const comments = await tx`select id, author_id, body, is_internal, created_at
        from public.ticket_comments where ticket_id = ${id} order by created_at, id`;
      const history = await tx`select from_status, to_status, changed_by, created_at
        from public.ticket_status_history where ticket_id = ${id} order by id`;
      const attachments = await ticketAttachments(tx, id);
      const execution = ticket.execution_id
        ? await executionSummary(tx, ticket.execution_id as string)
        : null;
      return { ticket, comments, history, attachments, execution };
    });
    return c.json(result);
  });

  app.patch("/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, ticketPatch);
    const ticket = await asUser(user.claims, async (tx) => {
      const [row] = await tx`update public.support_tickets set ${tx(body)}
        where id = ${id} returning ${tx.unsafe(columns)}`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.support_tickets where id = ${id}`;
      throw refusal(Boolean(seen), "ticket");
    });
    return c.json({ ticket });
  });
}
