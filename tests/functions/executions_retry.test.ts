// POST start-execution/:id/retry through the whole chain: the failed (and, when asked, the
// cancelled) items of a finished run go again as a new execution naming the original, priced
// like any start; one Idempotency-Key gives one retry; a running original is refused; another
// client's member learns nothing and writes nothing; the original's results never change; a
// functions crash during the retry run loses and duplicates nothing. Direct inserts through
// the database API are checked in tests/db/execution_retry.test.sql.
import assert from "node:assert/strict";
import {
  ACME_WORKFLOW,
  functionsRunning,
  invoke,
  items,
  killFunctions,
  startFunctions,
  startStackGeminiFake,
  storedObjects,
  sweep,
  waitFor,
  waitForFinished,
  waitForMidBatch,
  withBatchSettings,
} from "../helpers/executions.ts";
import { closeAll, db, userClient } from "../helpers/stack.ts";

interface Execution {
  id: string;
  status: string;
  retry_of: string | null;
}
type Started = { execution: Execution; replayed: boolean };
type Refused = { error: { code: string } };

async function executionRow(id: string) {
  const [row] = await db()<
    {
      retry_of: string | null;
      retry_indexes: number[] | null;
      prompts: string[];
      unit_revenue: string;
      client_id: string;
    }[]
  >`
    select retry_of, retry_indexes, input_data -> 'prompts' as prompts, unit_revenue::text,
           client_id
    from public.workflow_executions where id = ${id}`;
  return row;
}

const retriesOf = async (id: string) =>
  (await db()<{ n: number }[]>`
    select count(*)::int as n from public.workflow_executions where retry_of = ${id}`)[0].n;

Deno.test({
  name: "retry: failed items run again as a linked, priced, idempotent new execution",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    const globex = await userClient("owner@globex.test");
    const tag = crypto.randomUUID().slice(0, 8);
    try {
      // One attempt per item, so a transient error fails the item in the original run and the
      // same prompt succeeds the next time (flaky:1), in the retry.
      await withBatchSettings({ max_attempts: 1, kick_grace_seconds: 0 }, async () => {
        const prompts = [
          `retry ok ${tag}`,
          `retry always fails ${tag} [fake:400]`,
          `retry works second time ${tag} [fake:flaky:1]`,
        ];
        const started = await invoke<Started>(collab, "start-execution", {
          body: { workflow_id: ACME_WORKFLOW, prompts },
        });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const id = started.body.execution.id;

        // Still running: refused, nothing written.
        const early = await invoke<Refused>(collab, `start-execution/${id}/retry`, { body: {} });
        if (early.status !== 422) {
          // (the run may already be over on a fast machine: then the 409 is checked below)
          assert.equal(early.status, 409, JSON.stringify(early.body));
          assert.equal(early.body.error.code, "execution_running");
        }

        await waitForFinished(id);
        const before = await items(id);
        assert.deepEqual(before.map((r) => r.status), ["completed", "failed", "failed"]);
        const original = await executionRow(id);

        // Another client's member: 404, nothing written.
        const foreign = await invoke<Refused>(globex, `start-execution/${id}/retry`, {
          body: {},
          headers: { "Idempotency-Key": `foreign-${tag}` },
        });
        assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
        assert.equal(await retriesOf(id), 0);

        // Bad body: 400 naming the field, nothing written.
        const bad = await invoke<{ error: { code: string; details: { field: string }[] } }>(
          collab,
          `start-execution/${id}/retry`,
          { body: { include_cancelled: "yes" } },
        );
        assert.equal(bad.status, 400);
        assert.equal(bad.body.error.details[0].field, "include_cancelled");
        assert.equal(await retriesOf(id), 0);

        const key = `retry-${tag}`;
        const retried = await invoke<Started>(collab, `start-execution/${id}/retry`, {
          body: {},
          headers: { "Idempotency-Key": key },
        });
        assert.equal(retried.status, 202, JSON.stringify(retried.body));
        assert.equal(retried.body.replayed, false);
        assert.equal(retried.body.execution.retry_of, id);
        const retryId = retried.body.execution.id;
        assert.notEqual(retryId, id);

        const row = await executionRow(retryId);
        assert.deepEqual(row.retry_indexes, [1, 2]);
        assert.deepEqual(row.prompts, [prompts[1], prompts[2]]);
        assert.equal(row.client_id, original.client_id);
        assert.equal(row.unit_revenue, original.unit_revenue, "priced like any start");

        // Same key, same body: the same retry, no second one; same key, other body: 409.
        const again = await invoke<Started>(collab, `start-execution/${id}/retry`, {
          body: {},
          headers: { "Idempotency-Key": key },
        });
        assert.equal(again.status, 200);
        assert.equal(again.body.replayed, true);
        assert.equal(again.body.execution.id, retryId);
        const other = await invoke<Refused>(collab, `start-execution/${id}/retry`, {
          body: { include_cancelled: true },
          headers: { "Idempotency-Key": key },
        });
        assert.equal(other.status, 409);
        assert.equal(other.body.error.code, "idempotency_key_reused");
        assert.equal(await retriesOf(id), 1);

        const done = await waitForFinished(retryId);
        assert.equal(done.status, "completed");
        assert.equal(done.output_data?.successful, 1);
        assert.equal(done.output_data?.failed, 1);
        assert.equal(
          Number(done.output_data?.revenue),
          Number(row.unit_revenue),
          "the retry bills its own success",
        );
        assert.deepEqual(
          (await items(retryId)).map((r) => [r.prompt_text, r.status]),
          [[prompts[1], "failed"], [prompts[2], "completed"]],
        );
        assert.deepEqual(await items(id), before, "the original's results are untouched");

        // A run with nothing failed: 422, nothing written.
        const clean = await invoke<Started>(collab, "start-execution", {
          body: { workflow_id: ACME_WORKFLOW, prompts: [`retry clean ${tag}`] },
        });
        await waitForFinished(clean.body.execution.id);
        const nothing = await invoke<Refused>(
          collab,
          `start-execution/${clean.body.execution.id}/retry`,
          { method: "POST" }, // no body at all: the same as {}
        );
        assert.equal(nothing.status, 422, JSON.stringify(nothing.body));
        assert.equal(nothing.body.error.code, "nothing_to_retry");
        assert.equal(await retriesOf(clean.body.execution.id), 0);

        // A running original: 409, nothing written.
        const slow = await invoke<Started>(collab, "start-execution", {
          body: { workflow_id: ACME_WORKFLOW, prompts: [`retry slow ${tag} [fake:slow:4000]`] },
        });
        const running = await invoke<Refused>(
          collab,
          `start-execution/${slow.body.execution.id}/retry`,
          { body: {} },
        );
        assert.equal(running.status, 409, JSON.stringify(running.body));
        assert.equal(running.body.error.code, "execution_running");
        assert.equal(await retriesOf(slow.body.execution.id), 0);
        await waitForFinished(slow.body.execution.id);
      });
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});

Deno.test({
  name: "retry: a functions crash during the retry run is recovered without loss or duplicates",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(300);
    const collab = await userClient("collaborator@acme.test");
    const tag = crypto.randomUUID().slice(0, 8);
    try {
      await withBatchSettings(
        { max_attempts: 1, lease_seconds: 3, kick_grace_seconds: 0 },
        async () => {
          const prompts = Array.from(
            { length: 24 },
            (_, i) => `retry crash ${tag} ${i} [fake:flaky:1]`,
          );
          const started = await invoke<Started>(collab, "start-execution", {
            body: { workflow_id: ACME_WORKFLOW, prompts },
          });
          const id = started.body.execution.id;
          await waitForFinished(id);
          const before = await items(id);
          assert.ok(before.every((r) => r.status === "failed"), "every item failed once");

          // The retry run gets the usual attempts: items stranded by the crash go again.
          await db()`update private.batch_settings set max_attempts = 4`;
          const retried = await invoke<Started>(collab, `start-execution/${id}/retry`, {
            body: {},
            headers: { "Idempotency-Key": `crash-${tag}` },
          });
          assert.equal(retried.status, 202, JSON.stringify(retried.body));
          const retryId = retried.body.execution.id;
          await waitForMidBatch(retryId, 4);
          await killFunctions();
          await startFunctions();
          // Replaying the request after the crash answers the same retry, not a second one.
          const replay = await invoke<Started>(collab, `start-execution/${id}/retry`, {
            body: {},
            headers: { "Idempotency-Key": `crash-${tag}` },
          });
          assert.equal(replay.status, 200);
          assert.equal(replay.body.execution.id, retryId);
          await waitFor("the dead link's leases to expire", async () => {
            const [{ live }] = await db()<{ live: number }[]>`
              select count(*)::int as live from workflow_batch_results
              where execution_id = ${retryId} and status = 'processing' and leased_until > now()`;
            return live === 0;
          }, 10_000);
          await sweep();
          const done = await waitForFinished(retryId, 60_000);
          assert.equal(done.status, "completed");
          assert.equal(done.output_data?.successful, 24);
          const rows = await items(retryId);
          const paths = rows.map((r) => r.result_storage_path!).sort();
          assert.equal(new Set(paths).size, 24, "one distinct object per item");
          assert.deepEqual((await storedObjects(retryId)).rows, paths, "no orphan objects");
          assert.deepEqual(await items(id), before, "the original's results are untouched");
          assert.equal(await retriesOf(id), 1);
        },
      );
    } finally {
      if (!functionsRunning()) await startFunctions();
      await fake.close();
      await closeAll();
    }
  },
});
