// The client lifecycle of the admin console: create a client with its first owner (an
// existing user, or an e-mail that is invited), list with search and keyset pages, read,
// edit, suspend, reactivate, soft-delete. RLS decides (admins; owners may edit contact
// details of their own client); public.create_client and the guard triggers name refusals.
import { HttpError } from "../../../shared/core/errors.ts";
import type { Tx } from "../../../shared/db/db.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import {
  clientCreate,
  clientParam,
  clientPatch,
  directoryQuery,
  pageFrom,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { deliverInvitation } from "./delivery.ts";

const columns = (tx: Tx) =>
  tx`c.id, c.name, c.company_name, c.email, c.status, c.created_at, c.updated_at,
     (select count(*)::int from public.client_members cm where cm.client_id = c.id) as member_count`;

export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, "\\$&")}%`;
}

export const clients = userRoutes()
  .post(
    "/clients",
    describe({
      summary: "Create a client with its first owner (admins)",
      ok: [201, responses.clientCreated],
      refusals: [403, 404, 422],
    }),
    body(clientCreate),
    async (c) => {
      const b = c.req.valid("json");
      const [{ result }] = await c.var.db((tx) =>
        tx`select public.create_client(${b.name}, ${b.company_name ?? null}, ${b.email},
           ${b.owner_user_id ?? null}, ${b.owner_email ?? null}) as result`
      );
      const { client, owner, invitation } = result as Record<
        string,
        Record<string, unknown> | null
      >;
      if (!invitation) return c.json({ client, owner }, 201);
      const { token, ...rest } = invitation;
      const notification = await deliverInvitation(b.owner_email!, c.var.requestId);
      return c.json({ client, owner: null, invitation: rest, token, notification }, 201);
    },
  )
  .get(
    "/clients",
    describe({ summary: "List clients, newest first", ok: [200, responses.clients] }),
    query(directoryQuery),
    async (c) => {
      const q = c.req.valid("query");
      const like = q.q ? likePattern(q.q) : null;
      const rows = await c.var.db((tx) =>
        tx`select ${columns(tx)} from public.clients c
         where true
           ${q.status ? tx`and c.status = ${q.status}` : tx``}
           ${
          like
            ? tx`and (c.name ilike ${like} or c.company_name ilike ${like} or c.email ilike ${like})`
            : tx``
        }
           ${
          q.cursor
            ? tx`and (c.created_at, c.id) < (${q.cursor[0]}::text::timestamptz, ${
              q.cursor[1]
            }::uuid)`
            : tx``
        }
         order by c.created_at desc, c.id desc
         limit ${q.limit + 1}`
      );
      return c.json(pageFrom(rows, q.limit, (r) => [r.created_at, r.id], (r) => r));
    },
  )
  .get(
    "/clients/:clientId",
    describe({ summary: "One client", ok: [200, responses.client], refusals: [404] }),
    params(clientParam),
    async (c) => {
      const { clientId } = c.req.valid("param");
      const [client] = await c.var.db((tx) =>
        tx`select ${columns(tx)} from public.clients c where c.id = ${clientId}`
      );
      if (!client) throw new HttpError("client_not_found", "No such client");
      return c.json({ client });
    },
  )
  .patch(
    "/clients/:clientId",
    describe({
      summary: "Change a client: contact details, status (admins)",
      ok: [200, responses.client],
      refusals: [403, 404, 422],
    }),
    params(clientParam),
    body(clientPatch),
    async (c) => {
      const { clientId } = c.req.valid("param");
      const b = c.req.valid("json");
      const client = await c.var.db(async (tx) => {
        const [row] = await tx`update public.clients c set ${tx(b)} where c.id = ${clientId}
        returning ${columns(tx)}`;
        return row ??
          refuse("client", await tx`select 1 from public.clients where id = ${clientId}`);
      });
      return c.json({ client });
    },
  );
