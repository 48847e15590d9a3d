// GET start-execution/:id/archive: one ZIP of the completed images and a manifest, checked with
// the system's own `unzip` (an independent reader): the archive tests clean, the manifest lists
// every item with its status and error, each image's bytes equal the stored object, failed items
// have no member. A member of another client gets 404 and not one byte of the archive.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ACME_WORKFLOW,
  invoke,
  items,
  startStackGeminiFake,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeAll, stack, tokenFor } from "../helpers/stack.ts";
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
    } finally {
      await Deno.remove(dir, { recursive: true });
      await fake.close();
      await closeAll();
    }
  },
});
