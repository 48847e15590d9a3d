// Retention through the real parts: process-batch /retention (what pg_cron asks for through
// pg_net) removes a due execution's images through the Storage API (files and storage.objects
// rows), then scrubs its prompts; the execution and ledger rows stay. A run not due is left
// alone, a second run changes nothing, a run interrupted after some Storage deletes loses
// nothing and is finished by the next one, and only the service may ask for a run.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  functionsRunning,
  invoke,
  items,
  killFunctions,
  startFunctions,
  startStackGeminiFake,
  storedObjects,
  waitFor,
  waitForFinished,
  withBatchSettings,
} from "../helpers/executions.ts";
import { closeAll, db, serviceClient, userClient } from "../helpers/stack.ts";

const MARKER = "[removed by retention]";

async function finishedRun(collab: Awaited<ReturnType<typeof userClient>>, tag: string) {
  const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
    body: {
      workflow_id: ACME_WORKFLOW,
      prompts: [`${tag} keep 0`, `${tag} keep 1`, `[fake:blocked] ${tag} 2`],
    },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const id = started.body.execution.id;
  await waitForFinished(id);
  return id;
}

async function age(id: string, days: number) {
  await db()`update public.workflow_executions
    set completed_at = now() - make_interval(days => ${days}) where id = ${id}`;
}

function purgedAt(id: string) {
  return db()<{ content_purged_at: Date | null }[]>`
    select content_purged_at from public.workflow_executions where id = ${id}`
    .then(([r]) => r.content_purged_at);
}

async function runRetention() {
  const { data, error } = await serviceClient().functions.invoke("process-batch/retention", {
    body: {},
  });
  assert.equal(error, null);
  assert.deepEqual(data, { accepted: true });
}

Deno.test({
  name:
    "retention: Storage objects first, rows kept and scrubbed, idempotent, interrupted runs resume",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    try {
      await withBatchSettings({ max_attempts: 1 }, async () => {
        const old = await finishedRun(collab, "retention old");
        const recent = await finishedRun(collab, "retention recent");
        const interrupted = await finishedRun(collab, "retention interrupted");
        await age(old, 100);
        await age(interrupted, 100);
        await age(recent, 10);
        const recentItems = await items(recent);
        const recentObjects = await storedObjects(recent);
        assert.equal(recentObjects.rows.length, 2);

        // Only the service asks for a run; bad input is refused; nothing is removed.
        const denied = await invoke(collab, "process-batch/retention", { body: {} });
        assert.equal(denied.status, 401);
        const { error: bad } = await serviceClient().functions.invoke("process-batch/retention", {
          body: { everything: true },
        });
        const badRes = (bad as { context?: Response } | null)?.context;
        assert.equal(badRes?.status, 400);
        assert.match(JSON.stringify(await badRes!.json()), /everything/);
        assert.equal((await storedObjects(old)).rows.length, 2);
        assert.equal(await purgedAt(old), null);

        // A run killed after deleting part of a folder: the rows still hold everything.
        const part = (await storedObjects(interrupted)).rows.slice(0, 1);
        const { error: removeError } = await serviceClient().storage.from("workflow-results")
          .remove(part);
        assert.equal(removeError, null);
        assert.ok((await items(interrupted)).every((r) => !r.prompt_text.includes(MARKER)));

        // The cron job asks through pg_net when something is due.
        const [{ kicked }] = await db()<{ kicked: string | null }[]>`
          select private.kick_retention()::text as kicked`;
        assert.ok(kicked, "kick_retention queued a request");
        await waitFor(
          "retention to purge both due runs",
          async () => (await purgedAt(old)) && (await purgedAt(interrupted)),
          30_000,
        );

        for (const id of [old, interrupted]) {
          const stored = await storedObjects(id);
          assert.deepEqual(stored, { rows: [], files: [] }, "the folder is gone, rows and files");
          const rows = await items(id);
          assert.deepEqual(
            rows.map((r) => [r.prompt_text, r.status, r.result_storage_path]),
            [[MARKER, "completed", null], [MARKER, "completed", null], [MARKER, "failed", null]],
          );
          const [row] = await db()<{ input_data: { prompts: string[] }; output_data: unknown }[]>`
            select input_data, output_data from workflow_executions where id = ${id}`;
          assert.deepEqual(row.input_data.prompts, [MARKER, MARKER, MARKER]);
          assert.deepEqual(
            row.output_data,
            { successful: 2, failed: 1, cancelled: 0, total: 3, revenue: 0.2 },
          );
        }
        // The member still sees the run (billing record), without its content.
        const seen = await invoke<{ execution: { results: { prompt: string }[] } }>(
          collab,
          `start-execution/${old}`,
        );
        assert.equal(seen.status, 200);
        assert.ok(seen.body.execution.results.every((r) => r.prompt === MARKER));

        // Not due: untouched. Again: nothing changes.
        assert.deepEqual(await items(recent), recentItems);
        assert.deepEqual(await storedObjects(recent), recentObjects);
        const [{ none }] = await db()<{ none: string | null }[]>`
          select private.kick_retention()::text as none`;
        assert.equal(none, null, "nothing due: no request");
        const before = JSON.stringify(
          await db()`
          select id, input_data, content_purged_at from workflow_executions
          where id in (${old}, ${interrupted}, ${recent}) order by id`,
        );
        await runRetention();
        await new Promise((r) => setTimeout(r, 1500));
        const after = JSON.stringify(
          await db()`
          select id, input_data, content_purged_at from workflow_executions
          where id in (${old}, ${interrupted}, ${recent}) order by id`,
        );
        assert.equal(after, before, "a second run changes nothing");
        assert.deepEqual(await storedObjects(recent), recentObjects);
      });
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});

Deno.test({
  name: "retention: only admins set a client's retention; bad input 400 and nothing written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const admin = await userClient("admin@masstock.test");
    const owner = await userClient("owner@acme.test");
    const path = `manage-members/clients/${ACME_CLIENT}/retention`;
    const stored = async () =>
      (await db()<{ days: number }[]>`
        select retention_days as days from private.client_retention
        where client_id = ${ACME_CLIENT}`)[0]?.days ?? null;
    const put = (client: typeof admin, body: unknown) => invokePut(client, path, body);
    try {
      const refused = await put(owner, { retention_days: 7 });
      assert.equal(refused.status, 403);
      assert.equal((refused.body as { error: { code: string } }).error.code, "admin_only");
      assert.equal(await stored(), null);
      for (const bad of [{ retention_days: 0 }, { retention_days: 1.5 }, { days: 30 }, {}]) {
        const answer = await put(admin, bad);
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.equal(await stored(), null);
      }
      const set = await put(admin, { retention_days: 30 });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body, {
        retention: { client_id: ACME_CLIENT, retention_days: 30, default: false },
      });
      assert.equal(await stored(), 30);
      const reset = await put(admin, { retention_days: null });
      assert.equal(reset.status, 200);
      assert.deepEqual(reset.body, {
        retention: { client_id: ACME_CLIENT, retention_days: 90, default: true },
      });
      assert.equal(await stored(), null);
    } finally {
      await closeAll();
    }
  },
});

async function invokePut(
  client: Awaited<ReturnType<typeof userClient>>,
  name: string,
  body: unknown,
) {
  const { data, error, response } = await client.functions.invoke(name, {
    method: "PUT",
    body: body as Record<string, unknown>,
  });
  if (error) {
    const res = (error as { context?: unknown }).context as Response;
    return { status: res.status, body: await res.json() };
  }
  return { status: response?.status ?? 200, body: data };
}

Deno.test({
  name: "retention: the functions host killed during a run loses nothing; the next run finishes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    try {
      await withBatchSettings({ max_attempts: 1 }, async () => {
        const due: string[] = [];
        for (let i = 0; i < 8; i++) due.push(await finishedRun(collab, `retention kill ${i}`));
        const kept = await finishedRun(collab, "retention kill kept");
        for (const id of due) await age(id, 200);
        const keptItems = await items(kept);
        const keptObjects = await storedObjects(kept);

        await runRetention();
        await waitFor("the first purge", async () => (await purgedAt(due[0])) !== null, 30_000, 5);
        await killFunctions();
        // Whatever the kill interrupted: each due run is purged, or keeps every row as it was.
        for (const id of due) {
          const rows = await items(id);
          if (await purgedAt(id)) {
            assert.ok(rows.every((r) => r.prompt_text === MARKER));
            assert.deepEqual((await storedObjects(id)).rows, []);
          } else {
            assert.ok(rows.every((r) =>
              r.prompt_text.startsWith("retention kill") ||
              r.prompt_text.startsWith("[fake:blocked] retention kill")
            ));
          }
        }
        await startFunctions();
        await runRetention();
        await waitFor("every due run purged", async () => {
          for (const id of due) if (!(await purgedAt(id))) return false;
          return true;
        }, 30_000);
        for (const id of due) {
          const stored = await storedObjects(id);
          assert.deepEqual(stored.rows, [], "no object is left in the bucket");
          // The local Storage stand-in runs in the killed host: a delete it had committed but
          // not yet settled on disk leaves its staged-aside file (never served, no row). That
          // is the storage service's own crash debris, not an object; anything else must go.
          assert.deepEqual(stored.files.filter((f) => !/\.deleted-[0-9a-f-]{36}$/.test(f)), []);
        }
        assert.deepEqual(await items(kept), keptItems, "the run not due is untouched");
        assert.deepEqual(await storedObjects(kept), keptObjects);
      });
    } finally {
      if (!functionsRunning()) await startFunctions();
      await fake.close();
      await closeAll();
    }
  },
});
