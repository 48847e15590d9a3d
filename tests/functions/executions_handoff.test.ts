// Link hand-offs overlap the pg_net hop: pg_net 0.19.5 delays a request committed while its
// worker is busy by up to its 1 s pause, so a link asks for its successor before its claim
// window closes (private.enqueue_successor_link notes when it stops claiming) and the
// successor waits for the slots instead of leaving. With links of a few seconds (short
// BATCH_LINK_BUDGET_MS on a restarted functions host) an execution runs over several links:
// each successor starts before its predecessor stops claiming, and nothing is processed twice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { stackPaths } from "../../stack/paths.ts";
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
      const started = await invoke<{ id: string }>(member, "start-execution", {
        body: { workflow_id: workflowId, prompts },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.id;
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
