// POST /start-execution/:id/retry: the failed (and with include_cancelled, cancelled) items of a
// finished execution run again as a new execution linked by retry_of. public.retry_execution
// holds every rule and runs as the caller (RLS reads the original, the insert is an ordinary
// start: price snapshot, quotas, model check, first link). Idempotency-Key: same key + same
// body -> the first retry (200); same key + another body -> 409. The body may be left out.
import { z } from "zod";
import { kickFirstLink } from "../../../shared/batch/kick.ts";
import { HttpError } from "../../../shared/core/errors.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { headers, optionalBody, params } from "../../../shared/http/input.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { encryptApiKey, requestHash } from "../../../shared/secrets/secrets.ts";
import { idempotencyKey, idParam, retryExecutionBody } from "../../../shared/validation.ts";
import { loadExecution, presentExecution } from "./view.ts";

const retryHeaders = z.object({ "Idempotency-Key": idempotencyKey.optional() });

interface Retried {
  id: string;
  replayed: boolean;
  request_hash: string | null;
}

export const retry = userRoutes()
  .post(
    "/:id/retry",
    describe({
      summary: "Re-run the failed (optionally cancelled) items as a new execution",
      ok: [202, responses.started],
      refusals: [404, 409, 422, 429],
    }),
    params(idParam),
    headers(retryHeaders),
    optionalBody(retryExecutionBody),
    async (c) => {
      const { id } = c.req.valid("param");
      const { "Idempotency-Key": key } = c.req.valid("header");
      const body = c.req.valid("json");
      // The hash names the original too, so one key cannot replay a retry of another execution.
      const hash = key ? await requestHash({ retry_of: id, ...body }) : null;

      const retried = await c.var.db(async (tx) => {
        const [{ r }] = await tx<{ r: Retried }[]>`
          select public.retry_execution(${id}, ${body.include_cancelled}, ${key ?? null},
            ${hash}, ${body.api_key !== undefined}) as r`;
        if (!r.replayed && body.api_key !== undefined) {
          const sealed = await encryptApiKey(body.api_key, r.id);
          await tx`select private.store_execution_api_key(${r.id}, ${sealed})`;
        }
        return r;
      });

      if (retried.replayed && retried.request_hash !== hash) {
        throw new HttpError(
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request body",
          [{
            field: "Idempotency-Key",
            message: `already used for execution ${retried.id}`,
          }],
        );
      }
      const loaded = await c.var.db((tx) => loadExecution(tx, retried.id, false));
      if (!loaded) throw new HttpError("not_found", "No such execution");
      const execution = await presentExecution(loaded, null, false);
      if (retried.replayed) return c.json({ execution, replayed: true }, 200);
      kickFirstLink(retried.id);
      return c.json({ execution, replayed: false }, 202);
    },
  );
