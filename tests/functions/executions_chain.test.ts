// start-execution + process-batch through functions.invoke and the real chain: pg_net stand-in,
// functions host, Storage stand-in, and the fake Gemini behind the real @google/genai SDK.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  createWorkflow,
  executionState,
  invoke,
  items,
  PRO_TEMPLATE,
  startStackGeminiFake,
  storedObjects,
  waitFor,
  waitForFinished,
  withBatchSettings,
  writeCounts,
} from "../helpers/executions.ts";
import { closeAll, db, serviceClient, stack, tokenFor, userClient } from "../helpers/stack.ts";

const COLLAB = "collaborator@acme.test";
const OWNER = "owner@acme.test";
const GLOBEX = "owner@globex.test";

type Body = Record<string, unknown> & { id: string; status: string };
// A single execution is answered wrapped under its name.
type Exec = { execution: Body; replayed?: boolean };

Deno.test({
  name: "executions: the chain end to end",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const fake = startStackGeminiFake(20);
    const collab = await userClient(COLLAB);
    const owner = await userClient(OWNER);
    const globex = await userClient(GLOBEX);
    try {
      await t.step(
        "50 prompts with transient and permanent failures end with exact counts",
        async () => {
          const prompts: string[] = [];
          const expectFailed = new Map<number, RegExp>();
          const flaky = new Set<number>();
          for (let i = 0; i < 50; i++) {
            if (i % 10 === 1) {
              prompts.push(`flaky ${i} [fake:flaky:1]`);
              flaky.add(i);
            } else if (i === 2 || i === 12 || i === 22) {
              prompts.push(`unsafe ${i} [fake:safety]`);
              expectFailed.set(i, /safety/i);
            } else if (i === 3 || i === 13) {
              prompts.push(`blocked ${i} [fake:blocked]`);
              expectFailed.set(i, /block/i);
            } else if (i === 4 || i === 14) {
              prompts.push(`broken ${i} [fake:500]`);
              expectFailed.set(i, /^Gave up after 3 attempts: /);
            } else if (i === 5 || i === 15) {
              prompts.push(`quota ${i} [fake:429:0.1s]`);
              expectFailed.set(i, /^Gave up after 3 attempts: /);
            } else if (i === 6) {
              prompts.push(`wordy ${i} [fake:text]`);
              expectFailed.set(i, /image/i);
            } else {
              prompts.push(`a lighthouse at dusk, variant ${i}`);
            }
          }
          const id = await withBatchSettings({ max_attempts: 3, backoff_base_ms: 50 }, async () => {
            const started = await invoke<Exec>(collab, "start-execution", {
              body: { workflow_id: ACME_WORKFLOW, prompts },
            });
            assert.equal(started.status, 202, JSON.stringify(started.body));
            assert.equal(
              started.body.execution.status === "pending" ||
                started.body.execution.status === "processing",
              true,
            );
            assert.equal((started.body.execution.progress as { total: number }).total, 50);
            await waitForFinished(started.body.execution.id, 60_000);
            return started.body.execution.id;
          });

          const state = await executionState(id);
          assert.equal(state.status, "completed");
          assert.deepEqual(state.output_data, {
            successful: 40,
            failed: 10,
            cancelled: 0,
            total: 50,
            revenue: 4,
          });
          // The provider's cost is kept out of the members' output_data, in an admin-only column.
          const [{ provider_cost }] = await db()`
            select provider_cost::float8 from public.workflow_executions where id = ${id}`;
          assert.equal(provider_cost, 2.68);
          const rows = await items(id);
          assert.equal(rows.length, 50);
          for (const row of rows) {
            const failure = expectFailed.get(row.batch_index);
            if (failure) {
              assert.equal(row.status, "failed", `item ${row.batch_index}`);
              assert.match(row.error_message ?? "", failure, `item ${row.batch_index}`);
              assert.equal(row.result_storage_path, null);
            } else {
              assert.equal(
                row.status,
                "completed",
                `item ${row.batch_index}: ${row.error_message}`,
              );
              assert.match(
                row.result_storage_path ?? "",
                new RegExp(`^${id}/${row.batch_index}_\\d+\\.png$`),
              );
              assert.equal(
                row.attempts,
                flaky.has(row.batch_index) ? 2 : 1,
                `item ${row.batch_index}`,
              );
            }
          }
          // One object per completed item, none for failed ones, nothing else: in the table
          // and on disk.
          const expected = rows.flatMap((r) => r.result_storage_path ? [r.result_storage_path] : [])
            .sort();
          assert.equal(new Set(expected).size, 40);
          const stored = await storedObjects(id);
          assert.deepEqual(stored.rows, expected);
          assert.deepEqual(stored.files, expected);
          // A prompt that succeeded was generated once; retried ones as often as they failed + 1.
          for (const row of rows.filter((r) => !expectFailed.has(r.batch_index))) {
            const calls = fake.calls.filter((c) => c.prompt === row.prompt_text).length;
            assert.equal(calls, row.attempts, `calls for item ${row.batch_index}`);
          }

          // The client's members read progress, their price and results with signed URLs.
          const view = await invoke<Exec>(owner, `start-execution/${id}`);
          assert.equal(view.status, 200);
          assert.deepEqual(view.body.execution.progress, {
            total: 50,
            pending: 0,
            processing: 0,
            completed: 40,
            failed: 10,
            cancelled: 0,
            done: 50,
            percent: 100,
          });
          // No image_size asked: billed at the model's default (1K) list price.
          assert.deepEqual(view.body.execution.cost, {
            currency: "USD",
            image_size: "1K",
            unit_revenue: 0.1,
            revenue_so_far: 4,
          });
          assert.equal(view.body.execution.model, "gemini-3.1-flash-image");
          // An admin reading the same execution also gets the provider's side.
          const adminView = await invoke<Exec>(
            await userClient("admin@masstock.test"),
            `start-execution/${id}?results=false`,
          );
          assert.deepEqual(adminView.body.execution.cost, {
            currency: "USD",
            image_size: "1K",
            unit_revenue: 0.1,
            revenue_so_far: 4,
            unit_cost: 0.067,
            cost_so_far: 2.68,
          });
          const results = view.body.execution.results as {
            status: string;
            signed_url: string | null;
          }[];
          assert.equal(results.length, 50);
          assert.equal(results.filter((r) => r.signed_url).length, 40);
          assert.ok(
            results.filter((r) => r.status === "failed").every((r) => r.signed_url === null),
          );
          const image = await fetch(results.find((r) => r.signed_url)!.signed_url!);
          assert.equal(image.status, 200);
          assert.equal(image.headers.get("content-type"), "image/png");
          const bytes = new Uint8Array(await image.arrayBuffer());
          assert.deepEqual([...bytes.slice(0, 4)], [137, 80, 78, 71]);

          // Nobody else: another client's member sees nothing and can sign nothing.
          const hidden = await invoke(globex, `start-execution/${id}`);
          assert.equal(hidden.status, 404);
          const { data: signed } = await globex.storage.from("workflow-results")
            .createSignedUrls(expected.slice(0, 3), 60);
          assert.ok((signed ?? []).every((s) => !s.signedUrl), "Globex must not get signed URLs");
          const direct = await globex.storage.from("workflow-results").download(expected[0]);
          assert.ok(direct.error, "Globex must not download Acme's results");

          // The list: newest first, filters, keyset pagination.
          const list = await invoke<{ data: Body[]; next_cursor: string | null }>(
            collab,
            `start-execution?status=completed&workflow_id=${ACME_WORKFLOW}&limit=1`,
          );
          assert.equal(list.status, 200);
          assert.equal(list.body.data[0].id, id);
          assert.equal(list.body.data[0].status, "completed");
          const globexList = await invoke<{ data: Body[] }>(globex, "start-execution");
          assert.ok(globexList.body.data.every((e) => e.client_id !== ACME_CLIENT));
        },
      );

      await t.step("list pages are stable and complete (keyset cursor)", async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = cursor ? `&cursor=${cursor}` : "";
          const page = await invoke<{ data: Body[]; next_cursor: string | null }>(
            collab,
            `start-execution?limit=2${query}`,
          );
          assert.equal(page.status, 200);
          seen.push(...page.body.data.map((e) => e.id));
          cursor = page.body.next_cursor;
        } while (cursor);
        const [{ n }] = await db()<{ n: number }[]>`
          select count(*)::int as n from workflow_executions where client_id = ${ACME_CLIENT}`;
        assert.equal(seen.length, n);
        assert.equal(new Set(seen).size, n);
        const bad = await invoke(collab, "start-execution?cursor=nonsense");
        assert.equal(bad.status, 400);
      });

      await t.step(
        "Idempotency-Key: same body -> the first execution, other body -> 409",
        async () => {
          const key = `idem-${crypto.randomUUID()}`;
          const body = { workflow_id: ACME_WORKFLOW, prompts: ["one", "two"] };
          const first = await invoke<Exec>(collab, "start-execution", {
            body,
            headers: { "Idempotency-Key": key },
          });
          assert.equal(first.status, 202);
          const before = await writeCounts();
          const again = await invoke<Exec>(collab, "start-execution", {
            body,
            headers: { "Idempotency-Key": key },
          });
          assert.equal(again.status, 200);
          assert.equal(again.body.execution.id, first.body.execution.id);
          assert.equal(again.body.replayed, true);
          const other = await invoke<
            { error: { code: string; details: { execution_id: string } } }
          >(
            collab,
            "start-execution",
            { body: { ...body, prompts: ["one", "three"] }, headers: { "Idempotency-Key": key } },
          );
          assert.equal(other.status, 409);
          assert.equal(other.body.error.code, "idempotency_key_reused");
          const after = await writeCounts();
          assert.equal(after.executions, before.executions, "replays wrote no execution");
          assert.equal(after.items, before.items, "replays wrote no ledger rows");
          // Keys are per user: another member may use the same key for their own run.
          const owners = await invoke<Exec>(owner, "start-execution", {
            body,
            headers: { "Idempotency-Key": key },
          });
          assert.equal(owners.status, 202);
          assert.notEqual(owners.body.execution.id, first.body.execution.id);
          await waitForFinished(first.body.execution.id);
          await waitForFinished(owners.body.execution.id);
        },
      );

      await t.step("cancel: pending prompts are dropped, in-flight ones finish", async () => {
        fake.setLatency(300);
        try {
          const prompts = Array.from({ length: 40 }, (_, i) => `slow prompt ${i}`);
          const started = await invoke<Exec>(collab, "start-execution", {
            body: { workflow_id: ACME_WORKFLOW, prompts },
          });
          assert.equal(started.status, 202);
          const id = started.body.execution.id;
          await waitFor("some completed items", async () => {
            const [{ n }] = await db()<{ n: number }[]>`
              select count(*)::int as n from workflow_batch_results
              where execution_id = ${id} and status = 'completed'`;
            return n >= 3;
          });
          const refused = await invoke(globex, `start-execution/${id}/cancel`, { body: {} });
          assert.equal(refused.status, 404);
          const cancelled = await invoke<
            { cancellation: { status: string; cancelled_items: number } }
          >(
            owner,
            `start-execution/${id}/cancel`,
            { body: {} },
          );
          assert.equal(cancelled.status, 200);
          assert.equal(cancelled.body.cancellation.status, "cancelled");
          assert.ok(cancelled.body.cancellation.cancelled_items > 0);
          const state = await waitForFinished(id);
          assert.equal(state.status, "cancelled");
          const rows = await items(id);
          const count = (s: string) => rows.filter((r) => r.status === s).length;
          assert.equal(count("pending") + count("processing"), 0);
          assert.equal(count("completed") + count("cancelled"), 40);
          assert.ok(count("cancelled") >= 20, `cancelled ${count("cancelled")}`);
          assert.equal(state.output_data?.successful, count("completed"));
          assert.equal(state.output_data?.cancelled, count("cancelled"));
          // Cancelled prompts were never sent to Gemini.
          for (const row of rows.filter((r) => r.status === "cancelled")) {
            assert.equal(fake.calls.filter((c) => c.prompt === row.prompt_text).length, 0);
          }
          const stored = await storedObjects(id);
          assert.equal(stored.rows.length, count("completed"));
          const late = await invoke(collab, `start-execution/${id}/cancel`, { body: {} });
          assert.equal(late.status, 200, "cancelling twice is idempotent");
        } finally {
          fake.setLatency(20);
        }
      });

      await t.step(
        "refusals write nothing: other client's, inactive, invisible workflows",
        async () => {
          const inactive = await createWorkflow(
            { model: "gemini-3.1-flash-image", max_prompts: 10, requires_api_key: false },
            { status: "inactive" },
          );
          const before = await writeCounts();
          const cross = await invoke<{ error: { code: string } }>(globex, "start-execution", {
            body: { workflow_id: ACME_WORKFLOW, prompts: ["steal"] },
          });
          assert.equal(cross.status, 404);
          const stopped = await invoke(collab, "start-execution", {
            body: { workflow_id: inactive, prompts: ["nope"] },
          });
          assert.equal(stopped.status, 403);
          const absent = await invoke(collab, "start-execution", {
            body: { workflow_id: crypto.randomUUID(), prompts: ["nope"] },
          });
          assert.equal(absent.status, 404);
          const anon = await invoke(serviceClient(), "start-execution", {
            body: { workflow_id: ACME_WORKFLOW, prompts: ["x"] },
          });
          assert.equal(anon.status, 401);
          assert.deepEqual(await writeCounts(), before);
        },
      );

      await t.step(
        "bad input: 400 naming the field, 422 for workflow rules; nothing written",
        async () => {
          const noImages = await createWorkflow({
            model: "gemini-3.1-flash-image",
            max_prompts: 3,
            requires_api_key: false,
            supports_reference_images: false,
          });
          // No ratio list of its own: what its model (3 Pro Image) offers decides.
          const pro = await createWorkflow({
            workflow_type: "pro_banana",
            model: "gemini-3-pro-image",
            max_prompts: 3,
            requires_api_key: false,
            image_sizes: ["1K", "4K"],
          }, { templateId: PRO_TEMPLATE });
          const png = btoa(String.fromCharCode(137, 80, 78, 71, 13, 10, 26, 10));
          const before = await writeCounts();
          const cases: [unknown, number, string][] = [
            [{ prompts: ["x"] }, 400, "workflow_id"],
            [{ workflow_id: "nope", prompts: ["x"] }, 400, "workflow_id"],
            [{ workflow_id: ACME_WORKFLOW }, 400, "prompts"],
            [{ workflow_id: ACME_WORKFLOW, prompts: [] }, 400, "prompts"],
            [{ workflow_id: ACME_WORKFLOW, prompts: ["ok", "  "] }, 400, "prompts.1"],
            [{ workflow_id: ACME_WORKFLOW, prompts: ["x".repeat(2001)] }, 400, "prompts.0"],
            [{ workflow_id: ACME_WORKFLOW, prompts: ["x"], color: "red" }, 400, "color"],
            [
              { workflow_id: ACME_WORKFLOW, prompts: ["x"], aspect_ratio: "7:3" },
              400,
              "aspect_ratio",
            ],
            [{ workflow_id: ACME_WORKFLOW, prompts: ["x"], image_size: "8K" }, 400, "image_size"],
            [
              {
                workflow_id: ACME_WORKFLOW,
                prompts: ["x"],
                reference_images: [{ mime_type: "image/gif", data: png }],
              },
              400,
              "reference_images.0.mime_type",
            ],
            [
              {
                workflow_id: ACME_WORKFLOW,
                prompts: ["x"],
                reference_images: [{ mime_type: "image/png", data: "not base64!" }],
              },
              400,
              "reference_images.0.data",
            ],
            [
              {
                workflow_id: ACME_WORKFLOW,
                prompts: Array.from({ length: 101 }, (_, i) => `p${i}`),
              },
              422,
              "prompts",
            ],
            [{ workflow_id: noImages, prompts: ["x"], image_size: "2K" }, 422, "image_size"],
            [{ workflow_id: pro, prompts: ["x"], aspect_ratio: "1:8" }, 422, "aspect_ratio"],
            [{ workflow_id: pro, prompts: ["x"], image_size: "512" }, 422, "image_size"],
            [
              { workflow_id: ACME_WORKFLOW, prompts: ["x"], api_key: "my-own-key-123" },
              422,
              "api_key",
            ],
            [
              {
                workflow_id: noImages,
                prompts: ["x"],
                reference_images: [{ mime_type: "image/png", data: png }],
              },
              422,
              "reference_images",
            ],
          ];
          for (const [body, status, field] of cases) {
            const answer = await invoke<{ error: { details: { field: string }[] } }>(
              collab,
              "start-execution",
              { body },
            );
            assert.equal(answer.status, status, `${JSON.stringify(body).slice(0, 120)}`);
            const fields = answer.body.error.details.map((d) => d.field);
            assert.ok(fields.includes(field), `${field} not in ${fields}`);
          }
          const badKey = await invoke<{ error: { details: { field: string }[] } }>(
            collab,
            "start-execution",
            {
              body: { workflow_id: ACME_WORKFLOW, prompts: ["x"] },
              headers: { "Idempotency-Key": "has spaces" },
            },
          );
          assert.equal(badKey.status, 400);
          assert.equal(badKey.body.error.details[0].field, "Idempotency-Key");
          assert.deepEqual(await writeCounts(), before);
        },
      );

      await t.step(
        "a client's own Gemini key: used, never stored in clear, never shown",
        async () => {
          const byok = await createWorkflow({
            workflow_type: "pro_banana",
            model: "gemini-3-pro-image",
            max_prompts: 30,
            requires_api_key: true,
            image_sizes: ["1K", "2K"],
          }, { templateId: PRO_TEMPLATE });
          const apiKey = `client-key-${crypto.randomUUID()}`;
          const started = await invoke<Exec>(collab, "start-execution", {
            body: {
              workflow_id: byok,
              prompts: ["k1", "k2", "k3"],
              image_size: "2K",
              api_key: apiKey,
            },
          });
          assert.equal(started.status, 202, JSON.stringify(started.body));
          assert.ok(!JSON.stringify(started.body).includes(apiKey));
          const id = started.body.execution.id;
          // The stored form: not in input_data, not readable by the starter.
          const [row] = await db()<{ input: string; sealed: string }[]>`
          select e.input_data::text as input, s.api_key_ciphertext as sealed
          from workflow_executions e left join private.execution_secrets s on s.execution_id = e.id
          where e.id = ${id}`;
          assert.ok(!row.input.includes(apiKey));
          assert.ok(
            row.sealed === null || (!row.sealed.includes(apiKey) && row.sealed.startsWith("v1.")),
          );
          const userTries = await db().begin(async (tx) => {
            const claims = JSON.stringify({
              sub: (await tx`select id from auth.users where email = ${COLLAB}`)[0].id,
              role: "authenticated",
            });
            await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
            await tx`select * from private.execution_secrets`;
            return "read";
          }).catch((e) => e.code);
          assert.equal(userTries, "42501");
          const state = await waitForFinished(id);
          assert.equal(state.status, "completed");
          const calls = fake.calls.filter((c) =>
            ["k1", "k2", "k3"].includes(c.prompt) && c.apiKey === apiKey
          );
          assert.equal(calls.length, 3, "Gemini was called with the client's key");
          assert.ok(
            calls.every((c) => c.imageSize === "2K" && c.model === "gemini-3-pro-image"),
          );
          const view = await invoke<Exec>(collab, `start-execution/${id}`);
          assert.ok(!JSON.stringify(view.body).includes(apiKey));
          assert.equal(
            (view.body.execution.input as { uses_client_api_key: boolean }).uses_client_api_key,
            true,
          );
          const [{ n }] = await db()<{ n: number }[]>`
          select count(*)::int as n from private.execution_secrets where execution_id = ${id}`;
          assert.equal(n, 0, "the key is deleted when the run is finalised");

          // A bad key fails the whole run fast instead of burning every prompt.
          const prompts = Array.from({ length: 30 }, (_, i) => `doomed ${i}`);
          const doomed = await invoke<Exec>(collab, "start-execution", {
            body: { workflow_id: byok, prompts, api_key: "bad-key" },
          });
          assert.equal(doomed.status, 202);
          const failed = await waitForFinished(doomed.body.execution.id);
          assert.equal(failed.status, "failed");
          assert.match(failed.error_message ?? "", /key/i);
          assert.equal(failed.output_data?.failed, 30);
          const doomedCalls = fake.calls.filter((c) => c.prompt.startsWith("doomed ")).length;
          // At most the first wave (concurrency 10) reaches Gemini; the other prompts are not tried.
          assert.ok(doomedCalls <= 10, `${doomedCalls} calls for a bad key`);
        },
      );

      await t.step("process-batch takes the secret key only", async () => {
        const asUser = await invoke(collab, "process-batch", {
          body: { execution_id: crypto.randomUUID() },
        });
        assert.equal(asUser.status, 401);
        // Not even a user token passed where the key belongs.
        const token = await tokenFor(COLLAB);
        const smuggled = await fetch(`${stack().apiUrl}/functions/v1/process-batch`, {
          method: "POST",
          headers: {
            apikey: token,
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ execution_id: crypto.randomUUID() }),
        });
        await smuggled.body?.cancel();
        assert.equal(smuggled.status, 401);
        const bad = await invoke(serviceClient(), "process-batch", { body: { execution_id: "x" } });
        assert.equal(bad.status, 400);
        const unknown = await invoke(serviceClient(), "process-batch", {
          body: { execution_id: crypto.randomUUID() },
        });
        assert.equal(
          unknown.status,
          202,
          "a link for an unknown execution is accepted and does nothing",
        );
      });
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
