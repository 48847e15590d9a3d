// Propagating a template to the workflows assigned from it (admins): one call, optionally a
// dry run. public.propagate_template decides everything (who may, what changes, what the
// workflows' triggers refuse); running executions keep the model they snapshotted.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params } from "../../../shared/http/input.ts";
import { templateIdParam, templatePropagate } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const propagation = userRoutes()
  .post(
    "/templates/:id/propagate",
    describe({
      summary: "Propagate a template to its workflows (admins; dry run first)",
      ok: [200, responses.propagation],
      refusals: [403, 404, 422],
    }),
    params(templateIdParam),
    body(templatePropagate),
    async (c) => {
      const { id } = c.req.valid("param");
      const { dry_run } = c.req.valid("json");
      const [{ propagation }] = await c.var.db((tx) =>
        tx`select public.propagate_template(${id}, ${dry_run}) as propagation`
      );
      return c.json({ propagation });
    },
  );
