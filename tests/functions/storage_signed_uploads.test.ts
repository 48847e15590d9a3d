// Contract test of the Storage stand-in's signed upload URLs against real Supabase Storage
// (supabase/storage: routes object/getSignedUploadURL.ts and object/uploadSignedObject.ts,
// `signUploadObjectUrl` / `verifyObjectSignature` in storage/object.ts), through storage-js's
// own createSignedUploadUrl and uploadToSignedUrl:
// - signing tests the caller's INSERT permission (RLS) and refuses an existing object
//   (Duplicate) before any URL exists; the URL is /object/upload/sign/<bucket>/<key>?token=
//   with an HS256 token {owner, url, upsert, scope: "upload"} valid 2 hours (hosted's value);
// - the upload needs only the token, is written as the storage superuser with the token's
//   owner, keeps the bucket's type limit, and without upsert cannot replace an object;
// - tokens are scoped: an upload token does not download, a download token does not upload,
//   and a token for one key does not fit another.
import assert from "node:assert/strict";
import { makePng } from "../fakes/gemini-png.ts";
import { closeAll, db, serviceClient, stack, userClient } from "../helpers/stack.ts";

const BUCKET = "workflow-results";

function claimsOf(token: string): Record<string, unknown> {
  const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(part));
}

async function storageError(
  res: Response,
): Promise<{ status: number; body: Record<string, string> }> {
  return { status: res.status, body: await res.json() };
}

Deno.test("storage stand-in: signed upload URLs as Supabase Storage", async (t) => {
  const folder = "00000000-0000-4000-8000-0000000000dd";
  const name = `${folder}/signed_${crypto.randomUUID()}.png`;
  const service = serviceClient().storage.from(BUCKET);
  const png = new Uint8Array(makePng("signed-upload"));
  try {
    let token = "";
    await t.step("signing answers a URL and a 2-hour upload-scoped token", async () => {
      const { data, error } = await service.createSignedUploadUrl(name);
      assert.equal(error, null);
      assert.ok(data);
      token = data.token;
      const url = new URL(data.signedUrl);
      assert.equal(url.pathname, `/storage/v1/object/upload/sign/${BUCKET}/${name}`);
      assert.equal(url.searchParams.get("token"), token);
      const claims = claimsOf(token);
      assert.equal(claims.url, `${BUCKET}/${name}`);
      assert.equal(claims.upsert, false);
      assert.equal(claims.scope, "upload");
      assert.equal(Number(claims.exp) - Number(claims.iat), 7200);
    });

    await t.step("the token does not download, and does not fit another key", async () => {
      const asDownload = await fetch(
        `${stack().apiUrl}/storage/v1/object/sign/${BUCKET}/${name}?token=${token}`,
      );
      const refused = await storageError(asDownload);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, "InvalidSignature");
      assert.equal(refused.body.message, "Token is not scoped for download");
      const other = await service.uploadToSignedUrl(`${folder}/other.png`, token, png, {
        contentType: "image/png",
      });
      assert.ok(other.error);
      assert.match(other.error.message, /Invalid signature/);
    });

    await t.step("the bucket's type limit applies to the signed upload", async () => {
      const wrong = await service.uploadToSignedUrl(name, token, new TextEncoder().encode("x"), {
        contentType: "application/x-msdownload",
      });
      assert.ok(wrong.error);
      assert.match(wrong.error.message, /mime type application\/x-msdownload is not supported/);
    });

    await t.step("uploading with the token stores the object once", async () => {
      const { data, error } = await service.uploadToSignedUrl(name, token, png, {
        contentType: "image/png",
      });
      assert.equal(error, null);
      assert.equal(data?.fullPath, `${BUCKET}/${name}`);
      const again = await service.uploadToSignedUrl(name, token, png, { contentType: "image/png" });
      assert.ok(again.error);
      assert.match(again.error.message, /already exists/);
      const resign = await service.createSignedUploadUrl(name);
      assert.ok(resign.error, "signing an existing object without upsert is a Duplicate");
      const [row] =
        await db()`select metadata ->> 'mimetype' as type, (metadata ->> 'size')::int as size
        from storage.objects where bucket_id = ${BUCKET} and name = ${name}`;
      assert.deepEqual({ ...row }, { type: "image/png", size: png.byteLength });
    });

    await t.step("a download token does not upload", async () => {
      const { data } = await service.createSignedUrl(name, 60);
      const downloadToken = new URL(data!.signedUrl).searchParams.get("token")!;
      const res = await fetch(
        `${stack().apiUrl}/storage/v1/object/upload/sign/${BUCKET}/${folder}/x.png?token=${downloadToken}`,
        { method: "PUT", headers: { "content-type": "image/png" }, body: png },
      );
      const refused = await storageError(res);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.message, "Token is not scoped for upload");
    });

    await t.step("signing runs the caller's INSERT policies: refused without one", async () => {
      const member = (await userClient("owner@acme.test")).storage.from(BUCKET);
      const { data, error } = await member.createSignedUploadUrl(`${folder}/member.png`);
      assert.equal(data, null);
      assert.ok(error);
      assert.match(error.message, /row-level security/);
      const [{ n }] = await db()`select count(*)::int as n from storage.objects
        where bucket_id = ${BUCKET} and name = ${`${folder}/member.png`}`;
      assert.equal(n, 0, "the permission test wrote nothing");
    });
  } finally {
    await service.remove([name]);
    await closeAll();
  }
});
