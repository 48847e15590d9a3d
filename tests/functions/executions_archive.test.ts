// GET start-execution/:id/archive: one ZIP of the completed images and a manifest, checked with
// the system's own `unzip` (an independent reader): the archive tests clean, the manifest lists
// every item with its status and error, each image's bytes equal the stored object, failed items
// have no member. A member of another client gets 404 and not one byte of the archive.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ACME_WORKFLOW,
  createWorkflow,
  GLOBEX_CLIENT,
  invoke,
  items,
  startStackGeminiFake,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeAll, db, serviceClient, stack, tokenFor } from "../helpers/stack.ts";
import { userClient } from "../helpers/stack.ts";

function stackDir(): string {
  return Deno.env.get("STACK_DIR")!;
}

async function archive(email: string, id: string): Promise<Response> {
  return await fetch(`${stack().apiUrl}/functions/v1/start-execution/${id}/archive`, {
    headers: { Authorization: `Bearer ${await tokenFor(email)}`, apikey: stack().anonKey },
  });
}

async function unzip(args: string[]): Promise<{ code: number; out: string }> {
  const res = await new Deno.Command("unzip", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  return { code: res.code, out: text.decode(res.stdout) + text.decode(res.stderr) };
}

interface Manifest {
  execution_id: string;
  items: {
    index: number;
    prompt: string;
    status: string;
    error: string | null;
    file: string | null;
  }[];
}

Deno.test({
  name: "archive: a valid ZIP of the completed images and a manifest; others get 404",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    const tag = crypto.randomUUID().slice(0, 8);
    const dir = await Deno.makeTempDir({ prefix: "archive-test-" });
    try {
      const prompts = [
        `archive one ${tag} [fake:bytes:300000]`,
        `archive fails ${tag} [fake:400]`,
        `archive three ${tag}`,
      ];
      const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.execution.id;
      await waitForFinished(id);
      const rows = await items(id);
      assert.deepEqual(rows.map((r) => r.status), ["completed", "failed", "completed"]);

      // Another client's member: 404 with the JSON error, no ZIP bytes.
      const foreign = await archive("owner@globex.test", id);
      assert.equal(foreign.status, 404);
      assert.match(foreign.headers.get("content-type") ?? "", /application\/json/);
      const refused = await foreign.json();
      assert.equal(refused.error.code, "not_found");

      const res = await archive("collaborator@acme.test", id);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/zip");
      const file = join(dir, "a.zip");
      await Deno.writeFile(file, new Uint8Array(await res.arrayBuffer()));

      const tested = await unzip(["-t", file]);
      assert.equal(tested.code, 0, tested.out);
      assert.match(tested.out, /No errors detected/);
      const out = join(dir, "out");
      const extracted = await unzip(["-q", file, "-d", out]);
      assert.equal(extracted.code, 0, extracted.out);

      const manifest = JSON.parse(
        await Deno.readTextFile(join(out, "manifest.json")),
      ) as Manifest;
      assert.equal(manifest.execution_id, id);
      assert.deepEqual(
        manifest.items.map((i) => [i.index, i.prompt, i.status, i.error !== null]),
        [[0, prompts[0], "completed", false], [1, prompts[1], "failed", true], [
          2,
          prompts[2],
          "completed",
          false,
        ]],
      );
      assert.equal(manifest.items[1].file, null, "a failed item has no member");
      assert.equal(manifest.items[1].error, rows[1].error_message);
      for (const i of [0, 2]) {
        const member = manifest.items[i].file!;
        assert.ok(member, `item ${i} is in the archive`);
        const got = await Deno.readFile(join(out, member));
        const stored = await Deno.readFile(
          join(stackDir(), "storage", "workflow-results", rows[i].result_storage_path!),
        );
        assert.equal(got.length, stored.length);
        assert.deepEqual(got, stored, `item ${i}'s bytes are the stored object's`);
      }
      assert.ok(
        (await Deno.readFile(join(out, manifest.items[0].file!))).length > 250_000,
        "the large image went through whole",
      );
      const listed = await unzip(["-Z1", file]);
      assert.deepEqual(
        listed.out.trim().split("\n").sort(),
        [manifest.items[0].file!, manifest.items[2].file!, "manifest.json"].sort(),
        "nothing but the completed images and the manifest",
      );

      // Storage decides per object, as the caller: a row pointing at another client's object
      // (arranged as postgres) yields no bytes of it, only a manifest entry saying so.
      const globex = await userClient("owner@globex.test");
      const globexWorkflow = await createWorkflow(
        { model: "gemini-3.1-flash-image", max_prompts: 10, requires_api_key: false },
        { clientId: GLOBEX_CLIENT, name: `archive ${tag}` },
      );
      const theirs = await invoke<{ execution: { id: string } }>(globex, "start-execution", {
        body: { workflow_id: globexWorkflow, prompts: [`globex secret ${tag}`] },
      });
      assert.equal(theirs.status, 202, JSON.stringify(theirs.body));
      await waitForFinished(theirs.body.execution.id);
      const foreignPath = `${theirs.body.execution.id}/secret_${tag}.png`;
      const upload = await serviceClient().storage.from("workflow-results")
        .upload(foreignPath, new Uint8Array([137, 80, 78, 71, 1, 2, 3]), {
          contentType: "image/png",
        });
      assert.equal(upload.error, null);
      await db()`update public.workflow_batch_results set result_storage_path = ${foreignPath}
        where execution_id = ${id} and batch_index = 2`;
      const mixed = await archive("collaborator@acme.test", id);
      assert.equal(mixed.status, 200);
      const mixedFile = join(dir, "mixed.zip");
      await Deno.writeFile(mixedFile, new Uint8Array(await mixed.arrayBuffer()));
      assert.equal((await unzip(["-t", mixedFile])).code, 0);
      const mixedOut = join(dir, "mixed");
      await unzip(["-q", mixedFile, "-d", mixedOut]);
      const second = JSON.parse(
        await Deno.readTextFile(join(mixedOut, "manifest.json")),
      ) as Manifest & { items: { not_archived?: string }[] };
      assert.equal(second.items[2].file, null);
      assert.equal(second.items[2].not_archived, "storage_refused");
      assert.deepEqual(
        (await unzip(["-Z1", mixedFile])).out.trim().split("\n").sort(),
        [second.items[0].file!, "manifest.json"].sort(),
        "the other client's object is not in the archive",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
      await fake.close();
      await closeAll();
    }
  },
});
