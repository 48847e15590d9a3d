// process-batch: one link of the batch chain, called by pg_net (start-execution's trigger, the
// previous link, the pg_cron sweep) with the secret key. Also accepts a Database Webhook's
// payload for an INSERT on workflow_executions, so the first kick can be a dashboard webhook;
// a duplicate kick only finds nothing to claim. Answers 202 at once and works in the
// background (EdgeRuntime.waitUntil), so pg_net's single worker is never held open.
import { log } from "../../../shared/core/log.ts";
import { runLink } from "../../../shared/batch/link.ts";
import { functionApp } from "../../../shared/http/app.ts";
import { serviceRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body } from "../../../shared/http/input.ts";
import { processBatchBody } from "../../../shared/validation.ts";
import { retention } from "./retention.ts";
import { responses } from "../../../shared/validation/responses.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void };

const link = serviceRoutes().post(
  "/",
  describe({
    summary: "Run one link of the batch chain (secret key)",
    ok: [202, responses.accepted],
  }),
  body(processBatchBody),
  (c) => {
    const { execution_id, via } = c.req.valid("json");
    log("info", "batch link kicked", { execution_id, via });
    EdgeRuntime.waitUntil(
      runLink(execution_id).catch((err) =>
        log("error", "batch link failed; the sweep will re-kick", {
          execution_id,
          error: String(err?.stack ?? err),
        })
      ),
    );
    return c.json({ accepted: true, execution_id }, 202);
  },
);

export const app = functionApp("process-batch", "service").route("/", link)
  .route("/", retention);
