// Signed upload URLs, as Supabase Storage serves them to storage-js's createSignedUploadUrl
// and uploadToSignedUrl:
// - POST /object/upload/sign/<bucket>/<key> (x-upsert: true optional), as the caller: the
//   caller's INSERT permission (INSERT + UPDATE for upsert) is tested by writing the row in a
//   transaction that is rolled back (Storage's `canUpload` / `testPermission`), so RLS refuses
//   (403) or a duplicate (409) before any URL exists; answers {url, token}, valid 2 hours.
// - PUT /object/upload/sign/<bucket>/<key>?token=: no credentials needed; the token must be an
//   upload-scoped token for exactly this bucket and key. The object is written as the storage
//   superuser with the token's owner, and the bucket's size and type limits apply as on any
//   upload; without upsert in the token an existing object is a 409.
import type { Caller } from "./caller.ts";
import { asCaller, findBucket, objectColumns, pool } from "./db.ts";
import { errors } from "./errors.ts";
import { type StorageContext, uploadObject, writeRow } from "./objects.ts";
import { validBucket, validKey } from "./paths.ts";
import { signedUploadToken, verifySignedUpload } from "./signed-urls.ts";

// Hosted Storage's upload URL lifetime (storage-js documents "valid for 2 hours").
export const SIGNED_UPLOAD_SECONDS = 2 * 60 * 60;

const rolledBack = Symbol("permission tested");

export async function signUpload(
  req: Request,
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
): Promise<Response> {
  validBucket(bucketId);
  validKey(key);
  const bucket = await findBucket(pool(ctx.dbUrl), bucketId);
  if (!bucket) throw errors.noSuchBucket();
  const upsert = req.headers.get("x-upsert") === "true";
  const columns = await objectColumns(ctx.dbUrl);
  const metadata = {} as Parameters<typeof writeRow>[2]["metadata"];
  try {
    await asCaller(ctx.dbUrl, caller, async (tx) => {
      await writeRow(
        tx,
        caller,
        { bucketId, key, metadata },
        upsert ? "upsert" : "insert",
        columns,
      );
      throw rolledBack;
    });
  } catch (error) {
    if (error !== rolledBack) throw error;
  }
  const token = await signedUploadToken(
    ctx.keys,
    bucketId,
    key,
    { owner: caller.sub, upsert },
    SIGNED_UPLOAD_SECONDS,
  );
  return Response.json({ url: `/object/upload/sign/${bucketId}/${key}?token=${token}`, token });
}

export async function uploadSigned(
  req: Request,
  ctx: StorageContext,
  bucketId: string,
  key: string,
  token: string | null,
): Promise<Response> {
  const claims = await verifySignedUpload(ctx.keys, token, bucketId, key);
  const owner: Caller = { role: "service_role", claims: {}, sub: claims.owner };
  const answer = await uploadObject(
    req,
    ctx,
    owner,
    bucketId,
    key,
    claims.upsert ? "upsert" : "insert",
    true,
  );
  const { Key } = await answer.json();
  return Response.json({ Key });
}
