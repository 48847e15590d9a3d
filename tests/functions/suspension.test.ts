// Suspending a client (or a user) mid-run, through the real chain: the queued items are never
// generated or billed, the links in flight stop claiming, the run ends cancelled, and an admin
// can still inspect it while the suspended members cannot.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  executionState,
  invoke,
  items,
  startStackGeminiFake,
  waitFor,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeAll, db, userClient } from "../helpers/stack.ts";

const COLLAB = "collaborator@acme.test";
const ADMIN = "admin@masstock.test";

interface Progress {
  completed: number;
  processing: number;
  pending: number;
  cancelled: number;
  failed: number;
  total: number;
}

async function counts(id: string): Promise<Progress> {
  const [row] = await db()<Progress[]>`
    select count(*) filter (where status = 'completed')::int as completed,
           count(*) filter (where status = 'processing')::int as processing,
           count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'cancelled')::int as cancelled,
           count(*) filter (where status = 'failed')::int as failed,
           count(*)::int as total
    from public.workflow_batch_results where execution_id = ${id}`;
  return row;
}

async function startRun(prompts: number, tag: string): Promise<string> {
  const collab = await userClient(COLLAB);
  const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
    body: {
      workflow_id: ACME_WORKFLOW,
      prompts: Array.from({ length: prompts }, (_, i) => `${tag} ${i}`),
    },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return started.body.execution.id;
}

Deno.test({
  name: "suspension stops the work of a client and of a user",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // Slow enough that the run is still mostly queued when the suspension lands.
    const fake = startStackGeminiFake(400);
    try {
      await t.step("suspending the client cancels its queued items mid-run", async () => {
        const id = await startRun(30, "suspend-client");
        await waitFor(
          "the first items to be generated",
          async () => {
            const c = await counts(id);
            return c.completed >= 1 ? c : null;
          },
          30_000,
          20,
        );
        // The suspension and the look at the ledger in one transaction: the suspension locks
        // the execution row, which every claim takes first, so what is claimed here is
        // exactly what was claimed before the suspension.
        const atSuspension = await db().begin(async (tx) => {
          await tx`update public.clients set status = 'suspended' where id = ${ACME_CLIENT}`;
          const [row] = await tx<Progress[]>`
            select count(*) filter (where status = 'completed')::int as completed,
                   count(*) filter (where status = 'processing')::int as processing,
                   count(*) filter (where status = 'pending')::int as pending
            from public.workflow_batch_results where execution_id = ${id}`;
          return row;
        });
        try {
          assert.equal(
            atSuspension.pending,
            0,
            "nothing is left queued once the suspension commits",
          );
          const state = await waitForFinished(id, 60_000);
          const final = await counts(id);
          assert.equal(state.status, "cancelled");
          assert.match(state.error_message ?? "", /client was suspended/);
          // Only what was already claimed when the suspension landed was generated.
          const claimed = atSuspension.completed + atSuspension.processing;
          assert.ok(claimed < 30, `${claimed} of 30 were claimed before the suspension`);
          assert.ok(final.completed <= claimed, `${final.completed} generated, ${claimed} claimed`);
          assert.equal(final.cancelled + final.failed, 30 - final.completed);
          assert.ok(final.cancelled >= 30 - claimed, JSON.stringify(final));
          // Gemini was asked only for the items claimed before the suspension.
          const asked = fake.calls.filter((c) => c.prompt.startsWith("suspend-client")).length;
          assert.ok(asked <= claimed, `${asked} generations asked for, ${claimed} claimed`);
          // Billing counts what was generated, nothing else.
          assert.equal(state.output_data?.successful, final.completed);

          // Admins still inspect it; the suspended client's members cannot see it.
          const admin = await invoke<{ execution: { status: string } }>(
            await userClient(ADMIN),
            `start-execution/${id}`,
          );
          assert.equal(admin.status, 200);
          assert.equal(admin.body.execution.status, "cancelled");
          const member = await invoke(await userClient(COLLAB), `start-execution/${id}`);
          assert.equal(member.status, 404);
        } finally {
          await db()`update public.clients set status = 'active' where id = ${ACME_CLIENT}`;
        }
        // A reactivated client's run stays cancelled; new runs work again.
        assert.equal((await executionState(id)).status, "cancelled");
      });

      await t.step("suspending the user who started a run cancels it", async () => {
        const id = await startRun(20, "suspend-user");
        await waitFor(
          "the first items to be claimed",
          async () => {
            const c = await counts(id);
            return c.completed + c.processing >= 1 ? c : null;
          },
          30_000,
          20,
        );
        await db()`update public.users set status = 'suspended' where email = ${COLLAB}`;
        try {
          const state = await waitForFinished(id, 60_000);
          assert.equal(state.status, "cancelled");
          assert.match(state.error_message ?? "", /account that started it was suspended/);
          const rows = await items(id);
          assert.ok(rows.filter((r) => r.status === "cancelled").length >= 20 - 11);
          assert.equal(rows.filter((r) => r.status === "pending").length, 0);
        } finally {
          await db()`update public.users set status = 'active' where email = ${COLLAB}`;
        }
      });
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
