// Database Webhooks as Supabase implements them: a trigger calling
// supabase_functions.http_request(url, method, headers, params, timeout_ms), which posts
// {type, table, schema, record, old_record} through pg_net and notes the request in
// supabase_functions.hooks. process-batch accepts that payload for an INSERT on
// workflow_executions as well as the chain's own {execution_id}; every delivery beyond the
// first finds nothing to claim, so duplicates process nothing twice.
import assert from "node:assert/strict";
import { stackPaths } from "../../stack/paths.ts";
import { startService, stopService } from "../../stack/processes.ts";
import { functionsEnv } from "../../stack/stack.ts";
import {
  ACME_WORKFLOW,
  invoke,
  items,
  startStackGeminiFake,
  storedObjects,
  waitFor,
  waitForFinished,
  writeCounts,
} from "../helpers/executions.ts";
import { startRecordingServer } from "../helpers/recording-server.ts";
import { closeAll, db, stack, userClient } from "../helpers/stack.ts";

type Started = { execution: { id: string } };

function processBatchUrl(): string {
  return `${stack().apiUrl}/functions/v1/process-batch`;
}

function postProcessBatch(body: unknown): Promise<Response> {
  return fetch(processBatchUrl(), {
    method: "POST",
    headers: { "content-type": "application/json", apikey: stack().secretKey },
    body: JSON.stringify(body),
  });
}

/** Every item completed once: one Gemini call, one attempt and one stored object each. */
async function assertProcessedOnce(id: string, prompts: string[], calls: string[]) {
  const rows = await items(id);
  assert.deepEqual(rows.map((r) => [r.status, r.attempts]), prompts.map(() => ["completed", 1]));
  for (const prompt of prompts) {
    assert.equal(calls.filter((c) => c === prompt).length, 1, `"${prompt}" generated twice`);
  }
  const stored = await storedObjects(id);
  assert.deepEqual(stored.rows, rows.map((r) => r.result_storage_path).sort());
  assert.deepEqual(stored.files, stored.rows);
}

Deno.test({
  name: "database webhooks: supabase_functions.http_request and process-batch",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const fake = startStackGeminiFake(20);
    const server = startRecordingServer();
    const collab = await userClient("collaborator@acme.test");
    const tag = crypto.randomUUID().slice(0, 8);
    try {
      await t.step(
        "a dashboard-style webhook on INSERT posts the row change and kicks the chain; the duplicate kick processes nothing twice",
        async () => {
          const headers = JSON.stringify({
            "Content-Type": "application/json",
            apikey: stack().secretKey,
          });
          await db().unsafe(`
            create trigger webhook_test_probe after insert on public.workflow_executions
              for each row execute function supabase_functions.http_request(
                '${server.base}/hook/${tag}', 'POST', '{"Content-Type":"application/json"}', '{}', '1000');
            create trigger webhook_test_kick after insert on public.workflow_executions
              for each row execute function supabase_functions.http_request(
                '${processBatchUrl()}', 'POST', '${headers}', '{}', '3000');`);
          const prompts = [0, 1, 2, 3].map((i) => `webhook ${tag} prompt ${i}`);
          let id = "";
          try {
            const started = await invoke<Started>(collab, "start-execution", {
              body: { workflow_id: ACME_WORKFLOW, prompts },
            });
            assert.equal(started.status, 202, JSON.stringify(started.body));
            id = started.body.execution.id;
          } finally {
            await db().unsafe(`
              drop trigger webhook_test_probe on public.workflow_executions;
              drop trigger webhook_test_kick on public.workflow_executions;`);
          }
          await waitForFinished(id);

          // The payload, exactly as Supabase's webhook sends it.
          const [probe] = await waitFor(
            "the webhook payload",
            () =>
              Promise.resolve(server.at(`/hook/${tag}`).length ? server.at(`/hook/${tag}`) : null),
          );
          const payload = JSON.parse(probe.body);
          assert.deepEqual(Object.keys(payload).sort(), [
            "old_record",
            "record",
            "schema",
            "table",
            "type",
          ]);
          assert.equal(payload.type, "INSERT");
          assert.equal(payload.table, "workflow_executions");
          assert.equal(payload.schema, "public");
          assert.equal(payload.old_record, null);
          assert.equal(payload.record.id, id);
          assert.equal(payload.record.status, "pending");

          // Both webhooks are in the audit table, with the pg_net request they queued. pg_net's
          // worker stores a response only after the answer is back, in a transaction of its own,
          // so the receiver can hold the payload before the row exists: wait for both.
          const hooks = await waitFor("both webhooks' pg_net responses", async () => {
            const rows = await db()<{ hook_name: string; status_code: number | null }[]>`
              select h.hook_name, r.status_code
              from supabase_functions.hooks h
              left join net._http_response r on r.id = h.request_id
              where h.hook_table_id = 'public.workflow_executions'::regclass
                and h.created_at > now() - interval '5 minutes'
                and h.hook_name in ('webhook_test_probe', 'webhook_test_kick')
              order by h.hook_name`;
            return rows.length === 2 && rows.every((r) => r.status_code !== null) ? rows : null;
          }, 15_000);
          assert.deepEqual(hooks.map((h) => [h.hook_name, h.status_code]), [
            ["webhook_test_kick", 202],
            ["webhook_test_probe", 201],
          ]);

          // The chain's own kick and the webhook's both reached process-batch.
          const kicks = await db()<{ n: number }[]>`
            select count(*)::int as n from net._http_response
            where status_code = 202 and content like ${`%${id}%`}`;
          assert.equal(kicks[0].n, 2, "expected the chain's kick and the webhook's");
          await assertProcessedOnce(id, prompts, fake.calls.map((c) => c.prompt));
        },
      );

      await t.step(
        "the webhook payload alone runs the execution; delivered twice, nothing runs twice",
        async () => {
          const paths = stackPaths(stack().instance);
          const prompts = [0, 1, 2].map((i) => `webhook-only ${tag} prompt ${i}`);
          let id = "";
          // Inserted in SQL (start-execution would also kick the first link directly) with the
          // worker stopped, so the trigger's pg_net kick is still queued: remove it, and the
          // webhook payload is the only kick this execution gets.
          await stopService(paths, "pgnet");
          try {
            const [execution] = await db()<{ id: string }[]>`
              insert into public.workflow_executions
                (workflow_id, client_id, triggered_by_user_id, status, input_data)
              select w.id, w.client_id, u.id, 'pending', ${db().json({ prompts })}
              from public.workflows w, auth.users u
              where w.id = ${ACME_WORKFLOW} and u.email = 'collaborator@acme.test'
              returning id`;
            id = execution.id;
            const removed = await db()`
              delete from net.http_request_queue
              where convert_from(body, 'UTF8') like ${`%${id}%`} returning id`;
            assert.equal(removed.length, 1);
          } finally {
            await startService(paths, "pgnet", {
              ...functionsEnv(paths, stack()),
              DATABASE_URL: stack().dbUrl,
            });
          }
          const [row] = await db()<{ record: Record<string, unknown> }[]>`
            select to_jsonb(x) as record from public.workflow_executions x where x.id = ${id}`;
          const payload = {
            type: "INSERT",
            table: "workflow_executions",
            schema: "public",
            record: row.record,
            old_record: null,
          };
          const answers = await Promise.all([postProcessBatch(payload), postProcessBatch(payload)]);
          for (const res of answers) {
            assert.equal(res.status, 202);
            assert.deepEqual(await res.json(), { accepted: true, execution_id: id });
          }
          const state = await waitForFinished(id);
          assert.equal(state.status, "completed");
          assert.deepEqual(state.output_data?.successful, prompts.length);
          await assertProcessedOnce(id, prompts, fake.calls.map((c) => c.prompt));

          // A late third delivery finds nothing to claim.
          const late = await postProcessBatch(payload);
          assert.equal(late.status, 202);
          await late.body?.cancel();
          await new Promise((r) => setTimeout(r, 500));
          await assertProcessedOnce(id, prompts, fake.calls.map((c) => c.prompt));
        },
      );

      await t.step(
        "a payload for another table or operation is refused with 400 naming the fields",
        async () => {
          const before = await writeCounts();
          const res = await postProcessBatch({
            type: "UPDATE",
            table: "clients",
            schema: "public",
            record: { id: crypto.randomUUID() },
            old_record: { id: crypto.randomUUID() },
          });
          const body = await res.json();
          assert.equal(res.status, 400);
          assert.equal(body.error.code, "invalid_request");
          assert.deepEqual(body.error.details.map((d: { field: string }) => d.field).sort(), [
            "old_record",
            "table",
            "type",
          ]);
          assert.deepEqual(await writeCounts(), before);

          const noId = await postProcessBatch({
            type: "INSERT",
            table: "workflow_executions",
            schema: "public",
            record: { status: "pending" },
            old_record: null,
          });
          const noIdBody = await noId.json();
          assert.equal(noId.status, 400);
          assert.deepEqual(noIdBody.error.details.map((d: { field: string }) => d.field), [
            "record.id",
          ]);
          assert.deepEqual(await writeCounts(), before);
        },
      );

      await t.step("http_request refuses a webhook without url or method", async () => {
        await assert.rejects(
          db().begin(async (tx) => {
            await tx.unsafe(`
              create temp table webhook_probe (id int);
              create trigger no_url after insert on webhook_probe
                for each row execute function supabase_functions.http_request();
              insert into webhook_probe values (1);`);
          }),
          /url argument is missing/,
        );
      });
    } finally {
      await server.close();
      await fake.close();
      await closeAll();
    }
  },
});
