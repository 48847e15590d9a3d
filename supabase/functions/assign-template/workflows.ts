// Assigning templates to clients and changing workflows (admins: status, name, config), listing
// them (members see their clients' workflows, admins all, with their model's lifecycle), and
// the workflows whose model is retired or retiring soon (admins).
import type { Hono } from "hono";
import type { JSONValue } from "postgres";
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
  workflowsAtRiskQuery,
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
    // The catalogue is visible to admins only (RLS), so members get model_lifecycle null.
    const workflows = await asUser(user.claims, (tx) =>
      tx`select w.*,
           case when m.id is not null then jsonb_build_object(
             'model', m.id,
             'lifecycle', private.model_lifecycle_now(m.lifecycle, m.retires_on),
             'retires_on', m.retires_on,
             'days_left', m.retires_on - current_date,
             'replacement', m.replacement)
           end as model_lifecycle
         from public.workflows w
         left join public.image_models m on m.id = w.config ->> 'model'
         where (${query.client_id ?? null}::uuid is null or w.client_id = ${
        query.client_id ?? null
      })
           and (${query.status ?? null}::text is null or w.status = ${query.status ?? null})
         order by w.created_at desc, w.id desc`);
    return c.json({ workflows });
  });

  app.get("/workflows/at-risk", async (c) => {
    const user = await requireUser(c.req.raw);
    const query = parseQuery(c.req.raw, workflowsAtRiskQuery);
    const workflows = await asUser(
      user.claims,
      (tx) => tx`select * from public.workflows_at_risk(${query.within_days})`,
    );
    return c.json({ within_days: query.within_days, workflows });
  });

  app.patch("/workflows/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, workflowPatch);
    const workflow = await asUser(user.claims, async (tx) => {
      // Settings not named keep their value; the workflow's triggers check the result.
      const [row] = await tx`update public.workflows set
          status = coalesce(${body.status ?? null}, status),
          name = coalesce(${body.name ?? null}, name),
          description = case when ${body.description !== undefined}
            then ${body.description ?? null} else description end,
          config = config || ${tx.json((body.config ?? {}) as JSONValue)}
        where id = ${id} returning *`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.workflows where id = ${id}`;
      throw refusal(Boolean(seen), "workflow");
    });
    return c.json({ workflow });
  });
}
