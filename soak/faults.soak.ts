// Fault injection mid-chain, each on its own execution of 40 prompts with a slow provider so
// items are in flight when the fault lands: the functions host killed (SIGKILL), Postgres
// restarted, the pg_net worker killed, and the provider failing every call for
// SOAK_OUTAGE_SECONDS (default 120). Recovery is left to the product (pg_cron's sweep, the
// worker's own reconnects); the suite only restarts what it killed. After each: every item
// terminal, none duplicated, no orphan Storage objects, counts exact; recovery time reported.
import assert from "node:assert/strict";
import {
  ACME_WORKFLOW,
  functionsRunning,
  killFunctions,
  startFunctions,
  startStackGeminiFake,
  waitFor,
  waitForFinished,
  withBatchSettings,
} from "../tests/helpers/executions.ts";
import { clip, send } from "../tests/helpers/hardening-http.ts";
import { closeAll, db, stack, tokenFor } from "../tests/helpers/stack.ts";
import { stackPaths } from "../stack/paths.ts";
import { startCluster, stopCluster } from "../stack/postgres.ts";
import { alive, readPid, signalGroup, startService } from "../stack/processes.ts";
import { functionsEnv, type StackState } from "../stack/stack.ts";
import type { GeminiFake } from "../tests/fakes/gemini.ts";
import { account, remainingMs } from "./accounting.ts";

const PROMPTS = 40;
const OUTAGE_S = Number(Deno.env.get("SOAK_OUTAGE_SECONDS") ?? 120);
const paths = () => stackPaths(stack().instance);
const figures: string[] = [];

async function startRun(label: string): Promise<string> {
  const prompts = Array.from({ length: PROMPTS }, (_, i) => `fault ${label} ${i}`);
  const a = await send({
    method: "POST",
    path: "/functions/v1/start-execution",
    headers: {
      apikey: stack().anonKey,
      authorization: `Bearer ${await tokenFor("collaborator@acme.test")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ workflow_id: ACME_WORKFLOW, prompts }),
  });
  assert.equal(a.status, 202, clip(a.text));
  return (a.json as { execution: { id: string } }).execution.id;
}

/** Waits until some items are done and some are in flight, the moment to strike. */
function midChain(id: string) {
  return waitFor(
    "items done and in flight",
    async () => {
      const [row] = await db()<{ done: number; busy: number }[]>`
      select count(*) filter (where status in ('completed', 'failed'))::int as done,
             count(*) filter (where status = 'processing')::int as busy
      from public.workflow_batch_results where execution_id = ${id}`;
      return row.done >= 3 && row.busy > 0;
    },
    60_000,
    20,
  );
}

async function scenario(name: string, fault: (fake: GeminiFake) => Promise<void>) {
  const fake = startStackGeminiFake(400);
  try {
    // Short leases: the sweep may requeue a dead link's items at its next run (every minute).
    await withBatchSettings({ lease_seconds: 5, kick_grace_seconds: 0 }, async () => {
      const id = await startRun(name);
      await midChain(id);
      await fault(fake);
      const recovered = Date.now();
      await waitForFinished(id, Math.min(remainingMs(), 8 * 60_000));
      const seconds = (Date.now() - recovered) / 1000;
      const acc = await account(id, PROMPTS);
      figures.push(
        `${name}: final ${seconds.toFixed(1)} s after the fault ended; ${acc.status}, ` +
          `${acc.successful} ok / ${acc.failed} failed of ${acc.total}`,
      );
      console.log(`  ${figures.at(-1)}`);
      assert.deepEqual(acc.problems, []);
    });
  } finally {
    await fake.close();
  }
}

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "soak faults: functions host killed mid-chain",
  ...options,
  async fn() {
    await scenario("functions host killed", async () => {
      await killFunctions();
      await startFunctions();
    });
  },
});

Deno.test({
  name: "soak faults: Postgres restarted mid-chain",
  ...options,
  async fn() {
    await scenario("postgres restarted", async () => {
      await closeAll();
      await stopCluster(paths());
      await startCluster(paths());
    });
  },
});

Deno.test({
  name: "soak faults: pg_net worker killed mid-chain",
  ...options,
  async fn() {
    await scenario("pg_net worker killed", async () => {
      const pid = readPid(paths(), "pgnet");
      if (pid !== null) signalGroup(pid, "SIGKILL");
      await waitFor("the worker to die", () => Promise.resolve(!alive(pid)), 10_000, 20);
      const state = stack() as unknown as StackState;
      await startService(paths(), "pgnet", {
        ...functionsEnv(paths(), state),
        DATABASE_URL: state.adminDbUrl,
      });
    });
  },
});

Deno.test({
  name: `soak faults: the provider fails every call for ${OUTAGE_S} s`,
  ...options,
  async fn() {
    await scenario(`provider outage ${OUTAGE_S} s`, async (fake) => {
      fake.setOutage(true);
      await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
      fake.setOutage(false);
    });
  },
});

Deno.test({
  name: "soak faults: summary",
  ...options,
  async fn() {
    if (!functionsRunning()) await startFunctions();
    console.log(`soak faults:\n  ${figures.join("\n  ")}`);
    await closeAll();
  },
});
