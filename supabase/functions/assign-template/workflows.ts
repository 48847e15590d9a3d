// Assigning templates to clients and switching workflows on or off (admins), listing them
// (members see their clients' workflows, admins all).
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import {
  assignmentCreate,
  idParam,
  parse,
  parseBody,
  parseQuery,
  workflowPatch,
  workflowsQuery,
} from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";

export function workflowRoutes(app: Hono<AppEnv>): void {
  app.post("/assignments", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, assignmentCreate);
    const [workflow] = await asUser(user.claims, (tx) =>
      tx`select w.* from public.assign_template(
           ${body.template_id}, ${body.client_id}, ${body.name ?? null},
           ${body.description ?? null}, ${tx.json(body.config_overrides ?? {})}
         ) w`);
    return c.json({ workflow }, 201);
  });

  app.get("/workflows", async (c) => {
    const user = await requireUser(c.req.raw);
    const query = parseQuery(c.req.raw, workflowsQuery);
    const workflows = await asUser(user.claims, (tx) =>
      tx`select * from public.workflows
         where (${query.client_id ?? null}::uuid is null or client_id = ${query.client_id ?? null})
           and (${query.status ?? null}::text is null or status = ${query.status ?? null})
         order by created_at desc, id desc`);
    return c.json({ workflows });
  });

  app.patch("/workflows/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, workflowPatch);
    const workflow = await asUser(user.claims, async (tx) => {
      const [row] = await tx`update public.workflows set status = ${body.status}
        where id = ${id} returning *`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.workflows where id = ${id}`;
      throw refusal(Boolean(seen), "workflow");
    });
    return c.json({ workflow });
  });
}
