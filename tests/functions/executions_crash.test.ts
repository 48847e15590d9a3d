// Crash safety of the chain: the functions host is killed (SIGKILL, no drain) while items are
// in flight, restarted, and the sweep (what pg_cron runs) recovers the execution: every item
// ends terminal, none has two results, and Storage holds exactly one object per result.
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

Deno.test({
  name: "executions: a crash mid-batch is recovered by the sweep without duplicates",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(400);
    const collab = await userClient("collaborator@acme.test");
    try {
      // Short leases so the test need not wait minutes; kicks never held back.
      await withBatchSettings({ lease_seconds: 3, kick_grace_seconds: 0 }, async () => {
        const prompts = Array.from({ length: 40 }, (_, i) => `crash test prompt ${i}`);
        const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: ACME_WORKFLOW, prompts },
        });
        assert.equal(started.status, 202);
        const id = started.body.execution.id;

        await waitForMidBatch(id, 10);
        await killFunctions();
        const [{ stranded }] = await db()<{ stranded: number }[]>`
          select count(*)::int as stranded from workflow_batch_results
          where execution_id = ${id} and status = 'processing'`;
        assert.ok(stranded > 0, "the kill left items in flight");

        await startFunctions();
        // The dead link's leases run out; the sweep requeues its items and re-kicks the chain.
        await waitFor("the dead link's leases to expire", async () => {
          const [{ live }] = await db()<{ live: number }[]>`
            select count(*)::int as live from workflow_batch_results
            where execution_id = ${id} and status = 'processing' and leased_until > now()`;
          return live === 0;
        }, 10_000);
        const swept = await sweep();
        assert.ok(swept.requeued + swept.kicked >= 1, JSON.stringify(swept));

        const state = await waitForFinished(id, 60_000);
        assert.equal(state.status, "completed");
        assert.deepEqual(
          { ...state.output_data },
          { successful: 40, failed: 0, cancelled: 0, total: 40, revenue: 4 },
        );
        const rows = await items(id);
        assert.ok(rows.every((r) => r.status === "completed"));
        const paths = rows.map((r) => r.result_storage_path!).sort();
        assert.equal(new Set(paths).size, 40, "one distinct object per item");
        const stored = await storedObjects(id);
        assert.deepEqual(stored.rows, paths, "no orphan rows in storage.objects");
        assert.deepEqual(stored.files, paths, "no orphan files on disk");
        assert.ok(rows.some((r) => r.attempts > 1), "stranded items were attempted again");
      });
    } finally {
      if (!functionsRunning()) await startFunctions();
      await fake.close();
      await closeAll();
    }
  },
});
