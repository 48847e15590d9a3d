// Workflow requests: members of a client file them, admins approve or reject them.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import {
  idParam,
  parse,
  parseBody,
  parseQuery,
  requestCreate,
  requestDecision,
  requestsQuery,
} from "../../../shared/validation.ts";
import { HttpError } from "../../../shared/http.ts";
import { refusal } from "../../../shared/refusal.ts";

export function requestRoutes(app: Hono<AppEnv>): void {
  app.post("/requests", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, requestCreate);
    const [request] = await asUser(user.claims, (tx) =>
      // The client is the workflow's: a workflow the caller cannot see yields no row (404),
      // and the insert policy decides whether the caller may ask for it (403).
      tx`insert into public.workflow_requests (client_id, workflow_id, notes)
         select w.client_id, w.id, ${body.notes ?? null} from public.workflows w
         where w.id = ${body.workflow_id}
         returning *`);
    if (!request) throw new HttpError(404, "workflow_not_found", "No such workflow");
    return c.json({ request }, 201);
  });

  app.get("/requests", async (c) => {
    const user = await requireUser(c.req.raw);
    const query = parseQuery(c.req.raw, requestsQuery);
    const requests = await asUser(user.claims, (tx) =>
      tx`select * from public.workflow_requests
         where (${query.client_id ?? null}::uuid is null or client_id = ${query.client_id ?? null})
           and (${query.status ?? null}::text is null or status = ${query.status ?? null})
         order by created_at desc, id desc`);
    return c.json({ requests });
  });

  app.patch("/requests/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, requestDecision);
    const request = await asUser(user.claims, async (tx) => {
      const [row] = await tx`update public.workflow_requests
        set status = ${body.status}, admin_notes = ${body.admin_notes ?? null}
        where id = ${id} returning *`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.workflow_requests where id = ${id}`;
      throw refusal(Boolean(seen), "request");
    });
    return c.json({ request });
  });
}
