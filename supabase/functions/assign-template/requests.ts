// Workflow requests: members of a client file them, admins approve or reject them.
import { HttpError } from "../../../shared/core/errors.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import {
  idParam,
  requestCreate,
  requestDecision,
  requestsQuery,
  wholeList,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const requests = userRoutes()
  .post(
    "/requests",
    describe({
      summary: "Ask for a workflow change (members)",
      ok: [201, responses.request],
      refusals: [403, 404],
    }),
    body(requestCreate),
    async (c) => {
      const b = c.req.valid("json");
      const [request] = await c.var.db((tx) =>
        // The client is the workflow's: a workflow the caller cannot see yields no row (404),
        // and the insert policy decides whether the caller may ask for it (403).
        tx`insert into public.workflow_requests (client_id, workflow_id, notes)
         select w.client_id, w.id, ${b.notes ?? null} from public.workflows w
         where w.id = ${b.workflow_id}
         returning *`
      );
      if (!request) throw new HttpError("workflow_not_found", "No such workflow");
      return c.json({ request }, 201);
    },
  )
  .get(
    "/requests",
    describe({ summary: "List workflow requests", ok: [200, responses.requests] }),
    query(requestsQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx`select * from public.workflow_requests
         where (${q.client_id ?? null}::uuid is null or client_id = ${q.client_id ?? null})
           and (${q.status ?? null}::text is null or status = ${q.status ?? null})
         order by created_at desc, id desc`
      );
      return c.json(wholeList(rows));
    },
  )
  .patch(
    "/requests/:id",
    describe({
      summary: "Approve or reject a request (admins)",
      ok: [200, responses.request],
      refusals: [403, 404, 422],
    }),
    params(idParam),
    body(requestDecision),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const request = await c.var.db(async (tx) => {
        const [row] = await tx`update public.workflow_requests
        set status = ${b.status}, admin_notes = ${b.admin_notes ?? null}
        where id = ${id} returning *`;
        return row ??
          refuse("request", await tx`select 1 from public.workflow_requests where id = ${id}`);
      });
      return c.json({ request });
    },
  );
