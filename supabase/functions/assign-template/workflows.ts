// Assigning templates to clients and changing workflows (admins: status, name, config), listing
// them (members see their clients' workflows, admins all, with their model's lifecycle), and
// the workflows whose model is retired or retiring soon (admins).
import type { JSONValue } from "postgres";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import {
  assignmentCreate,
  idParam,
  wholeList,
  workflowPatch,
  workflowsAtRiskQuery,
  workflowsQuery,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const workflows = userRoutes()
  .post(
    "/assignments",
    describe({
      summary: "Assign a template to a client (admins)",
      ok: [201, responses.workflow],
      refusals: [403, 404, 422],
    }),
    body(assignmentCreate),
    async (c) => {
      const b = c.req.valid("json");
      const [workflow] = await c.var.db((tx) =>
        tx`select w.* from public.assign_template(
           ${b.template_id}, ${b.client_id}, ${b.name ?? null},
           ${b.description ?? null}, ${tx.json(b.config_overrides ?? {})}
         ) w`
      );
      return c.json({ workflow }, 201);
    },
  )
  .get(
    "/workflows",
    describe({
      summary: "List workflows (members: their clients')",
      ok: [200, responses.workflows],
    }),
    query(workflowsQuery),
    async (c) => {
      const q = c.req.valid("query");
      // The catalogue is visible to admins only (RLS), so members get model_lifecycle null.
      const rows = await c.var.db((tx) =>
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
         where (${q.client_id ?? null}::uuid is null or w.client_id = ${q.client_id ?? null})
           and (${q.status ?? null}::text is null or w.status = ${q.status ?? null})
         order by w.created_at desc, w.id desc`
      );
      return c.json(wholeList(rows));
    },
  )
  .get(
    "/workflows/at-risk",
    describe({
      summary: "Workflows whose model is retired or retiring (admins)",
      ok: [200, responses.rows],
      refusals: [403],
    }),
    query(workflowsAtRiskQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx`select * from public.workflows_at_risk(${q.within_days})`
      );
      return c.json(wholeList(rows));
    },
  )
  .patch(
    "/workflows/:id",
    describe({
      summary: "Change a workflow (admins)",
      ok: [200, responses.workflow],
      refusals: [403, 404, 422],
    }),
    params(idParam),
    body(workflowPatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const workflow = await c.var.db(async (tx) => {
        // Settings not named keep their value; the workflow's triggers check the result.
        const [row] = await tx`update public.workflows set
          status = coalesce(${b.status ?? null}, status),
          name = coalesce(${b.name ?? null}, name),
          description = case when ${b.description !== undefined}
            then ${b.description ?? null} else description end,
          config = config || ${tx.json((b.config ?? {}) as JSONValue)}
        where id = ${id} returning *`;
        return row ?? refuse("workflow", await tx`select 1 from public.workflows where id = ${id}`);
      });
      return c.json({ workflow });
    },
  );
