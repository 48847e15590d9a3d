// GET /start-execution/:id: one execution as the caller sees it (RLS), its progress and cost,
// and (unless ?results=false) every prompt's result with a signed URL made with the caller's
// own token, so Storage's RLS decides who gets one. POST /:id/cancel: pending prompts are
// dropped, in-flight ones finish (private.cancel_execution decides; cancelling twice answers
// the same, a finished run 409).
import { HttpError } from "../../../shared/core/errors.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { params, query } from "../../../shared/http/input.ts";
import { executionQuery, idParam } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { loadExecution, presentExecution } from "./view.ts";

export const read = userRoutes()
  .get(
    "/:id",
    describe({
      summary: "One execution: progress, cost, results with signed URLs",
      ok: [200, responses.execution],
      refusals: [404],
    }),
    params(idParam),
    query(executionQuery),
    async (c) => {
      const { id } = c.req.valid("param");
      const { results } = c.req.valid("query");
      const loaded = await c.var.db((tx) => loadExecution(tx, id, results));
      if (!loaded) throw new HttpError("not_found", "No such execution");
      const { token, claims } = c.var.user;
      return c.json({
        execution: await presentExecution(loaded, token, results, claims),
      });
    },
  )
  .post(
    "/:id/cancel",
    describe({
      summary: "Cancel an execution: pending prompts are dropped",
      ok: [200, responses.cancellation],
      refusals: [404, 409],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const [{ cancellation }] = await c.var.db((tx) =>
        tx`select private.cancel_execution(${id}) as cancellation`
      );
      return c.json({ cancellation });
    },
  );
