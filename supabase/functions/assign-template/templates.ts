// Template routes (platform admins; RLS hides templates from everyone else).
import type { JSONValue, ParameterOrJSON } from "postgres";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import {
  templateCreate,
  templateIdParam,
  templatePatch,
  templatesQuery,
  wholeList,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

// Money as numbers for JSON (numeric(10,4) arrives as a string otherwise).
const columns = `id, name, description, icon, workflow_type, config,
  cost_per_execution::float8 as cost_per_execution,
  revenue_per_execution::float8 as revenue_per_execution, revenue_per_size, is_active,
  created_at, updated_at`;

type Row = Record<string, ParameterOrJSON<never>>;

export const templates = userRoutes()
  .get(
    "/templates",
    describe({
      summary: "List templates (admins; others get none)",
      ok: [200, responses.templates],
    }),
    query(templatesQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await c.var.db((tx) =>
        tx.unsafe(
          `select ${columns} from public.workflow_templates
         where $1 or is_active order by name, id`,
          [q.include_inactive ?? false],
        )
      );
      return c.json(wholeList(rows));
    },
  )
  .post(
    "/templates",
    describe({
      summary: "Create a template (admins)",
      ok: [201, responses.template],
      refusals: [403, 422],
    }),
    body(templateCreate),
    async (c) => {
      const b = c.req.valid("json");
      const [template] = await c.var.db((tx) => {
        const row = { ...b } as Row;
        row.config = tx.json(b.config as JSONValue);
        if (b.revenue_per_size !== undefined) {
          row.revenue_per_size = tx.json(b.revenue_per_size as JSONValue);
        }
        return tx`insert into public.workflow_templates ${tx(row)}
         returning ${tx.unsafe(columns)}`;
      });
      return c.json({ template }, 201);
    },
  )
  .patch(
    "/templates/:id",
    describe({
      summary: "Change a template (admins)",
      ok: [200, responses.template],
      refusals: [404, 422],
    }),
    params(templateIdParam),
    body(templatePatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const template = await c.var.db(async (tx) => {
        const changes = { ...b } as Row;
        if (b.config !== undefined) changes.config = tx.json(b.config as JSONValue);
        if (b.revenue_per_size !== undefined) {
          changes.revenue_per_size = tx.json(b.revenue_per_size as JSONValue);
        }
        const [row] = await tx`update public.workflow_templates set ${tx(changes)}
        where id = ${id} returning ${tx.unsafe(columns)}`;
        return row ??
          refuse("template", await tx`select 1 from public.workflow_templates where id = ${id}`);
      });
      return c.json({ template });
    },
  );
