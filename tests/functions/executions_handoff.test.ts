// The chain around pg_net's timing. Link hand-offs overlap the pg_net hop: pg_net 0.19.5 delays a request committed while its
// worker is busy by up to its 1 s pause, so a link asks for its successor before its claim
// window closes (private.enqueue_successor_link notes when it stops claiming) and the
// successor waits for the slots instead of leaving. With links of a few seconds (short
// BATCH_LINK_BUDGET_MS on a restarted functions host) an execution runs over several links:
// each successor starts before its predecessor stops claiming, and nothing is processed twice.
// And start-execution kicks the first link itself after its commit (the queued pg_net kick
// stays the guarantee), so simultaneous starts do not wait for pg_net's pause.
import assert from "node:assert/strict";
import { join } from "node:path";
import { stackPaths } from "../../stack/paths.ts";
import { startService, stopService } from "../../stack/processes.ts";
import { functionsEnv } from "../../stack/stack.ts";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  createWorkflow,
  invoke,
  items,
  killFunctions,
  startFunctions,
  startStackGeminiFake,
  storedObjects,
  waitFor,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeAll, db, stack, userClient } from "../helpers/stack.ts";

const SHORT_LINKS = {
  BATCH_LINK_BUDGET_MS: "5000",
  BATCH_GENERATE_TIMEOUT_MS: "1500",
  BATCH_UPLOAD_TIMEOUT_MS: "1000",
};

function linkStarts(executionId: string): number[] {
  const file = join(stackPaths(stack().instance).logs, "functions.log");
  return Deno.readTextFileSync(file).split("\n")
    .filter((l) => l.includes('"batch link kicked"') && l.includes(executionId))
    .map((l) => Date.parse(JSON.parse(l).time));
}

Deno.test({
  name: "executions: links hand off early and successors take the slots over",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(150);
    await killFunctions();
    await startFunctions(SHORT_LINKS);
    try {
      const [acme] = await db()<{ config: Record<string, unknown> }[]>`
        select config from public.workflows where id = ${ACME_WORKFLOW}`;
      const workflowId = await createWorkflow(
        { ...acme.config, max_prompts: 200, concurrency: 5 },
        { clientId: ACME_CLIENT, name: "handoff test" },
      );
      const prompts = Array.from({ length: 150 }, (_, i) => `handoff prompt ${i}`);
      const member = await userClient("owner@acme.test");
      const started = await invoke<{ execution: { id: string } }>(member, "start-execution", {
        body: { workflow_id: workflowId, prompts },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.execution.id;
      const state = await waitForFinished(id, 120_000);
      assert.equal(state.status, "completed");

      // Several links ran, and the last hand-off was overlapped: its successor started before
      // the predecessor's claim window closed.
      const starts = linkStarts(id);
      assert.ok(starts.length >= 3, `only ${starts.length} links ran`);
      const [handoff] = await db()<{ due_at: Date }[]>`
        select due_at from private.chain_handoffs where execution_id = ${id}`;
      assert.ok(handoff, "no hand-off was noted");
      const successor = starts.filter((t) => t <= handoff.due_at.getTime() + 1000).pop()!;
      assert.ok(
        successor < handoff.due_at.getTime(),
        `the last successor started ${successor - handoff.due_at.getTime()} ms after the hand-off`,
      );

      // Exactly once: one attempt, one Gemini call and one stored object per item.
      const rows = await items(id);
      assert.deepEqual(
        rows.map((r) => [r.status, r.attempts]),
        prompts.map(() => ["completed", 1]),
      );
      for (const prompt of prompts) {
        assert.equal(fake.calls.filter((c) => c.prompt === prompt).length, 1, prompt);
      }
      const stored = await storedObjects(id);
      assert.deepEqual(stored.rows, rows.map((r) => r.result_storage_path).sort());
    } finally {
      await killFunctions();
      await startFunctions();
      await fake.close();
      await closeAll();
    }
  },
});

Deno.test({
  name:
    "executions: the first link starts without waiting for pg_net; its kick then claims nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(20);
    const paths = stackPaths(stack().instance);
    const prompts = [0, 1, 2, 3, 4].map((i) => `direct kick prompt ${i}`);
    let id = "";
    // With pg_net's worker stopped, only start-execution's own kick can start the chain.
    await stopService(paths, "pgnet");
    try {
      const member = await userClient("collaborator@acme.test");
      const started = await invoke<{ execution: { id: string } }>(member, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts },
      });
      assert.equal(started.status, 202);
      id = started.body.execution.id;
      const state = await waitForFinished(id, 30_000);
      assert.equal(state.status, "completed");
      const queued = await db()`
        select 1 from net.http_request_queue where convert_from(body, 'UTF8') like ${`%${id}%`}`;
      assert.equal(queued.length, 1, "the pg_net kick is still queued");
    } finally {
      await startService(paths, "pgnet", {
        ...functionsEnv(paths, stack()),
        DATABASE_URL: stack().dbUrl,
      });
    }
    try {
      // The queued kick is delivered now: a duplicate, it finds nothing to claim.
      await waitFor("the pg_net kick", async () => {
        const rows = await db()`
          select 1 from net._http_response where status_code = 202 and content like ${`%${id}%`}`;
        return rows.length === 1;
      });
      await new Promise((r) => setTimeout(r, 300));
      const rows = await items(id);
      assert.deepEqual(
        rows.map((r) => [r.status, r.attempts]),
        prompts.map(() => ["completed", 1]),
      );
      for (const prompt of prompts) {
        assert.equal(fake.calls.filter((c) => c.prompt === prompt).length, 1, prompt);
      }
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
