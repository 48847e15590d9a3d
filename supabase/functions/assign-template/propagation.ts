// Propagating a template to the workflows assigned from it (admins): one call, optionally a
// dry run. public.propagate_template decides everything (who may, what changes, what the
// workflows' triggers refuse); running executions keep the model they snapshotted.
import { userRoutes } from "../../../shared/http/context.ts";
import { body, params } from "../../../shared/http/input.ts";
import { templateIdParam, templatePropagate } from "../../../shared/validation.ts";

export const propagation = userRoutes()
  .post("/templates/:id/propagate", params(templateIdParam), body(templatePropagate), async (c) => {
    const { id } = c.req.valid("param");
    const { dry_run } = c.req.valid("json");
    const [{ propagation }] = await c.var.db((tx) =>
      tx`select public.propagate_template(${id}, ${dry_run}) as propagation`
    );
    return c.json({ propagation });
  });
