// Live progress in a real browser: headless Chromium runs supabase-js's browser build on a page
// of its own origin (tests/helpers/live-progress-page.ts) that learns of a new execution from
// the client's Realtime topic, draws its progress bar from the execution topic's messages and
// shows each image as a message announces its item (URL from GET start-execution/:id, asked
// only when a message brings items: no polling), each image keeping one stable URL.
import assert from "node:assert/strict";
import { ACME_CLIENT, ACME_WORKFLOW, invoke, startStackGeminiFake } from "../helpers/executions.ts";
import { openLivePage } from "../helpers/live-progress-page.ts";
import { closeAll, stack, tokenFor, userClient } from "../helpers/stack.ts";

const COLLAB = "collaborator@acme.test";
const PROMPTS = 12;

Deno.test({
  name: "browser: progress bar and images rendered from Realtime messages",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(500);
    const live = await openLivePage();
    try {
      const token = await tokenFor(COLLAB);
      await live.page.evaluate(
        (args) => (globalThis as unknown as { follow(a: unknown): Promise<void> }).follow(args),
        { apiUrl: stack().apiUrl, apiKey: stack().publishableKey, token, clientId: ACME_CLIENT },
      );
      assert.equal(await live.page.textContent("#status"), "listening");

      // Someone else's tab (the test) starts the run; the page only listens.
      const started = await invoke<{ execution: { id: string } }>(
        await userClient(COLLAB),
        "start-execution",
        {
          body: {
            workflow_id: ACME_WORKFLOW,
            prompts: Array.from({ length: PROMPTS }, (_, i) => `browser ${i}`),
          },
        },
      );
      assert.equal(started.status, 202);

      // Page-side code as strings: this file is type-checked without the DOM library.
      await live.page.waitForFunction(
        `document.getElementById("status").textContent.startsWith("finished:")`,
        undefined,
        { timeout: 60_000 },
      );
      assert.equal(await live.page.textContent("#status"), "finished:completed");
      assert.equal(await live.page.getAttribute("#bar", "data-done"), String(PROMPTS));
      assert.equal(await live.page.getAttribute("#bar", "data-total"), String(PROMPTS));
      const diagnose = () =>
        live.page.evaluate(
          `JSON.stringify({ live: window.live, images: [...document.querySelectorAll("#images img")]
             .map((i) => [i.dataset.index, i.complete, i.naturalWidth, i.src.slice(0, 120)]) })`,
        );
      await live.page.waitForFunction(
        `[...document.querySelectorAll("#images img")].length === ${PROMPTS} &&
         [...document.querySelectorAll("#images img")].every((i) => i.complete && i.naturalWidth > 0)`,
        undefined,
        { timeout: 20_000 },
      ).catch(async (error) => {
        throw new Error(`images not shown: ${await diagnose()}`, { cause: error });
      });
      const indexes = await live.page.evaluate(
        `[...document.querySelectorAll("#images img")].map((i) => Number(i.dataset.index))
           .sort((a, b) => a - b)`,
      );
      assert.deepEqual(indexes, Array.from({ length: PROMPTS }, (_, i) => i));
      const state = await live.page.evaluate(() =>
        (globalThis as unknown as {
          live: { history: number[]; joined: string[]; errors: string[]; urlsPerIndex: number[] };
        })
          .live
      );
      assert.deepEqual(state.errors, []);
      assert.ok(state.joined.includes("client SUBSCRIBED"), state.joined.join(", "));
      assert.ok(state.joined.includes("SUBSCRIBED"), state.joined.join(", "));
      // The bar moved more than once on the way (0 < some step < all), from messages.
      assert.ok(
        state.history.some((d) => d > 0 && d < PROMPTS),
        `bar history ${state.history.join(",")}`,
      );
      // Signed URLs did not change between the page's fetches: each image was loaded once.
      assert.equal(state.urlsPerIndex.length, PROMPTS);
      assert.ok(state.urlsPerIndex.every((n) => n === 1), `URLs per image ${state.urlsPerIndex}`);
      const imageLoads = live.requests.filter((r) => r.includes("/storage/v1/object/sign/"));
      assert.equal(imageLoads.length, PROMPTS);
      // The only function calls are one GET per message that announced items; no polling.
      const calls = live.requests.filter((r) =>
        r.includes("/functions/v1/") && !r.startsWith("OPTIONS")
      );
      assert.ok(calls.length > 0 && calls.length <= state.history.length, calls.join("\n"));
      assert.ok(
        calls.every((r) =>
          r === `GET ${stack().apiUrl}/functions/v1/start-execution/${started.body.execution.id}`
        ),
        calls.join("\n"),
      );
      assert.equal(live.sockets.length, 1);
      assert.ok(
        live.sockets[0].startsWith(
          `${stack().apiUrl.replace("http", "ws")}/realtime/v1/websocket?`,
        ),
      );
    } finally {
      await live.close();
      await fake.close();
      await closeAll();
    }
  },
});
