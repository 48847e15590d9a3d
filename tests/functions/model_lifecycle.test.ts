// Retired and unknown models, end to end through functions.invoke, the real chain (pg_net
// stand-in, functions host) and the real @google/genai SDK against the Gemini fake, which
// answers ids Google does not serve exactly as Google does (404 NOT_FOUND). A start on a model
// the catalogue marks retired or does not know is refused (422 model_unavailable); a run whose
// model Google no longer serves, or the catalogue retires while it waits, fails at once with
// model_unavailable on the execution and every item, without retries.
import assert from "node:assert/strict";
import {
  ACME_WORKFLOW,
  createWorkflow,
  executionState,
  invoke,
  items,
  startStackGeminiFake,
  waitFor,
  waitForFinished,
  withBatchSettings,
  writeCounts,
} from "../helpers/executions.ts";
import { closeAll, db, userClient } from "../helpers/stack.ts";

type Body = Record<string, unknown> & { id: string; status: string };
type ErrorBody = { error: { code: string; message: string; details: { field: string }[] } };

const CURRENT_FLASH = "gemini-3.1-flash-image";

/** A flash model the catalogue lists as available but Google (the fake) does not serve. */
async function catalogueOnlyModel(): Promise<string> {
  const id = `test-gone-${crypto.randomUUID().slice(0, 8)}`;
  await db()`insert into public.image_models (id, family, display_name, aspect_ratios, image_sizes,
      default_image_size, price_per_image, source, checked_on)
    values (${id}, 'flash', 'Test model Google does not serve', ${["1:1"]}, ${["1K"]}, '1K',
      ${db().json({ "1K": 0.05 })}, 'test', current_date)`;
  return id;
}

async function errorCodes(executionId: string): Promise<string[]> {
  const rows = await db()<{ error_code: string | null }[]>`
    select error_code from public.workflow_batch_results where execution_id = ${executionId}
    order by batch_index`;
  return rows.map((r) => r.error_code ?? "null");
}

Deno.test({
  name: "model lifecycle: retired and unknown models fail fast",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const fake = startStackGeminiFake(20);
    const collab = await userClient("collaborator@acme.test");
    const workflows: string[] = [];
    try {
      await t.step("a start on a retired or unknown model is 422 model_unavailable", async () => {
        const model = await catalogueOnlyModel();
        const workflow = await createWorkflow({
          model,
          max_prompts: 5,
          requires_api_key: false,
        }, { name: "retired model workflow" });
        workflows.push(workflow);
        await db()`update public.image_models set lifecycle = 'retired', retires_on = '2026-10-02',
          replacement = ${CURRENT_FLASH} where id = ${model}`;
        const before = await writeCounts();
        const retired = await invoke<ErrorBody>(collab, "start-execution", {
          body: { workflow_id: workflow, prompts: ["a", "b"] },
        });
        assert.equal(retired.status, 422, JSON.stringify(retired.body));
        assert.equal(retired.body.error.code, "model_unavailable");
        assert.equal(
          retired.body.error.message,
          `This workflow's model ${model} was retired on 2026-10-02 and is no longer available (replacement: ${CURRENT_FLASH}); ask MasStock to move the workflow to a current model`,
        );
        assert.deepEqual(retired.body.error.details.map((d) => d.field), ["workflow_id"]);

        // Gone from the catalogue altogether: unknown.
        await db()`delete from public.image_models where id = ${model}`;
        const unknown = await invoke<ErrorBody>(collab, "start-execution", {
          body: { workflow_id: workflow, prompts: ["a"] },
        });
        assert.equal(unknown.status, 422);
        assert.equal(unknown.body.error.code, "model_unavailable");
        assert.match(unknown.body.error.message, new RegExp(`model ${model} is not available`));
        assert.deepEqual(await writeCounts(), before, "refused starts wrote nothing");
        assert.equal(fake.calls.filter((c) => c.model === model).length, 0);
      });

      await t.step(
        "Google answers 404 NOT_FOUND: the run fails at once with model_unavailable, no retries",
        async () => {
          const model = await catalogueOnlyModel();
          const workflow = await createWorkflow({
            model,
            max_prompts: 10,
            requires_api_key: false,
            concurrency: 2,
          }, { name: "404 model workflow" });
          workflows.push(workflow);
          const prompts = Array.from({ length: 6 }, (_, i) => `gone ${i}`);
          const started = await invoke<{ execution: Body }>(collab, "start-execution", {
            body: { workflow_id: workflow, prompts },
          });
          assert.equal(started.status, 202, JSON.stringify(started.body));
          assert.equal(started.body.execution.model, model, "the run snapshotted its model");
          const state = await waitForFinished(started.body.execution.id);
          assert.equal(state.status, "failed");
          const googleMessage =
            `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
          assert.equal(
            state.error_message,
            `Gemini model ${model} is not available (404 NOT_FOUND): ${googleMessage}`,
          );
          const [{ error_code }] = await db()<{ error_code: string }[]>`
            select error_code from public.workflow_executions where id = ${started.body.execution.id}`;
          assert.equal(error_code, "model_unavailable");

          const rows = await items(started.body.execution.id);
          assert.deepEqual(rows.map((r) => r.status), prompts.map(() => "failed"));
          assert.deepEqual(
            await errorCodes(started.body.execution.id),
            prompts.map(() => "model_unavailable"),
          );
          assert.ok(rows.every((r) => r.attempts <= 1), "no item was retried");
          const calls = fake.calls.filter((c) => c.model === model);
          assert.ok(calls.every((c) => c.status === 404));
          assert.equal(calls.length, rows.reduce((n, r) => n + r.attempts, 0));
          assert.ok(calls.length <= 2, `at most the execution's concurrency reached Google`);
          assert.ok(
            rows.filter((r) => r.attempts === 0).every((r) =>
              r.error_message === `Not processed: ${state.error_message}`
            ),
          );

          // What the client's members see.
          const view = await invoke<{ execution: Body }>(
            collab,
            `start-execution/${started.body.execution.id}`,
          );
          assert.equal(view.body.execution.error_code, "model_unavailable");
          assert.equal(view.body.execution.model, model);
          const results = view.body.execution.results as { error_code: string }[];
          assert.ok(results.every((r) => r.error_code === "model_unavailable"));
        },
      );

      await t.step(
        "the catalogue retires the model while a run waits out an outage: it stops calling Google",
        async () => {
          const prompts = ["waiting 0", "waiting 1", "waiting 2"];
          try {
            await withBatchSettings({ backoff_base_ms: 300 }, async () => {
              fake.setOutage(true);
              const started = await invoke<{ execution: Body }>(collab, "start-execution", {
                body: { workflow_id: ACME_WORKFLOW, prompts },
              });
              assert.equal(started.status, 202, JSON.stringify(started.body));
              await waitFor("every prompt to have failed once", async () => {
                const rows = await items(started.body.execution.id);
                return rows.every((r) => r.attempts >= 1 && r.status === "pending");
              });
              await db()`update public.image_models
                set lifecycle = 'deprecated', retires_on = current_date - 1
                where id = ${CURRENT_FLASH}`;
              const state = await waitForFinished(started.body.execution.id);
              const callsAtEnd = fake.calls.filter((c) => prompts.includes(c.prompt)).length;
              assert.equal(state.status, "failed");
              assert.match(
                state.error_message ?? "",
                new RegExp(`^Model ${CURRENT_FLASH} was retired on \\d{4}-\\d{2}-\\d{2}$`),
              );
              assert.deepEqual(await errorCodes(started.body.execution.id), [
                "model_unavailable",
                "model_unavailable",
                "model_unavailable",
              ]);
              const rows = await items(started.body.execution.id);
              assert.ok(
                rows.every((r) => r.attempts < 8),
                `failed by the catalogue, not by running out of attempts: ${JSON.stringify(rows)}`,
              );
              const current = await executionState(started.body.execution.id);
              assert.ok(current.completed_at);
              fake.setOutage(false);
              await new Promise((r) => setTimeout(r, 500));
              assert.equal(
                fake.calls.filter((c) => prompts.includes(c.prompt)).length,
                callsAtEnd,
                "no call after the run failed",
              );
            });
          } finally {
            fake.setOutage(false);
            await db()`update public.image_models set lifecycle = 'available', retires_on = null
              where id = ${CURRENT_FLASH}`;
          }
        },
      );
    } finally {
      await fake.close();
      // Executions are billing records and stay; their workflows are switched off.
      if (workflows.length) {
        await db()`update public.workflows set status = 'inactive' where id in ${db()(workflows)}`;
      }
      await closeAll();
    }
  },
});
