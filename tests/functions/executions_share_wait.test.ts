// A link whose client holds its whole cap (or fair share of the global one) while its items are
// in flight waits for its own completions instead of claiming every 100 ms under the global
// claim lock (what cost 50 clients at a share of 2 almost three claims per item: bench/fleet.ts).
// The claim answers at_share; while the slow items run, the items table is left alone, the cap
// is kept, and afterwards every item completes once.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  createWorkflow,
  delay,
  invoke,
  itemScans,
  liftClientQuotas,
  startStackGeminiFake,
  waitFor,
  withBatchSettings,
} from "../helpers/executions.ts";
import { closeAll, db, userClient } from "../helpers/stack.ts";

const WINDOW_MS = 3000;

Deno.test({
  name: "executions: a link at its client's cap waits for its own items instead of polling",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    await liftClientQuotas(ACME_CLIENT);
    const [{ config }] = await db()<{ config: Record<string, unknown> }[]>`
      select config from public.workflows where id = ${ACME_WORKFLOW}`;
    const workflowId = await createWorkflow({ ...config, concurrency: 3 }, {
      name: "share wait test",
    });
    try {
      await withBatchSettings({ client_concurrency: 2 }, async () => {
        const tag = `share wait ${crypto.randomUUID().slice(0, 8)}`;
        const prompts = [0, 1, 2].map((i) => `${tag} ${i} [fake:slow:6500]`);
        const res = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: workflowId, prompts },
        });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        const id = res.body.execution.id;
        const processing = async () => {
          const [row] = await db()<{ n: number }[]>`
            select count(*)::int as n from public.workflow_batch_results
            where execution_id = ${id} and status = 'processing'`;
          return row.n;
        };
        await waitFor(
          "the run to claim its client's two slots",
          async () => (await processing()) === 2,
          10_000,
          20,
        );

        // Give the statistics a second to flush, then count while the two items run.
        await delay(1200);
        const before = await itemScans();
        await delay(WINDOW_MS);
        const scans = (await itemScans()) - before;
        // Polling, the link claimed 10 times a second, several scans each: 182 scans in 2 s
        // before the fix. What is left is counters of the start and its first claims flushed
        // late (a backend flushes at most once a second): 2-41 in 2 s with the fix.
        assert.ok(
          scans < 100,
          `${scans} scans of the items table in ${WINDOW_MS} ms while the link held its cap`,
        );
        assert.equal(await processing(), 2, "the client cap still holds");
        const [{ pending }] = await db()<{ pending: number }[]>`
          select count(*)::int as pending from public.workflow_batch_results
          where execution_id = ${id} and status = 'pending'`;
        assert.equal(pending, 1, "the third item waits for a slot");

        await waitFor(
          "the run to finish",
          async () => {
            const [row] = await db()<{ done: boolean }[]>`
              select completed_at is not null as done from public.workflow_executions
              where id = ${id}`;
            return row.done;
          },
          60_000,
          100,
        );
        const [run] = await db()<{ status: string; output_data: Record<string, number> }[]>`
          select status, output_data from public.workflow_executions where id = ${id}`;
        assert.equal(run.status, "completed");
        assert.equal(run.output_data.successful, 3);
        const calls = fake.calls.filter((c) => c.prompt.startsWith(tag));
        assert.equal(calls.length, 3, "each item went to Gemini exactly once");
      });
    } finally {
      await db()`delete from private.client_quotas where client_id = ${ACME_CLIENT}`;
      await db()`update public.workflows set status = 'inactive' where id = ${workflowId}`;
      await fake.close();
      await closeAll();
    }
  },
});
