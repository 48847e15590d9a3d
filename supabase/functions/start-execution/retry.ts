// POST /start-execution/:id/retry: the failed (and with include_cancelled, cancelled) items of a
// finished execution run again as a new execution linked by retry_of. public.retry_execution
// holds every rule and runs as the caller (RLS reads the original, the insert is an ordinary
// start: price snapshot, quotas, model check, first link). Idempotency-Key: same key + same
// body -> the first retry (200); same key + another body -> 409. The body is optional.
import type { Context } from "hono";
import { z } from "zod";
import { requireUser } from "../../../shared/auth.ts";
import { kickFirstLink } from "../../../shared/batch/kick.ts";
import { asUser } from "../../../shared/db.ts";
import { HttpError } from "../../../shared/http.ts";
import { encryptApiKey, requestHash } from "../../../shared/secrets.ts";
import {
  idempotencyKey,
  idParam,
  parse,
  parseBody,
  retryExecutionBody,
} from "../../../shared/validation.ts";
import { loadExecution, presentExecution } from "./view.ts";

const headers = z.object({ "Idempotency-Key": idempotencyKey.optional() });

interface Retried {
  id: string;
  replayed: boolean;
  request_hash: string | null;
}

export async function retryExecution(c: Context) {
  const user = await requireUser(c.req.raw);
  const { id } = parse(idParam, { id: c.req.param("id") }, "path");
  const { "Idempotency-Key": key } = parse(
    headers,
    { "Idempotency-Key": c.req.header("idempotency-key") },
    "headers",
  );
  const empty = !c.req.header("content-type") && !Number(c.req.header("content-length") ?? 0);
  const body = empty
    ? parse(retryExecutionBody, {}, "body")
    : await parseBody(c.req.raw, retryExecutionBody);
  // The hash names the original too, so one key cannot replay a retry of another execution.
  const hash = key
    ? await requestHash({ retry_of: id, ...body })
    : null;

  const retried = await asUser(user.claims, async (tx) => {
    const [{ r }] = await tx<{ r: Retried }[]>`
      select public.retry_execution(${id}, ${body.include_cancelled}, ${key ?? null}, ${hash},
        ${body.api_key !== undefined}) as r`;
    if (!r.replayed && body.api_key !== undefined) {
      const sealed = await encryptApiKey(body.api_key, r.id);
      await tx`select private.store_execution_api_key(${r.id}, ${sealed})`;
    }
    return r;
  });

  if (retried.replayed && retried.request_hash !== hash) {
    throw new HttpError(
      409,
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request body",
      { execution_id: retried.id },
    );
  }
  const loaded = await asUser(user.claims, (tx) => loadExecution(tx, retried.id, false));
  if (!loaded) throw new HttpError(404, "not_found", "No such execution");
  if (retried.replayed) {
    return c.json({ ...(await presentExecution(loaded, null, false)), replayed: true }, 200);
  }
  kickFirstLink(retried.id);
  return c.json(await presentExecution(loaded, null, false), 202);
}
