// Template routes (platform admins; RLS hides templates from everyone else).
import type { Hono } from "hono";
import type { JSONValue, ParameterOrJSON } from "postgres";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import {
  parse,
  parseBody,
  parseQuery,
  templateCreate,
  templateIdParam,
  templatePatch,
  templatesQuery,
} from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";

// Money as numbers for JSON (numeric(10,4) arrives as a string otherwise).
const columns = `id, name, description, icon, workflow_type, config,
  cost_per_execution::float8 as cost_per_execution,
  revenue_per_execution::float8 as revenue_per_execution, revenue_per_size, is_active,
  created_at, updated_at`;

export function templateRoutes(app: Hono<AppEnv>): void {
  app.get("/templates", async (c) => {
    const user = await requireUser(c.req.raw);
    const query = parseQuery(c.req.raw, templatesQuery);
    const templates = await asUser(user.claims, (tx) =>
      tx.unsafe(
        `select ${columns} from public.workflow_templates
         where $1 or is_active order by name, id`,
        [query.include_inactive ?? false],
      ));
    return c.json({ templates });
  });

  app.post("/templates", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, templateCreate);
    const row: Record<string, ParameterOrJSON<never>> = { ...body } as Record<
      string,
      ParameterOrJSON<never>
    >;
    const [template] = await asUser(user.claims, (tx) => {
      row.config = tx.json(body.config as JSONValue);
      if (body.revenue_per_size !== undefined) {
        row.revenue_per_size = tx.json(body.revenue_per_size as JSONValue);
      }
      return tx`insert into public.workflow_templates ${tx(row)}
         returning ${tx.unsafe(columns)}`;
    });
    return c.json({ template }, 201);
  });

  app.patch("/templates/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(templateIdParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, templatePatch);
    const template = await asUser(user.claims, async (tx) => {
      const changes: Record<string, ParameterOrJSON<never>> = { ...body } as Record<
        string,
        ParameterOrJSON<never>
      >;
      if (body.config !== undefined) changes.config = tx.json(body.config as JSONValue);
      if (body.revenue_per_size !== undefined) {
        changes.revenue_per_size = tx.json(body.revenue_per_size as JSONValue);
      }
      const [row] = await tx`update public.workflow_templates set ${tx(changes)}
        where id = ${id} returning ${tx.unsafe(columns)}`;
      if (row) return row;
      const [seen] = await tx`select 1 from public.workflow_templates where id = ${id}`;
      throw refusal(Boolean(seen), "template");
    });
    return c.json({ template });
  });
}
