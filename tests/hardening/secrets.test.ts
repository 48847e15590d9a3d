// The client's own Gemini key, after a full run through the real chain (start-execution ->
// pg_net -> process-batch -> the fake Gemini, which proves it received the key), appears
// nowhere else: not in any table (pg_dump of the whole database, plain and base64), not in
// the stack's logs, not in any answer the API gave.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ACME_CLIENT,
  createWorkflow,
  invoke,
  PRO_TEMPLATE,
  startStackGeminiFake,
  waitForFinished,
  withBatchSettings,
} from "../helpers/executions.ts";
import { closeAll, stack, userClient } from "../helpers/stack.ts";

function needles(key: string): string[] {
  const b64 = btoa(key);
  return [
    key,
    b64,
    b64.replace(/=+$/, ""),
    encodeURIComponent(key),
    key.split("").reverse().join(""),
  ];
}

async function databaseDump(): Promise<string> {
  const out = await new Deno.Command("pg_dump", {
    // The whole database, Vault's key table included: only the superuser may read all of it.
    args: ["--data-only", "--no-owner", stack().adminDbUrl],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

function logs(): Record<string, string> {
  const dir = join(Deno.env.get("STACK_DIR")!, "logs");
  const out: Record<string, string> = {};
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile) out[entry.name] = Deno.readTextFileSync(join(dir, entry.name));
  }
  return out;
}

Deno.test({
  name: "secrets: a client's Gemini key is used, then found nowhere",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake();
    const key = `AIzaHardening${crypto.randomUUID().replaceAll("-", "")}`;
    const answers: string[] = [];
    try {
      const workflow = await createWorkflow({
        workflow_type: "pro_banana",
        model: "gemini-3-pro-image",
        max_prompts: 10,
        requires_api_key: true,
        image_sizes: ["1K", "2K"],
      }, { clientId: ACME_CLIENT, name: "hardening secrets", templateId: PRO_TEMPLATE });
      const collab = await userClient("collaborator@acme.test");
      const prompts = ["secret run 1", "secret run 2", "secret run 3 [fake:500]"];
      // The failing prompt exercises error paths for leaks; two quick attempts are enough.
      const started = await withBatchSettings(
        { max_attempts: 2, backoff_base_ms: 50 },
        async () => {
          const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
            body: { workflow_id: workflow, prompts, api_key: key, image_size: "1K" },
            headers: { "Idempotency-Key": `hardening-${crypto.randomUUID()}` },
          });
          answers.push(JSON.stringify(started.body));
          assert.equal(started.status, 202, JSON.stringify(started.body));
          await waitForFinished(started.body.execution.id, 60_000);
          return started;
        },
      );
      const id = started.body.execution.id;
      for (const path of [id, `${id}?results=true`, `?workflow_id=${workflow}`]) {
        const got = await invoke(collab, `start-execution/${path}`.replace("/?", "?"));
        answers.push(JSON.stringify(got.body));
        assert.equal(got.status, 200);
      }
      const sent = fake.calls.filter((c) => c.prompt.startsWith("secret run"));
      assert.ok(sent.length >= 3, "the fake was not called");
      assert.ok(sent.every((c) => c.apiKey === key), "the provider did not receive the key");

      const places: Record<string, string> = {
        "database dump": await databaseDump(),
        ...logs(),
        "API answers": answers.join("\n"),
      };
      const found = Object.entries(places).flatMap(([where, text]) =>
        needles(key).filter((n) => text.includes(n)).map((n) => `${where}: ${n}`)
      );
      assert.deepEqual(found, []);
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
