// Object operations of the Storage stand-in. Each one runs its SQL as the caller (RLS on
// storage.objects decides exactly as on Supabase) and keeps the file on disk in step with
// the row: files are staged and moved into place inside the transaction, undone on failure.
import { createHash, randomUUID } from "node:crypto";
import type { StackKeys } from "../keys.ts";
import type { Caller } from "./caller.ts";
import type postgres from "postgres";
import { asCaller, findBucket, objectColumns, pool } from "./db.ts";
import type { Tx } from "./db.ts";
import { errors } from "./errors.ts";
import { stageRemoval, stageWrite, withStaged } from "./files.ts";
import type { Staged } from "./files.ts";
import { objectFile, storageRoot, validBucket, validKey } from "./paths.ts";
import { signedUrl, validExpiresIn, verifySignedUrl } from "./signed-urls.ts";
import { readUpload } from "./upload-body.ts";

export interface StorageContext {
  keys: StackKeys;
  dbUrl: string;
  stackDir: string;
}

interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

async function requireBucket(ctx: StorageContext, bucketId: string) {
  const bucket = await findBucket(pool(ctx.dbUrl), validBucket(bucketId));
  if (!bucket) throw errors.noSuchBucket();
  return bucket;
}

// A plain insert skips RETURNING: on Supabase a new upload needs only an INSERT policy, and
// RETURNING would also demand a SELECT policy on the new row. Upsert and update (PUT) need
// SELECT + UPDATE there too, so reading the id back is faithful for them.
export async function writeRow(
  tx: Tx,
  caller: Caller,
  row: { bucketId: string; key: string; metadata: ObjectMetadata; userMetadata?: object },
  mode: "insert" | "upsert" | "update",
  columns: Set<string>,
): Promise<string> {
  const id = randomUUID();
  const values: Record<string, unknown> = {
    bucket_id: row.bucketId,
    name: row.key,
    owner: caller.sub,
    metadata: tx.json(row.metadata as unknown as postgres.JSONValue),
  };
  if (columns.has("owner_id")) values.owner_id = caller.sub;
  if (columns.has("version")) values.version = randomUUID();
  if (columns.has("user_metadata") && row.userMetadata) {
    values.user_metadata = tx.json(row.userMetadata as postgres.JSONValue);
  }
  if (mode === "update") {
    const updated = await tx<{ id: string }[]>`
      update storage.objects set ${tx(values)}, updated_at = now()
      where bucket_id = ${row.bucketId} and name = ${row.key}
      returning id`;
    if (updated.length === 0) throw errors.noSuchKey();
    return updated[0].id;
  }
  const insert = { id, ...values };
  if (mode === "insert") {
    await tx`insert into storage.objects ${tx(insert)}`;
    return id;
  }
  const changed = Object.keys(values).filter((c) => c !== "bucket_id" && c !== "name");
  await tx`
    insert into storage.objects ${tx(insert)}
    on conflict (bucket_id, name) do update
    set ${tx.unsafe(changed.map((c) => `${c} = excluded.${c}`).join(", "))},
        updated_at = now()`;
  const [current] = await tx<{ id: string }[]>`
    select id from storage.objects where bucket_id = ${row.bucketId} and name = ${row.key}`;
  return current?.id ?? id;
}

export async function uploadObject(
  req: Request,
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
  mode: "insert" | "upsert" | "update",
  // Signed uploads: the token already carries the signer's permission, so Storage writes the
  // row as its superuser (owner from the token) instead of as the request's caller.
  asSuperuser = false,
): Promise<Response> {
  const file = objectFile(ctx.stackDir, bucketId, key);
  const bucket = await requireBucket(ctx, bucketId);
  const body = await readUpload(req, bucket);
  const metadata: ObjectMetadata = {
    eTag: `"${createHash("md5").update(body.bytes).digest("hex")}"`,
    size: body.bytes.byteLength,
    mimetype: body.mimetype,
    cacheControl: body.cacheControl,
    lastModified: new Date().toUTCString(),
    contentLength: body.bytes.byteLength,
    httpStatusCode: 200,
  };
  // Read before the transaction: asking the pool for a second connection from inside one
  // deadlocks once concurrent uploads hold every pooled connection.
  const columns = await objectColumns(ctx.dbUrl);
  const staged = await stageWrite(file, body.bytes, storageRoot(ctx.stackDir));
  const run = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
    asSuperuser ? pool(ctx.dbUrl).begin(work) as Promise<T> : asCaller(ctx.dbUrl, caller, work);
  const id = await withStaged(staged, () =>
    run(async (tx) => {
      const id = await writeRow(
        tx,
        caller,
        {
          bucketId,
          key,
          metadata,
          userMetadata: body.userMetadata,
        },
        mode,
        columns,
      );
      await staged.apply();
      return id;
    }));
  return Response.json({ Id: id, Key: `${bucketId}/${key}` });
}

interface StoredObject {
  id: string;
  metadata: Partial<ObjectMetadata> | null;
  updated_at: Date | null;
  created_at: Date | null;
}

async function serveFile(
  ctx: StorageContext,
  bucketId: string,
  key: string,
  object: StoredObject,
  extraHeaders: Record<string, string>,
  head: boolean,
): Promise<Response> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(objectFile(ctx.stackDir, bucketId, key), { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw errors.noSuchKey();
    throw error;
  }
  const { size } = await handle.stat();
  const meta = object.metadata ?? {};
  const headers = new Headers({
    "content-type": meta.mimetype ?? "application/octet-stream",
    "content-length": String(size),
    "cache-control": meta.cacheControl ?? "no-cache",
    ...extraHeaders,
  });
  if (meta.eTag) headers.set("etag", meta.eTag);
  if (meta.lastModified) headers.set("last-modified", meta.lastModified);
  if (head) {
    handle.close();
    return new Response(null, { headers });
  }
  return new Response(handle.readable, { headers });
}

function selectObject(tx: Tx, bucketId: string, key: string): Promise<StoredObject[]> {
  return tx<StoredObject[]>`
    select id, metadata, updated_at, created_at from storage.objects
    where bucket_id = ${bucketId} and name = ${key}`;
}

export async function downloadObject(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
  head: boolean,
): Promise<Response> {
  validBucket(bucketId);
  validKey(key);
  const [object] = await asCaller(ctx.dbUrl, caller, (tx) => selectObject(tx, bucketId, key));
  if (!object) throw errors.noSuchKey();
  return serveFile(ctx, bucketId, key, object, {}, head);
}

export async function downloadPublicObject(
  ctx: StorageContext,
  bucketId: string,
  key: string,
  head: boolean,
): Promise<Response> {
  validKey(key);
  const bucket = await requireBucket(ctx, bucketId);
  if (!bucket.public) throw errors.noSuchBucket();
  const [object] = await pool(ctx.dbUrl).begin((tx) => selectObject(tx, bucketId, key));
  if (!object) throw errors.noSuchKey();
  return serveFile(ctx, bucketId, key, object, {}, head);
}

// The token alone authorises the read (Storage reads the row as superuser here).
export async function downloadSignedObject(
  ctx: StorageContext,
  bucketId: string,
  key: string,
  token: string | null,
  head: boolean,
): Promise<Response> {
  const exp = await verifySignedUrl(ctx.keys, token, bucketId, key);
  validBucket(bucketId);
  validKey(key);
  const [object] = await pool(ctx.dbUrl).begin((tx) => selectObject(tx, bucketId, key));
  if (!object) throw errors.noSuchKey();
  const expires = new Date(exp * 1000).toUTCString();
  return serveFile(ctx, bucketId, key, object, { expires }, head);
}

export async function objectInfo(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
): Promise<Response> {
  validBucket(bucketId);
  validKey(key);
  const [object] = await asCaller(ctx.dbUrl, caller, (tx) => selectObject(tx, bucketId, key));
  if (!object) throw errors.noSuchKey();
  const meta = object.metadata ?? {};
  return Response.json({
    id: object.id,
    name: key,
    bucket_id: bucketId,
    size: meta.size ?? null,
    content_type: meta.mimetype ?? null,
    cache_control: meta.cacheControl ?? null,
    etag: meta.eTag ?? null,
    metadata: {},
    last_modified: object.updated_at,
    created_at: object.created_at,
  });
}

export async function signObject(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
  body: Record<string, unknown>,
): Promise<Response> {
  validBucket(bucketId);
  validKey(key);
  const expiresIn = validExpiresIn(body.expiresIn);
  const [object] = await asCaller(ctx.dbUrl, caller, (tx) => selectObject(tx, bucketId, key));
  if (!object) throw errors.noSuchKey();
  return Response.json({ signedURL: await signedUrl(ctx.keys, bucketId, key, expiresIn) });
}

export async function signObjects(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  body: Record<string, unknown>,
): Promise<Response> {
  validBucket(bucketId);
  const expiresIn = validExpiresIn(body.expiresIn);
  const paths = body.paths;
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string")) {
    throw errors.invalidRequest("body/paths must be a non-empty array of strings");
  }
  const visible = await asCaller(ctx.dbUrl, caller, (tx) =>
    tx<{ name: string }[]>`
      select name from storage.objects
      where bucket_id = ${bucketId} and name = any(${paths as string[]})`);
  const names = new Set(visible.map((r) => r.name));
  const signed = await Promise.all(
    (paths as string[]).map(async (path) =>
      names.has(path)
        ? { error: null, path, signedURL: await signedUrl(ctx.keys, bucketId, path, expiresIn) }
        : {
          error: "Either the object does not exist or you do not have access to it",
          path,
          signedURL: null,
        }
    ),
  );
  return Response.json(signed);
}

// Only names that map to a safe file are staged; a row with a name that could not have been
// uploaded through this API simply has no file to remove.
function removalFor(ctx: StorageContext, bucketId: string, names: string[]): Staged {
  const files: string[] = [];
  for (const name of names) {
    try {
      files.push(objectFile(ctx.stackDir, bucketId, name));
    } catch { /* not a storable key */ }
  }
  return stageRemoval(files, storageRoot(ctx.stackDir));
}

async function deleteRows(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  names: string[],
): Promise<Record<string, unknown>[]> {
  // Filled inside the transaction, settled after it: files come back if COMMIT fails.
  const removal: { staged?: Staged } = {};
  try {
    const deleted = await asCaller(ctx.dbUrl, caller, async (tx) => {
      // As Storage does: its own deletes pass storage.protect_delete(); RLS still decides.
      await tx`select set_config('storage.allow_delete_query', 'true', true)`;
      const rows = await tx<Record<string, unknown>[]>`
        delete from storage.objects
        where bucket_id = ${bucketId} and name = any(${names})
        returning *`;
      removal.staged = removalFor(ctx, bucketId, rows.map((r) => String(r.name)));
      await removal.staged.apply();
      return rows;
    });
    await removal.staged?.finish(true);
    return deleted;
  } catch (error) {
    await removal.staged?.finish(false);
    throw error;
  }
}

export async function deleteObjects(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  body: Record<string, unknown>,
): Promise<Response> {
  validBucket(bucketId);
  const prefixes = body.prefixes;
  if (
    !Array.isArray(prefixes) || prefixes.length === 0 ||
    prefixes.some((p) => typeof p !== "string")
  ) {
    throw errors.invalidRequest("body/prefixes must be a non-empty array of strings");
  }
  await requireBucket(ctx, bucketId);
  return Response.json(await deleteRows(ctx, caller, bucketId, prefixes as string[]));
}

export async function deleteObject(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  key: string,
): Promise<Response> {
  validBucket(bucketId);
  validKey(key);
  const rows = await deleteRows(ctx, caller, bucketId, [key]);
  if (rows.length === 0) throw errors.noSuchKey();
  return Response.json({ message: "Successfully deleted" });
}

const sortColumns = new Set(["name", "updated_at", "created_at", "last_accessed_at"]);

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// Same result shape as Storage's storage.search(): the folders directly under the prefix
// (id and dates null) then the files at that level, limit/offset over both.
export async function listObjects(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string,
  body: Record<string, unknown>,
): Promise<Response> {
  validBucket(bucketId);
  let prefix = typeof body.prefix === "string" ? body.prefix : "";
  if (prefix.length > 0 && !prefix.endsWith("/")) prefix = `${prefix}/`;
  const search = typeof body.search === "string" ? body.search : "";
  const limit = Number.isInteger(body.limit)
    ? Math.min(Math.max(body.limit as number, 0), 1000)
    : 100;
  const offset = Number.isInteger(body.offset) ? Math.max(body.offset as number, 0) : 0;
  const sortBy = (body.sortBy ?? {}) as { column?: unknown; order?: unknown };
  const column = sortColumns.has(String(sortBy.column)) ? String(sortBy.column) : "name";
  const order = String(sortBy.order).toLowerCase() === "desc" ? "desc" : "asc";
  const level = prefix.split("/").length;
  const pattern = `${likeEscape(prefix)}${likeEscape(search)}%`;
  const rows = await asCaller(ctx.dbUrl, caller, (tx) =>
    tx`
      with visible as (
        select (string_to_array(name, '/'))[${level}] as entry,
               array_length(string_to_array(name, '/'), 1) as depth,
               id, updated_at, created_at, last_accessed_at, metadata
        from storage.objects
        where bucket_id = ${bucketId} and name ilike ${pattern}
      ), entries as (
        select 0 as kind, entry as name, null::uuid as id, null::timestamptz as updated_at,
               null::timestamptz as created_at, null::timestamptz as last_accessed_at,
               null::jsonb as metadata
        from visible where depth <> ${level}
        group by entry
        union all
        select 1, entry, id, updated_at, created_at, last_accessed_at, metadata
        from visible where depth = ${level}
      )
      select name, id, updated_at, created_at, last_accessed_at, metadata from entries
      order by kind,
               ${tx.unsafe(`case when kind = 1 then ${column} end ${order} nulls last`)},
               ${tx.unsafe(`name ${order}`)}
      limit ${limit} offset ${offset}`);
  return Response.json(rows);
}

// file_size_limit is a bigint, which postgres.js returns as a string; Storage answers a number.
function bucketJson(row: Record<string, unknown>): Record<string, unknown> {
  const limit = row.file_size_limit;
  return { ...row, file_size_limit: limit === null ? null : Number(limit) };
}

export async function getBuckets(
  ctx: StorageContext,
  caller: Caller,
  bucketId: string | null,
): Promise<Response> {
  const rows = await asCaller(
    ctx.dbUrl,
    caller,
    (tx) =>
      bucketId === null
        ? tx<Record<string, unknown>[]>`select * from storage.buckets order by name`
        : tx<Record<string, unknown>[]>`
        select * from storage.buckets where id = ${validBucket(bucketId)}`,
  );
  if (bucketId === null) return Response.json(rows.map(bucketJson));
  if (rows.length === 0) throw errors.noSuchBucket();
  return Response.json(bucketJson(rows[0]));
}
