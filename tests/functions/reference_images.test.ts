// Reference images in Storage through the real parts: POST start-execution/reference-uploads
// answers signed upload URLs into the caller's client's folder (limits from the model
// catalogue), the client uploads with storage-js, starts with `reference_images: [{path,
// mime_type}]`, and the process-batch link fetches each image ONCE (Storage GETs counted by the
// stand-in) and passes it to Gemini with every prompt (the fake records what it received).
// Refused: another client's member (no URL, no read, no upload into the folder), a path in
// another client's folder, a missing object, a type or size the model does not take; each
// refusal writes nothing. Deleting an execution and the retention run remove the objects no
// kept execution names, idempotently.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { makePng } from "../fakes/gemini-png.ts";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  GLOBEX_CLIENT,
  invoke,
  startStackGeminiFake,
  waitFor,
  waitForFinished,
  writeCounts,
} from "../helpers/executions.ts";
import { closeAll, db, serviceClient, stack, userClient } from "../helpers/stack.ts";

const BUCKET = "reference-images";
const MODEL = "gemini-3.1-flash-image";

interface Upload {
  bucket: string;
  path: string;
  token: string;
  signed_url: string;
  mime_type: string;
  size_bytes: number;
}
interface Uploads {
  client_id: string;
  limits: { max_images: number; max_image_bytes: number; max_total_bytes: number };
  uploads: Upload[];
}
type Refused = { error: { code: string; details?: { field: string; message: string }[] } };
type Client = Awaited<ReturnType<typeof userClient>>;

async function downloads(): Promise<Record<string, number>> {
  const res = await fetch(`${stack().apiUrl}/storage/v1/__standin/downloads?bucket=${BUCKET}`);
  return await res.json();
}

async function objectExists(path: string): Promise<boolean> {
  const [row] = await db()<{ n: number }[]>`
    select count(*)::int as n from storage.objects where bucket_id = ${BUCKET} and name = ${path}`;
  return row.n === 1;
}

/** Asks for upload URLs and uploads `images` with them (storage-js uploadToSignedUrl). */
async function upload(client: Client, images: Uint8Array[], mime = "image/png") {
  const asked = await invoke<Uploads>(client, "start-execution/reference-uploads", {
    body: {
      workflow_id: ACME_WORKFLOW,
      images: images.map((i) => ({ mime_type: mime, size_bytes: i.byteLength })),
    },
  });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  for (const [i, u] of asked.body.uploads.entries()) {
    const { error } = await client.storage.from(u.bucket).uploadToSignedUrl(
      u.path,
      u.token,
      images[i],
      { contentType: mime },
    );
    assert.equal(error, null);
  }
  return asked.body;
}

async function runRetention() {
  const { data, error } = await serviceClient().functions.invoke("process-batch/retention", {
    body: {},
  });
  assert.equal(error, null);
  assert.deepEqual(data, { accepted: true });
}

Deno.test({
  name: "reference images: uploaded once to the client's folder, fetched once per link, " +
    "sent with every prompt",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    const globex = await userClient("owner@globex.test");
    const tag = crypto.randomUUID().slice(0, 8);
    const images = [
      new Uint8Array(makePng(`ref-a-${tag}`, 64, 64)),
      new Uint8Array(makePng(`ref-b-${tag}`, 32, 32)),
    ];
    try {
      const planned = await upload(collab, images);
      assert.equal(planned.client_id, ACME_CLIENT);
      assert.deepEqual(planned.limits, {
        max_images: 3,
        max_image_bytes: 4194304,
        max_total_bytes: 12582912,
        mime_types: ["image/png", "image/jpeg", "image/webp"],
      });
      for (const u of planned.uploads) {
        assert.match(u.path, new RegExp(`^${ACME_CLIENT}/[0-9a-f-]{36}\\.png$`));
        assert.ok(await objectExists(u.path));
      }
      const refs = planned.uploads.map((u) => ({ path: u.path, mime_type: "image/png" }));

      // Another client's member: no URL for this workflow, cannot read the objects, cannot
      // upload into the folder.
      const foreign = await invoke<Refused>(globex, "start-execution/reference-uploads", {
        body: { workflow_id: ACME_WORKFLOW, images: [{ mime_type: "image/png", size_bytes: 10 }] },
      });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.error.code, "workflow_not_found");
      const read = await globex.storage.from(BUCKET).download(refs[0].path);
      assert.ok(read.error, "another client's member must not read the object");
      const sign = await globex.storage.from(BUCKET).createSignedUploadUrl(
        `${ACME_CLIENT}/${crypto.randomUUID()}.png`,
      );
      assert.ok(sign.error, "another client's member must not upload into the folder");
      // The members themselves may read their own folder.
      const own = await collab.storage.from(BUCKET).download(refs[0].path);
      assert.equal(own.error, null);

      await fetch(`${stack().apiUrl}/storage/v1/__standin/downloads`, { method: "DELETE" })
        .then((r) => r.body?.cancel());
      fake.reset();
      const prompts = Array.from({ length: 8 }, (_, i) => `reference ${tag} ${i}`);
      const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts, reference_images: refs },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.execution.id;
      const done = await waitForFinished(id);
      assert.equal(done.status, "completed");

      // Every prompt reached Gemini with both images, byte for byte, in order.
      const calls = fake.calls.filter((c) => c.prompt.includes(`reference ${tag}`));
      assert.equal(calls.length, prompts.length);
      const expected = images.map((i) => Buffer.from(i).toString("base64"));
      for (const call of calls) {
        const parts = (call.body as { contents: { parts: Record<string, unknown>[] }[] })
          .contents[0].parts;
        const sent = parts.filter((p) => p.inlineData).map((p) =>
          (p.inlineData as { data: string }).data
        );
        assert.deepEqual(sent, expected);
        assert.deepEqual(call.inlineImageMimeTypes, ["image/png", "image/png"]);
      }
      // Fetched once per link: 8 prompts, one link (1K images, concurrency within its slots).
      const counted = await downloads();
      for (const r of refs) {
        assert.equal(counted[`${BUCKET}/${r.path}`], 1, JSON.stringify(counted));
      }

      // input_bytes counts the stored images.
      const [row] = await db()<{ input_bytes: number }[]>`
        select input_bytes from public.workflow_executions where id = ${id}`;
      assert.ok(row.input_bytes >= images[0].byteLength + images[1].byteLength);
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "reference images: wrong folder, missing object, type and catalogue limits refused, " +
    "nothing written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const collab = await userClient("collaborator@acme.test");
    const tag = crypto.randomUUID().slice(0, 8);
    const png = new Uint8Array(makePng(`ref-limits-${tag}`, 16, 16));
    const planned = await upload(collab, [png]);
    const path = planned.uploads[0].path;
    const before = await writeCounts();
    const start = (reference_images: unknown) =>
      invoke<Refused>(collab, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts: [`limits ${tag}`], reference_images },
      });

    const otherFolder = await start([{
      path: `${GLOBEX_CLIENT}/${crypto.randomUUID()}.png`,
      mime_type: "image/png",
    }]);
    assert.equal(otherFolder.status, 400, JSON.stringify(otherFolder.body));
    assert.equal(otherFolder.body.error.details?.[0].field, "reference_images.0");

    const traversal = await start([{ path: `${ACME_CLIENT}/../x.png`, mime_type: "image/png" }]);
    assert.equal(traversal.status, 400);

    const missing = await start([{
      path: `${ACME_CLIENT}/${crypto.randomUUID()}.png`,
      mime_type: "image/png",
    }]);
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    assert.equal(missing.body.error.code, "reference_image_not_found");

    const wrongType = await start([{ path, mime_type: "image/jpeg" }]);
    assert.equal(wrongType.status, 422, JSON.stringify(wrongType.body));
    assert.equal(wrongType.body.error.code, "reference_image_type_not_allowed");

    const tooMany = await start(Array(4).fill({ path, mime_type: "image/png" }));
    assert.equal(tooMany.status, 422);
    assert.equal(tooMany.body.error.code, "too_many_reference_images");

    // The catalogue's limits, changed by an admin, apply to the upload route and the start.
    const [limits] = await db()<{ b: number; m: string[] }[]>`
      select max_reference_image_bytes as b, reference_mime_types as m
      from public.image_models where id = ${MODEL}`;
    await db()`update public.image_models
      set max_reference_image_bytes = ${png.byteLength - 1},
          reference_mime_types = array['image/png', 'image/webp'] where id = ${MODEL}`;
    try {
      const tooLarge = await start([{ path, mime_type: "image/png" }]);
      assert.equal(tooLarge.status, 422);
      assert.equal(tooLarge.body.error.code, "reference_image_too_large");
      const askLarge = await invoke<Refused>(collab, "start-execution/reference-uploads", {
        body: {
          workflow_id: ACME_WORKFLOW,
          images: [{ mime_type: "image/png", size_bytes: png.byteLength }],
        },
      });
      assert.equal(askLarge.status, 422);
      assert.equal(askLarge.body.error.code, "reference_image_too_large");
      const askJpeg = await invoke<Refused>(collab, "start-execution/reference-uploads", {
        body: { workflow_id: ACME_WORKFLOW, images: [{ mime_type: "image/jpeg", size_bytes: 9 }] },
      });
      assert.equal(askJpeg.status, 422);
      assert.equal(askJpeg.body.error.code, "reference_image_type_not_allowed");
      const askMany = await invoke<Refused>(collab, "start-execution/reference-uploads", {
        body: {
          workflow_id: ACME_WORKFLOW,
          images: Array(4).fill({ mime_type: "image/png", size_bytes: 9 }),
        },
      });
      assert.equal(askMany.status, 422);
      assert.equal(askMany.body.error.code, "too_many_reference_images");
    } finally {
      await db()`update public.image_models
        set max_reference_image_bytes = ${limits.b}, reference_mime_types = ${limits.m}
        where id = ${MODEL}`;
    }
    // Direct inserts through the database API meet the same check.
    const direct = await collab.from("workflow_executions").insert({
      workflow_id: ACME_WORKFLOW,
      client_id: ACME_CLIENT,
      triggered_by_user_id: (await collab.auth.getUser()).data.user?.id ?? null,
      input_data: {
        prompts: ["direct"],
        reference_images: [{
          path: `${ACME_CLIENT}/${crypto.randomUUID()}.png`,
          mime_type: "image/png",
        }],
      },
    } as never);
    assert.ok(direct.error, "a direct insert naming a missing object must be refused");
    assert.deepEqual(await writeCounts(), before);
  },
});

Deno.test({
  name: "reference images: deleting an execution and retention remove what no kept run names",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    const collab = await userClient("collaborator@acme.test");
    const tag = crypto.randomUUID().slice(0, 8);
    try {
      const [a, shared, stale] = (await upload(collab, [
        new Uint8Array(makePng(`del-a-${tag}`, 8, 8)),
        new Uint8Array(makePng(`del-shared-${tag}`, 8, 8)),
        new Uint8Array(makePng(`del-stale-${tag}`, 8, 8)),
      ])).uploads.map((u) => ({ path: u.path, mime_type: "image/png" }));
      const run = async (refs: typeof a[]) => {
        const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: ACME_WORKFLOW, prompts: [`del ${tag}`], reference_images: refs },
        });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        await waitForFinished(started.body.execution.id);
        return started.body.execution.id;
      };
      const first = await run([a, shared]);
      const second = await run([shared]);

      // Deleting the first (admins only) queues its references; the retention run removes the
      // one no other run names and keeps the shared one.
      await db()`delete from public.workflow_executions where id = ${first}`;
      const queued = await db()<{ name: string }[]>`
        select name from private.storage_garbage where bucket_id = ${BUCKET}
          and name = any(${[a.path, shared.path]}) order by name`;
      assert.equal(queued.length, 2);
      await runRetention();
      await waitFor(
        "the deleted run's own reference removed",
        async () => !(await objectExists(a.path)),
      );
      assert.ok(await objectExists(shared.path), "still named by the second run");
      assert.ok(await objectExists(stale.path), "not old enough yet");

      // The second run past retention: its results, then its references, then the purge; the
      // unused upload older than retention goes as well.
      await db()`update public.workflow_executions
        set completed_at = now() - interval '400 days' where id = ${second}`;
      await db()`update storage.objects set created_at = now() - interval '400 days'
        where bucket_id = ${BUCKET} and name = ${stale.path}`;
      await runRetention();
      await waitFor("the second run purged", async () => {
        const [r] = await db()<{ p: Date | null }[]>`
          select content_purged_at as p from public.workflow_executions where id = ${second}`;
        return r.p !== null;
      });
      await waitFor("the stale upload removed", async () => !(await objectExists(stale.path)));
      assert.ok(!(await objectExists(shared.path)));
      const left = await db()<{ n: number }[]>`
        select count(*)::int as n from private.storage_garbage
        where bucket_id = ${BUCKET} and name = any(${[a.path, shared.path, stale.path]})`;
      assert.equal(left[0].n, 0);

      // Idempotent: a second run finds nothing of these and changes nothing.
      const [{ purged }] = await db()<{ purged: Date }[]>`
        select content_purged_at as purged from public.workflow_executions where id = ${second}`;
      await runRetention();
      await new Promise((r) => setTimeout(r, 500));
      const [{ again }] = await db()<{ again: Date }[]>`
        select content_purged_at as again from public.workflow_executions where id = ${second}`;
      assert.equal(again.getTime(), purged.getTime());
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "reference images: close connections",
  fn: closeAll,
  sanitizeOps: false,
  sanitizeResources: false,
});
