// Propagating a template to the workflows assigned from it (admins): one call, optionally a
// dry run. public.propagate_template decides everything (who may, what changes, what the
// workflows' triggers refuse); running executions keep the model they snapshotted.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import {
  parse,
  parseBody,
  templateIdParam,
  templatePropagate,
} from "../../../shared/validation.ts";

export function propagationRoutes(app: Hono<AppEnv>): void {
  app.post("/templates/:id/propagate", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(templateIdParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, templatePropagate);
    const [row] = await asUser(user.claims, (tx) =>
      tx<{ result: unknown }[]>`
        select public.propagate_template(${id}, ${body.dry_run}) as result`);
    return c.json(row.result as Record<string, unknown>);
  });
}
