// POST /start-execution: validate, then ONE transaction as the user: the INSERT (RLS decides
// who may start what; the triggers check the workflow's rules, write the ledger and enqueue
// the first process-batch link, sent by pg_net only at commit) and, if the client brings its
// own Gemini key, the encrypted key. Idempotency-Key: same key + same body -> the first
// execution (200); same key + another body -> 409.
import { z } from "zod";
import { kickFirstLink } from "../../../shared/batch/kick.ts";
import { HttpError } from "../../../shared/core/errors.ts";
import type { Tx } from "../../../shared/db/db.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, headers } from "../../../shared/http/input.ts";
import { encryptApiKey, requestHash } from "../../../shared/secrets/secrets.ts";
import {
  executionInputOf,
  idempotencyKey,
  startExecutionBody,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import {
  executionColumns,
  type ExecutionRow,
  loadExecution,
  presentExecution,
  queuedCounts,
} from "./view.ts";

const startHeaders = z.object({ "Idempotency-Key": idempotencyKey.optional() });

interface Existing {
  id: string;
  request_hash: string | null;
}

function findByKey(tx: Tx, key: string) {
  return tx<Existing[]>`
    select id, request_hash from public.workflow_executions
    where triggered_by_user_id = (select auth.uid()) and idempotency_key = ${key}`;
}

export const start = userRoutes()
  .post(
    "/",
    describe({
      summary: "Start an execution (202; 200 when replayed)",
      ok: [202, responses.started],
      refusals: [403, 404, 409, 413, 415, 422, 429],
    }),
    headers(startHeaders),
    body(startExecutionBody),
    async (c) => {
      const { "Idempotency-Key": key } = c.req.valid("header");
      const body = c.req.valid("json");
      const hash = key ? await requestHash(body) : null;
      // Options and prompts as submitted; the key itself never goes into input_data.
      const input = executionInputOf(body);

      const outcome = await c.var.db(async (tx) => {
        if (key) {
          const [existing] = await findByKey(tx, key);
          if (existing) return { existing };
        }
        // The answer comes back from the INSERT itself: RETURNING sees the row as the BEFORE
        // trigger completed it (concurrency, price snapshot), and every prompt was just queued
        // pending by the AFTER trigger, so re-reading the row and counting the ledger would only
        // add two round trips to the request (bench: request-overhead).
        const [created] = await tx<ExecutionRow[]>`
      insert into public.workflow_executions as e
        (workflow_id, client_id, triggered_by_user_id, input_data, idempotency_key, request_hash)
      select w.id, w.client_id, (select auth.uid()), ${tx.json(input)}, ${key ?? null}, ${hash}
      from public.workflows w
      where w.id = ${body.workflow_id}
      on conflict (triggered_by_user_id, idempotency_key) where idempotency_key is not null
      do nothing
      returning ${executionColumns(tx)}`;
        if (!created) {
          // Either the workflow is not visible to the caller, or a concurrent request with the
          // same key won the race (ON CONFLICT waited for it to commit).
          const [existing] = key ? await findByKey(tx, key) : [];
          if (existing) return { existing };
          throw new HttpError("workflow_not_found", "No such workflow", [
            {
              field: "workflow_id",
              message: "no workflow with this id is available to you",
            },
          ]);
        }
        if (body.api_key !== undefined) {
          const sealed = await encryptApiKey(body.api_key, created.id);
          await tx`select private.store_execution_api_key(${created.id}, ${sealed})`;
        }
        return {
          created: {
            execution: created,
            counts: queuedCounts(body.prompts.length),
            results: [],
            cachedUrls: [],
          },
        };
      });

      if ("existing" in outcome && outcome.existing) {
        if (outcome.existing.request_hash !== hash) {
          throw new HttpError(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body",
            [{
              field: "Idempotency-Key",
              message: `already used for execution ${outcome.existing.id}`,
            }],
          );
        }
        const loaded = await c.var.db((tx) => loadExecution(tx, outcome.existing.id, false));
        if (!loaded) throw new HttpError("not_found", "No such execution");
        return c.json(
          {
            execution: await presentExecution(loaded, null, false),
            replayed: true,
          },
          200,
        );
      }
      kickFirstLink(outcome.created!.execution.id);
      return c.json(
        {
          execution: await presentExecution(outcome.created!, null, false),
          replayed: false,
        },
        202,
      );
    },
  );
