// The product from a real browser on another origin, the way a frontend uses it: headless
// Chromium (Debian's) on a page served from its own localhost port runs supabase-js's browser
// build. It invokes start-execution with custom headers (Idempotency-Key, and x-region from
// `region`), which makes Chromium send a preflight that must reach the function and be
// allowed; reads the JSON body of an error; and, once the execution is done, fetches a result
// through its signed URL, downloads it with storage.download() and signs one with
// createSignedUrl(). Each of these fails in a browser unless the answers carry CORS headers.
// A control request to an origin without CORS shows the browser does enforce it.
import assert from "node:assert/strict";
import { launchBrowser, servePage, serveWithoutCors } from "../helpers/browser.ts";
import { ACME_WORKFLOW, startStackGeminiFake } from "../helpers/executions.ts";
import { closeAll, stack, tokenFor } from "../helpers/stack.ts";

interface PageOutcome {
  control: string;
  started: { status: number; id: string; replayStatus: number; replayId: string };
  invalid: { status: number; body: { error: { code: string; details: { field: string }[] } } };
  finished: { status: string; completed: number; path: string; signedUrl: string };
  signedFetch: { status: number; bytes: number[] };
  download: { error: string | null; bytes: number[] };
  signed: { error: string | null; status: number; bytes: number[] };
}

const PNG = [0x89, 0x50, 0x4e, 0x47];

Deno.test({
  name: "browser: supabase-js from another origin (functions, errors, signed URLs, download)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(10);
    const page = await servePage();
    const noCors = serveWithoutCors();
    const browser = await launchBrowser();
    try {
      await browser.page.goto(page.origin + "/");
      const outcome = await browser.page.evaluate(async (args) => {
        // deno-lint-ignore no-explicit-any
        const { createClient } = (globalThis as any).supabase;
        const client = createClient(args.apiUrl, args.publishableKey, {
          global: { headers: { Authorization: `Bearer ${args.token}` } },
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        });
        const control = await fetch(args.noCorsUrl).then(() => "read", (e) => `blocked: ${e}`);

        const key = crypto.randomUUID();
        const start = () =>
          client.functions.invoke("start-execution", {
            body: { workflow_id: args.workflowId, prompts: ["a paper boat from the browser"] },
            headers: { "Idempotency-Key": key },
            region: "eu-west-1",
          });
        const first = await start();
        if (first.error) throw new Error(`start-execution: ${first.error.message}`);
        const replay = await start();
        if (replay.error) throw new Error(`replay: ${replay.error.message}`);

        const bad = await client.functions.invoke("start-execution", {
          body: { workflow_id: "not-a-uuid", prompts: [] },
        });
        const invalid = {
          status: bad.error?.context?.status,
          body: await bad.error?.context?.json(),
        };

        const id = first.data.execution.id;
        // deno-lint-ignore no-explicit-any
        let view: any = null;
        for (let i = 0; i < 300; i++) {
          const res = await client.functions.invoke(`start-execution/${id}`, { method: "GET" });
          if (res.error) throw new Error(`view: ${res.error.message}`);
          view = res.data.execution;
          if (["completed", "failed", "cancelled"].includes(view.status)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const result = view.results.find((r: { storage_path: string | null }) => r.storage_path);
        const head = async (blob: Blob) =>
          [...new Uint8Array(await blob.arrayBuffer())].slice(0, 4);

        const signedRes = await fetch(result.signed_url);
        const signedFetch = { status: signedRes.status, bytes: await head(await signedRes.blob()) };

        const bucket = client.storage.from("workflow-results");
        const dl = await bucket.download(result.storage_path);
        const download = {
          error: dl.error ? String(dl.error.message) : null,
          bytes: dl.data ? await head(dl.data) : [],
        };
        const made = await bucket.createSignedUrl(result.storage_path, 60);
        const again = made.data ? await fetch(made.data.signedUrl) : null;
        const signed = {
          error: made.error ? String(made.error.message) : null,
          status: again?.status ?? 0,
          bytes: again ? await head(await again.blob()) : [],
        };

        return {
          control,
          started: {
            status: first.response.status,
            id,
            replayStatus: replay.response.status,
            replayId: replay.data.execution.id,
          },
          invalid,
          finished: {
            status: view.status,
            completed: view.progress.completed,
            path: result.storage_path,
            signedUrl: result.signed_url,
          },
          signedFetch,
          download,
          signed,
        };
      }, {
        apiUrl: stack().apiUrl,
        publishableKey: stack().publishableKey,
        token: await tokenFor("collaborator@acme.test"),
        workflowId: ACME_WORKFLOW,
        noCorsUrl: noCors.origin + "/",
      }) as PageOutcome;

      assert.match(outcome.control, /^blocked: /, "the page could read a response without CORS");
      assert.equal(outcome.started.status, 202);
      assert.equal(
        outcome.started.replayStatus,
        200,
        "the Idempotency-Key did not reach the function",
      );
      assert.equal(outcome.started.replayId, outcome.started.id);
      assert.equal(outcome.invalid.status, 400);
      assert.equal(outcome.invalid.body.error.code, "invalid_request");
      assert.deepEqual(
        outcome.invalid.body.error.details.map((d) => d.field).sort(),
        ["prompts", "workflow_id"],
      );
      assert.equal(outcome.finished.status, "completed");
      assert.equal(outcome.finished.completed, 1);
      assert.deepEqual(outcome.signedFetch, { status: 200, bytes: PNG });
      assert.deepEqual(outcome.download, { error: null, bytes: PNG });
      assert.deepEqual(outcome.signed, { error: null, status: 200, bytes: PNG });
    } finally {
      await browser.close();
      await page.close();
      await noCors.close();
      await fake.close();
      await closeAll();
    }
  },
});
