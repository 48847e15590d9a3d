// start-execution: clients' members start batch executions and follow them.
//   POST /                 start (Idempotency-Key header supported)      -> 202 (200 on replay)
//   GET  /                 list (?status, ?workflow_id, ?limit, ?cursor) -> 200
//   GET  /:id              one execution, progress, cost, results with signed URLs (?results=false)
//   POST /:id/cancel       cancel: pending prompts are dropped, in-flight ones finish
//   POST /:id/retry        re-run the failed (optionally cancelled) items as a new execution
// Every query runs as the caller: RLS and the checked SQL functions decide.
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { createApp, HttpError } from "../../../shared/http.ts";
import { executionQuery, idParam, parse, parseQuery } from "../../../shared/validation.ts";
import { listExecutions } from "./list.ts";
import { retryExecution } from "./retry.ts";
import { startExecution } from "./start.ts";
import { loadExecution, presentExecution } from "./view.ts";

const app = createApp("start-execution");

app.post("/", startExecution);
app.get("/", listExecutions);

app.get("/:id", async (c) => {
  const user = await requireUser(c.req.raw);
  const { id } = parse(idParam, { id: c.req.param("id") }, "path");
  const { results } = parseQuery(c.req.raw, executionQuery);
  const loaded = await asUser(user.claims, (tx) => loadExecution(tx, id, results));
  if (!loaded) throw new HttpError(404, "not_found", "No such execution");
  const token = c.req.header("authorization")?.replace(/^Bearer\s+/i, "") ?? null;
  return c.json(await presentExecution(loaded, token, results, user.claims));
});

app.post("/:id/cancel", async (c) => {
  const user = await requireUser(c.req.raw);
  const { id } = parse(idParam, { id: c.req.param("id") }, "path");
  const [row] = await asUser(
    user.claims,
    (tx) => tx<{ r: unknown }[]>`select private.cancel_execution(${id}) as r`,
  );
  return c.json(row.r);
});

app.post("/:id/retry", retryExecution);

Deno.serve(app.fetch);
