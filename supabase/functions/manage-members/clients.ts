// The client lifecycle of the admin console: create a client with its first owner (an
// existing user, or an e-mail that is invited), list with search and keyset pages, read,
// edit, suspend, reactivate, soft-delete. RLS decides (admins; owners may edit contact
// details of their own client); public.create_client and the guard triggers name refusals.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { HttpError } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser, type Tx } from "../../../shared/db.ts";
import {
  clientCreate,
  clientParam,
  clientPatch,
  directoryQuery,
  encodePageCursor,
  parse,
  parseBody,
  parseQuery,
} from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";
import { deliverInvitation } from "./delivery.ts";

const columns = (tx: Tx) =>
  tx`c.id, c.name, c.company_name, c.email, c.status,
     to_json(c.created_at) #>> '{}' as created_at, c.updated_at,
     (select count(*)::int from public.client_members cm where cm.client_id = c.id) as member_count`;

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, "\\$&")}%`;
}

export function clientRoutes(app: Hono<AppEnv>): void {
  app.post("/clients", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, clientCreate);
    const [{ result }] = await asUser(
      user.claims,
      (tx) =>
        tx`select public.create_client(${body.name}, ${body.company_name ?? null}, ${body.email},
           ${body.owner_user_id ?? null}, ${body.owner_email ?? null}) as result`,
    );
    const { client, owner, invitation } = result as Record<string, Record<string, unknown> | null>;
    if (!invitation) return c.json({ client, owner }, 201);
    const { token, ...rest } = invitation;
    const notification = await deliverInvitation(body.owner_email!, c.get("requestId"));
    return c.json({ client, owner: null, invitation: rest, token, notification }, 201);
  });

  app.get("/clients", async (c) => {
    const user = await requireUser(c.req.raw);
    const q = parseQuery(c.req.raw, directoryQuery);
    const rows = await asUser(user.claims, (tx) =>
      tx`select ${columns(tx)} from public.clients c
         where true
           ${q.status ? tx`and c.status = ${q.status}` : tx``}
           ${
        q.q
          ? tx`and (c.name ilike ${likePattern(q.q)} or c.company_name ilike ${
            likePattern(q.q)
          } or c.email ilike ${likePattern(q.q)})`
          : tx``
      }
           ${
        q.cursor
          ? tx`and (c.created_at, c.id) < (${q.cursor.created_at}::text::timestamptz, ${q.cursor.id}::uuid)`
          : tx``
      }
         order by c.created_at desc, c.id desc
         limit ${q.limit + 1}`);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json({
      clients: page,
      next_cursor: rows.length > q.limit && last
        ? encodePageCursor({ created_at: last.created_at, id: last.id })
        : null,
    });
  });

  app.get("/clients/:clientId", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId } = parse(clientParam, c.req.param(), "path");
    const [client] = await asUser(
      user.claims,
      (tx) => tx`select ${columns(tx)} from public.clients c where c.id = ${clientId}`,
    );
    if (!client) throw new HttpError(404, "client_not_found", "No such client");
    return c.json({ client });
  });

  app.patch("/clients/:clientId", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId } = parse(clientParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, clientPatch);
    const client = await asUser(user.claims, async (tx) => {
      const [row] = await tx`update public.clients c set ${tx(body)} where c.id = ${clientId}
        returning ${columns(tx)}`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.clients where id = ${clientId}`;
      throw refusal(Boolean(seen), "client");
    });
    return c.json({ client });
  });
}
