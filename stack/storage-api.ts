// Local stand-in for the Supabase Storage HTTP API: the routes supabase-js's storage client
// calls, mounted by the functions host at /storage/v1/*. Every database query runs as the
// caller (role + JWT claims), so storage.objects RLS grants and refuses exactly as on
// Supabase; files live under `${stackDir}/storage/<bucket>/<key>`.
import type { StackKeys } from "./keys.ts";
import { resolveCaller } from "./storage/caller.ts";
import type { Caller } from "./storage/caller.ts";
import { errors, fromPgError, StorageHttpError } from "./storage/errors.ts";
import {
  deleteObject,
  deleteObjects,
  downloadObject,
  downloadPublicObject,
  downloadSignedObject,
  getBuckets,
  listObjects,
  objectInfo,
  signObject,
  signObjects,
  uploadObject,
} from "./storage/objects.ts";
import type { StorageContext } from "./storage/objects.ts";
import { signUpload, uploadSigned } from "./storage/signed-uploads.ts";

export { closePools as closeStoragePools } from "./storage/db.ts";

const prefix = "/storage/v1";

// Test instrumentation, not a Storage route: how many times each object was downloaded by an
// authenticated caller (GET /object/authenticated/<bucket>/<key> or /object/<bucket>/<key>),
// read at GET /storage/v1/__standin/downloads (?bucket=) and cleared by DELETE on it. Tests use
// it to prove a process-batch link fetches each reference image once, not once per prompt.
const downloads = new Map<string, number>();

function countDownload(bucket: string, key: string): void {
  const name = `${bucket}/${key}`;
  downloads.set(name, (downloads.get(name) ?? 0) + 1);
}

function downloadCounts(method: string, url: URL): Response {
  if (method === "DELETE") downloads.clear();
  const bucket = url.searchParams.get("bucket");
  const out: Record<string, number> = {};
  for (const [name, n] of downloads) {
    if (!bucket || name.startsWith(`${bucket}/`)) out[name] = n;
  }
  return Response.json(out);
}

// Fastify decodes the wildcard as a whole; a malformed escape is an invalid key, not a 500.
function decodeSegments(raw: string[]): string[] {
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    throw errors.invalidKey(raw.join("/"));
  }
}

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  try {
    const body = await req.json();
    if (body && typeof body === "object" && !Array.isArray(body)) return body;
  } catch { /* fall through */ }
  throw errors.invalidRequest("Body must be a JSON object");
}

type Route = (req: Request, ctx: StorageContext, caller: () => Promise<Caller>) => Promise<
  Response
>;

// Picks the handler for /object/... the way Storage's router does: the fixed second segments
// (sign, upload/sign, list, public, authenticated, info) win over a bucket of the same name.
function objectRoute(method: string, parts: string[], url: URL): Route | null {
  const [first, ...rest] = parts;
  const head = method === "HEAD";
  const read = method === "GET" || head;
  const bucketAndKey = (list: string[]) => [list[0], list.slice(1).join("/")] as const;
  if (first === "sign" && rest.length === 1 && method === "POST") {
    return async (req, ctx, caller) =>
      signObjects(ctx, await caller(), rest[0], await jsonBody(req));
  }
  if (first === "sign" && rest.length >= 2) {
    const [bucket, key] = bucketAndKey(rest);
    if (method === "POST") {
      return async (req, ctx, caller) =>
        signObject(ctx, await caller(), bucket, key, await jsonBody(req));
    }
    if (read) {
      return (_req, ctx) =>
        downloadSignedObject(ctx, bucket, key, url.searchParams.get("token"), head);
    }
  }
  if (first === "upload" && rest[0] === "sign" && rest.length >= 3) {
    const [bucket, key] = bucketAndKey(rest.slice(1));
    if (method === "POST") {
      return async (req, ctx, caller) => signUpload(req, ctx, await caller(), bucket, key);
    }
    if (method === "PUT") {
      return (req, ctx) => uploadSigned(req, ctx, bucket, key, url.searchParams.get("token"));
    }
  }
  if (first === "list" && rest.length === 1 && method === "POST") {
    return async (req, ctx, caller) =>
      listObjects(ctx, await caller(), rest[0], await jsonBody(req));
  }
  if (first === "public" && rest.length >= 2 && read) {
    const [bucket, key] = bucketAndKey(rest);
    return (_req, ctx) => downloadPublicObject(ctx, bucket, key, head);
  }
  if (first === "authenticated" && rest.length >= 2 && read) {
    const [bucket, key] = bucketAndKey(rest);
    return async (_req, ctx, caller) => {
      if (!head) countDownload(bucket, key);
      return downloadObject(ctx, await caller(), bucket, key, head);
    };
  }
  if (first === "info" && rest.length >= 2 && method === "GET") {
    const scoped = rest[0] === "authenticated" || rest[0] === "public";
    const [bucket, key] = bucketAndKey(scoped ? rest.slice(1) : rest);
    if (key) return async (_req, ctx, caller) => objectInfo(ctx, await caller(), bucket, key);
  }
  if (parts.length === 1 && method === "DELETE") {
    return async (req, ctx, caller) =>
      deleteObjects(ctx, await caller(), first, await jsonBody(req));
  }
  if (parts.length < 2) return null;
  const [bucket, key] = bucketAndKey(parts);
  if (read) {
    return async (_req, ctx, caller) => {
      if (!head) countDownload(bucket, key);
      return downloadObject(ctx, await caller(), bucket, key, head);
    };
  }
  if (method === "DELETE") {
    return async (_req, ctx, caller) => deleteObject(ctx, await caller(), bucket, key);
  }
  if (method === "POST" || method === "PUT") {
    return async (req, ctx, caller) => {
      const upsert = req.headers.get("x-upsert") === "true";
      const mode = method === "PUT" ? "update" : upsert ? "upsert" : "insert";
      return uploadObject(req, ctx, await caller(), bucket, key, mode);
    };
  }
  return null;
}

function route(method: string, path: string, url: URL): Route | null {
  const raw = path.split("/").slice(1);
  if (raw[0] === "object") return objectRoute(method, decodeSegments(raw.slice(1)), url);
  if (raw[0] === "bucket" && method === "GET" && raw.length <= 2) {
    const id = raw[1] ? decodeSegments([raw[1]])[0] : null;
    return async (_req, ctx, caller) => getBuckets(ctx, await caller(), id);
  }
  return null;
}

function toResponse(error: unknown): Response {
  if (error instanceof StorageHttpError) return error.toResponse();
  const mapped = fromPgError(error);
  if (mapped) return mapped.toResponse();
  console.error("[storage] unexpected error", error);
  return errors.internal().toResponse();
}

export async function handleStorage(
  req: Request,
  keys: StackKeys,
  env: { dbUrl: string; stackDir: string },
): Promise<Response> {
  const url = new URL(req.url);
  const at = url.pathname.indexOf(prefix);
  const path = at >= 0 ? url.pathname.slice(at + prefix.length) : url.pathname;
  if (path === "/__standin/downloads" && (req.method === "GET" || req.method === "DELETE")) {
    return downloadCounts(req.method, url);
  }
  try {
    const handler = route(req.method, path, url);
    if (!handler) throw errors.notFound(req.method, url.pathname);
    const ctx: StorageContext = { keys, dbUrl: env.dbUrl, stackDir: env.stackDir };
    return await handler(req, ctx, () => resolveCaller(req, keys));
  } catch (error) {
    return toResponse(error);
  }
}
