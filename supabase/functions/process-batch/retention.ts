// POST /process-batch/retention (secret key): one retention run, asked for by pg_cron through
// private.kick_retention. Answers 202 at once and works in the background, like a link, so
// pg_net's single worker is never held open; runs are idempotent, so a duplicate costs a query.
import { log } from "../../../shared/core/log.ts";
import { runRetention } from "../../../shared/batch/retention.ts";
import { serviceRoutes } from "../../../shared/http/context.ts";
import { body } from "../../../shared/http/input.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { retentionResponses, retentionRunBody } from "../../../shared/validation.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void };

export const retention = serviceRoutes().post(
  "/retention",
  describe({
    summary: "Run retention: remove past-retention images, then scrub inputs (secret key)",
    ok: [202, retentionResponses.runAccepted],
  }),
  body(retentionRunBody),
  (c) => {
    const { max_executions } = c.req.valid("json");
    EdgeRuntime.waitUntil(
      runRetention(max_executions).catch((err) =>
        log("error", "retention run failed; the next run resumes", {
          error: String(err?.stack ?? err),
        })
      ),
    );
    return c.json({ accepted: true }, 202);
  },
);
