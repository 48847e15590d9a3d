// Queued executions of one client wait in one list, not in one polling link each: with the
// client's cap held by one slow run, N more runs of the same client leave the items table
// alone (no claims every 100 ms), sit in private.batch_waitlist, and are each picked up by
// the claim that frees the slot: every item completes once, and nothing is left waiting.
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

const QUEUED = 6;
const WINDOW_MS = 2000;

Deno.test({
  name: "executions: queued runs of one client wait in one list, not in polling links",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    await liftClientQuotas(ACME_CLIENT);
    const [{ config }] = await db()<{ config: Record<string, unknown> }[]>`
      select config from public.workflows where id = ${ACME_WORKFLOW}`;
    const workflowId = await createWorkflow({ ...config, concurrency: 1 }, {
      name: "waitlist test",
    });
    try {
      await withBatchSettings({ client_concurrency: 1 }, async () => {
        const start = async (prompt: string) => {
          const res = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
            body: { workflow_id: workflowId, prompts: [prompt] },
          });
          assert.equal(res.status, 202, JSON.stringify(res.body));
          return res.body.execution.id;
        };
        // The first run holds the client's only slot for 8 s.
        const holder = await start("holds the slot [fake:slow:8000]");
        await waitFor(
          "the first run to claim",
          async () => {
            const [row] = await db()<{ n: number }[]>`
            select count(*)::int as n from public.workflow_batch_results
            where execution_id = ${holder} and status = 'processing'`;
            return row.n === 1;
          },
          10_000,
          20,
        );
        const queued: string[] = [];
        for (let i = 0; i < QUEUED; i++) queued.push(await start(`queued ${i}`));

        // Their first links have answered by now; give the statistics a second to flush.
        await delay(1500);
        const before = await itemScans();
        await delay(WINDOW_MS);
        const scans = (await itemScans()) - before;
        // A polling link claims 10 times a second, several scans each: QUEUED links would be
        // over 100 scans in this window. One waiting list leaves at most the sweep's.
        assert.ok(
          scans < QUEUED * (WINDOW_MS / 1000) * 2,
          `${scans} scans of the items table in ${WINDOW_MS} ms while ${QUEUED} runs waited`,
        );
        const waiting = await db()<{ execution_id: string }[]>`
          select execution_id from private.batch_waitlist where client_id = ${ACME_CLIENT}`;
        assert.deepEqual(waiting.map((w) => w.execution_id).sort(), [...queued].sort());
        const [{ pending }] = await db()<{ pending: number }[]>`
          select count(*)::int as pending from public.workflow_batch_results
          where execution_id = any(${queued}::uuid[]) and status = 'pending'`;
        assert.equal(pending, QUEUED, "the queued runs are untouched while they wait");

        // The holder's last claim wakes the next run, whose claim wakes the next, ...
        const ids = [holder, ...queued];
        await waitFor(
          "every run to finish",
          async () => {
            const [row] = await db()<{ n: number }[]>`
            select count(*)::int as n from public.workflow_executions
            where id = any(${ids}::uuid[]) and completed_at is not null`;
            return row.n === ids.length;
          },
          60_000,
          100,
        );
        const outputs = await db()<{ status: string; output_data: Record<string, number> }[]>`
          select status, output_data from public.workflow_executions
          where id = any(${ids}::uuid[])`;
        for (const o of outputs) {
          assert.equal(o.status, "completed");
          assert.equal(o.output_data.successful, 1);
        }
        const prompts = fake.calls.filter((c) =>
          c.prompt.startsWith("queued ") || c.prompt.startsWith("holds the slot")
        );
        assert.equal(prompts.length, ids.length, "each item went to Gemini exactly once");
        const [{ left }] = await db()<{ left: number }[]>`
          select count(*)::int as left from private.batch_waitlist
          where execution_id = any(${ids}::uuid[])`;
        assert.equal(left, 0, "nothing is left waiting");
      });
    } finally {
      await db()`delete from private.client_quotas where client_id = ${ACME_CLIENT}`;
      await db()`update public.workflows set status = 'inactive' where id = ${workflowId}`;
      await fake.close();
      await closeAll();
    }
  },
});
