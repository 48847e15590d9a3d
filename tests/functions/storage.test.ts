// The Storage API of the local stack, driven through supabase-js's storage client the way the
// processor and the frontends use it: results in the private workflow-results bucket are
// written by the service only and readable (download, signed URLs) by members of the
// execution's client, as storage.objects RLS decides; bucket limits, signed-URL tokens and
// object keys are enforced. Every step checks the rows and files left behind.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { SignJWT } from "jose";
import { makePng } from "../fakes/gemini-png.ts";
import {
  anonClient,
  closeAll,
  db,
  keys,
  serviceClient,
  stack,
  tokenFor,
  userClient,
  userId,
} from "../helpers/stack.ts";

const BUCKET = "workflow-results";
const ACME_OWNER = "owner@acme.test";
const ACME_COLLABORATOR = "collaborator@acme.test";
const GLOBEX_OWNER = "owner@globex.test";

function storageDir(): string {
  const dir = Deno.env.get("STACK_DIR");
  if (!dir) throw new Error("STACK_DIR is not set");
  return `${dir}/storage`;
}

function fileOf(name: string): string {
  return `${storageDir()}/${BUCKET}/${name}`;
}

async function rowExists(name: string): Promise<boolean> {
  const rows = await db()`
    select 1 from storage.objects where bucket_id = ${BUCKET} and name = ${name}`;
  return rows.length === 1;
}

async function bytesOf(blob: Blob | null): Promise<Uint8Array> {
  assert.ok(blob, "expected a body");
  return new Uint8Array(await blob.arrayBuffer());
}

/** GET an absolute or API-relative Storage URL; returns status and body (JSON or bytes). */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url.startsWith("http") ? url : `${stack().apiUrl}${url}`, { headers });
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json") ? await res.json() : new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body };
}

function tokenOf(signedUrl: string): string {
  const token = new URL(signedUrl).searchParams.get("token");
  assert.ok(token, `no token in ${signedUrl}`);
  return token;
}

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An execution of Acme's seeded workflow: result paths are `<execution id>/<file>`. */
async function createAcmeExecution(): Promise<string> {
  const [workflow] = await db()<{ id: string; client_id: string }[]>`
    select w.id, w.client_id from public.workflows w
    join public.clients c on c.id = w.client_id
    where c.name = 'Acme Corp' and w.status = 'active'
    order by w.created_at limit 1`;
  assert.ok(workflow, "seed has no active Acme workflow");
  const [execution] = await db()<{ id: string }[]>`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, status, input_data)
    values (${workflow.id}, ${workflow.client_id}, ${await userId(ACME_OWNER)}, 'pending',
            ${db().json({ prompts: ["storage test"] })})
    returning id`;
  return execution.id;
}

Deno.test("storage: workflow results follow storage.objects RLS", async (t) => {
  const executionId = await createAcmeExecution();
  const png = new Uint8Array(makePng(`storage-${executionId}`));
  const pathA = `${executionId}/0_${Date.now()}.png`;
  const pathB = `${executionId}/1_${Date.now()}.png`;
  const service = serviceClient().storage.from(BUCKET);

  try {
    await t.step(
      "the service uploads a result: one row, one file with the same bytes",
      async () => {
        const { data, error } = await service.upload(pathA, png, { contentType: "image/png" });
        assert.equal(error, null);
        assert.equal(data?.path, pathA);
        assert.equal(data?.fullPath, `${BUCKET}/${pathA}`);
        const [row] = await db()<
          { id: string; owner: string | null; metadata: Record<string, unknown> }[]
        >`
        select id, owner, metadata from storage.objects
        where bucket_id = ${BUCKET} and name = ${pathA}`;
        assert.equal(row.id, data?.id);
        assert.equal(row.owner, null, "the service has no user id to own the object");
        assert.equal(row.metadata.size, png.byteLength);
        assert.equal(row.metadata.mimetype, "image/png");
        assert.deepEqual(await Deno.readFile(fileOf(pathA)), png);

        const again = await service.upload(pathA, png, { contentType: "image/png" });
        assert.equal(again.error?.message, "The resource already exists");
        assert.equal((again.error as { statusCode?: string }).statusCode, "409");

        const b = await service.upload(pathB, new Blob([png], { type: "image/png" }));
        assert.equal(b.error, null, "multipart (Blob) uploads work too");
        assert.deepEqual(await Deno.readFile(fileOf(pathB)), png);
      },
    );

    for (const email of [ACME_OWNER, ACME_COLLABORATOR]) {
      await t.step(`${email} downloads it and opens a signed URL to it`, async () => {
        const files = (await userClient(email)).storage.from(BUCKET);
        const download = await files.download(pathA);
        assert.equal(download.error, null);
        assert.deepEqual(await bytesOf(download.data), png);

        const signed = await files.createSignedUrl(pathA, 60);
        assert.equal(signed.error, null);
        assert.ok(signed.data?.signedUrl.startsWith(`${stack().apiUrl}/storage/v1/object/sign/`));
        const opened = await get(signed.data!.signedUrl);
        assert.equal(opened.status, 200);
        assert.deepEqual(opened.body, png);

        const many = await files.createSignedUrls([pathA, pathB], 60);
        assert.equal(many.error, null);
        assert.deepEqual(many.data?.map((d) => [d.path, d.error]), [[pathA, null], [pathB, null]]);

        const listed = await files.list(executionId);
        assert.equal(listed.error, null);
        assert.deepEqual(
          listed.data?.map((f) => f.name).sort(),
          [pathA, pathB].map((p) => p.split("/")[1]).sort(),
        );
      });
    }

    await t.step("another client's owner gets neither a URL nor the bytes", async () => {
      const files = (await userClient(GLOBEX_OWNER)).storage.from(BUCKET);
      const signed = await files.createSignedUrl(pathA, 60);
      assert.equal(signed.data, null);
      assert.equal(signed.error?.message, "Object not found");
      assert.equal((signed.error as { statusCode?: string }).statusCode, "404");

      const download = await files.download(pathA);
      assert.equal(download.data, null);
      assert.equal(download.error?.message, "Object not found");

      const many = await files.createSignedUrls([pathA], 60);
      assert.equal(many.data?.[0].signedUrl, null);
      assert.ok(many.data?.[0].error);

      const listed = await files.list(executionId);
      assert.deepEqual(listed.data, []);
    });

    await t.step("anon gets neither a URL nor the bytes", async () => {
      const files = anonClient().storage.from(BUCKET);
      const signed = await files.createSignedUrl(pathA, 60);
      assert.equal(signed.data, null);
      assert.ok(signed.error);
      const download = await files.download(pathA);
      assert.equal(download.data, null);
      assert.ok(download.error);
      const raw = await get(`/storage/v1/object/public/${BUCKET}/${pathA}`);
      assert.equal(raw.status, 400, "a private bucket is not served publicly");
      assert.equal(raw.body.message, "Bucket not found");
    });

    await t.step("a bad or expired access token is refused like Supabase", async () => {
      const expired = await tokenFor(ACME_OWNER, { expiresInSeconds: -60 });
      const res = await get(`/storage/v1/object/${BUCKET}/${pathA}`, {
        apikey: stack().anonKey,
        authorization: `Bearer ${expired}`,
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.statusCode, "403");
      assert.equal(res.body.message, "jwt expired");

      const forged = (await tokenFor(ACME_OWNER)).replace(/\.[^.]+$/, ".AAAA");
      const bad = await get(`/storage/v1/object/${BUCKET}/${pathA}`, {
        authorization: `Bearer ${forged}`,
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.statusCode, "403");

      const none = await get(`/storage/v1/object/${BUCKET}/${pathA}`);
      assert.equal(none.status, 401);
    });

    await t.step("a user cannot upload: RLS refuses, no row, no file", async () => {
      const path = `${executionId}/9_user.png`;
      const files = (await userClient(ACME_OWNER)).storage.from(BUCKET);
      const { data, error } = await files.upload(path, png, { contentType: "image/png" });
      assert.equal(data, null);
      assert.equal((error as { statusCode?: string })?.statusCode, "403");
      assert.match(error!.message, /row-level security/);
      assert.equal(await rowExists(path), false);
      assert.equal(existsSync(fileOf(path)), false);

      const upsert = await files.upload(pathA, makePng("other"), {
        contentType: "image/png",
        upsert: true,
      });
      assert.ok(upsert.error, "nor overwrite the service's result");
      assert.deepEqual(await Deno.readFile(fileOf(pathA)), png);
    });

    await t.step("a user cannot delete: nothing removed", async () => {
      const files = (await userClient(ACME_OWNER)).storage.from(BUCKET);
      const { data, error } = await files.remove([pathA]);
      assert.equal(error, null);
      assert.deepEqual(data, []);
      assert.equal(await rowExists(pathA), true);
      assert.equal(existsSync(fileOf(pathA)), true);
    });

    await t.step("tampered, expired and other-path signed URLs are refused", async () => {
      const files = (await userClient(ACME_OWNER)).storage.from(BUCKET);
      const { data } = await files.createSignedUrl(pathA, 60);
      const token = tokenOf(data!.signedUrl);
      const [header, , signature] = token.split(".");
      const now = Math.floor(Date.now() / 1000);

      const tampered = [
        header,
        b64url({ url: `${BUCKET}/${pathB}`, iat: now, exp: now + 60 }),
        signature,
      ]
        .join(".");
      const viaTampered = await get(`/storage/v1/object/sign/${BUCKET}/${pathB}?token=${tampered}`);
      assert.equal(viaTampered.status, 400);
      assert.equal(viaTampered.body.statusCode, "400");

      const secret = new TextEncoder().encode((await keys()).storageSecret);
      const expired = await new SignJWT({ url: `${BUCKET}/${pathA}` })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuedAt(now - 120)
        .setExpirationTime(now - 60)
        .sign(secret);
      const viaExpired = await get(`/storage/v1/object/sign/${BUCKET}/${pathA}?token=${expired}`);
      assert.equal(viaExpired.status, 400);
      assert.equal(viaExpired.body.message, "jwt expired");

      const otherPath = await get(`/storage/v1/object/sign/${BUCKET}/${pathB}?token=${token}`);
      assert.equal(otherPath.status, 400);
      assert.equal(otherPath.body.message, "Invalid signature");

      const noToken = await get(`/storage/v1/object/sign/${BUCKET}/${pathA}`);
      assert.equal(noToken.status, 400);

      const genuine = await get(`/storage/v1/object/sign/${BUCKET}/${pathA}?token=${token}`);
      assert.equal(genuine.status, 200, "the untouched token still opens path A");
    });

    await t.step("the bucket refuses other types and oversized files", async () => {
      const text = `${executionId}/2_text.txt`;
      const asText = await service.upload(text, "not an image", { contentType: "text/plain" });
      assert.equal((asText.error as { statusCode?: string })?.statusCode, "415");
      assert.equal(await rowExists(text), false);
      assert.equal(existsSync(fileOf(text)), false);

      const [bucket] = await db()<{ limit: number }[]>`
        select file_size_limit::float8 as limit from storage.buckets where id = ${BUCKET}`;
      assert.ok(bucket.limit > 0, "workflow-results has a size limit");
      const big = `${executionId}/3_big.png`;
      const tooBig = new Uint8Array(bucket.limit + 1);
      tooBig.set(png.subarray(0, 8));
      const oversized = await service.upload(big, tooBig, { contentType: "image/png" });
      assert.equal((oversized.error as { statusCode?: string })?.statusCode, "413");
      assert.equal(await rowExists(big), false);
      assert.equal(existsSync(fileOf(big)), false);
    });

    await t.step("keys that could escape the bucket folder are refused", async () => {
      const escapes = [
        `${executionId}%2F..%2F..%2F..%2Fescape.png`,
        `${executionId}%5C..%5C..%5Cescape.png`,
        `${executionId}/esc%00ape.png`,
        `%2Fetc%2Fescape.png`,
      ];
      for (const key of escapes) {
        const res = await fetch(`${stack().apiUrl}/storage/v1/object/${BUCKET}/${key}`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack().secretKey}`, "content-type": "image/png" },
          body: png,
        });
        const body = await res.json();
        assert.equal(res.status, 400, key);
        assert.equal(body.code, "InvalidKey", key);
      }
      const viaClient = await service.upload("../../escape.png", png, { contentType: "image/png" });
      assert.ok(viaClient.error);
      const [{ count }] = await db()<{ count: number }[]>`
        select count(*)::int from storage.objects where name like '%escape%'`;
      assert.equal(count, 0);
      for (const dir of [storageDir(), `${storageDir()}/..`, `${storageDir()}/${BUCKET}`]) {
        assert.equal(existsSync(`${dir}/escape.png`), false);
      }
    });

    await t.step("the service removes results: rows and files go", async () => {
      const { data, error } = await service.remove([pathA, pathB]);
      assert.equal(error, null);
      assert.deepEqual(data?.map((o) => o.name).sort(), [pathA, pathB].sort());
      for (const path of [pathA, pathB]) {
        assert.equal(await rowExists(path), false);
        assert.equal(existsSync(fileOf(path)), false);
      }
      const gone = await (await userClient(ACME_OWNER)).storage.from(BUCKET).download(pathA);
      assert.equal(gone.error?.message, "Object not found");
    });
  } finally {
    // Through the API: storage.protect_delete() refuses direct SQL deletes, as on Supabase.
    const leftovers = await db()<{ name: string }[]>`
      select name from storage.objects
      where bucket_id = ${BUCKET} and name like ${`${executionId}/%`}`;
    if (leftovers.length > 0) {
      await serviceClient().storage.from(BUCKET).remove(leftovers.map((r) => r.name));
    }
    await Deno.remove(`${storageDir()}/${BUCKET}/${executionId}`, { recursive: true }).catch(
      () => {},
    );
    await db()`delete from public.workflow_executions where id = ${executionId}`;
    await closeAll();
  }
});
