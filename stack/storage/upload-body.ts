// Reads an upload the two ways storage-js sends one (raw body with content-type, or a
// multipart form whose file part carries the type) and applies the bucket's limits the way
// Storage does: size against file_size_limit (413), type against allowed_mime_types (415,
// wildcards like image/* allowed).
import type { Bucket } from "./db.ts";
import { errors } from "./errors.ts";
import { boundaryOf, parseMultipart } from "./multipart.ts";

export interface UploadBody {
  bytes: Uint8Array;
  mimetype: string;
  cacheControl: string;
  contentEncoding?: string;
  userMetadata?: Record<string, unknown>;
}

function parseMetadata(text: string | null | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch { /* fall through */ }
  throw errors.invalidRequest("Invalid metadata");
}

function headerMetadata(encoded: string | null): Record<string, unknown> | undefined {
  if (!encoded) return undefined;
  let text: string;
  try {
    text = new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
  } catch {
    throw errors.invalidRequest("Invalid metadata");
  }
  return parseMetadata(text);
}

function cacheControlOf(value: string | null | undefined): string {
  if (!value) return "no-cache";
  return /^\d+$/.test(value) ? `max-age=${value}` : value;
}

// Supabase's default global upload limit (50 MB) caps buckets without a limit of their own.
const globalLimit = 50 * 1024 * 1024;

function sizeLimit(bucket: Bucket): number {
  return Math.min(bucket.file_size_limit ?? globalLimit, globalLimit);
}

// Checks Content-Length before buffering so an oversized upload is refused without reading
// it; the slack covers multipart framing around the file.
function checkDeclaredSize(req: Request, bucket: Bucket): void {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > sizeLimit(bucket) + 64 * 1024) throw errors.entityTooLarge();
}

export async function readUpload(req: Request, bucket: Bucket): Promise<UploadBody> {
  checkDeclaredSize(req, bucket);
  const contentType = req.headers.get("content-type") ?? "";
  let body: UploadBody;
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    const boundary = boundaryOf(contentType);
    const parts = boundary
      ? parseMultipart(new Uint8Array(await req.arrayBuffer()), boundary)
      : null;
    if (!parts) throw errors.invalidRequest("Invalid multipart body");
    const file = parts.find((p) => p.filename !== null);
    if (!file) throw errors.invalidRequest("No content provided");
    const field = (name: string) => {
      const part = parts.find((p) => p.name === name && p.filename === null);
      return part ? new TextDecoder().decode(part.data) : undefined;
    };
    body = {
      bytes: file.data,
      mimetype: file.contentType || "text/plain;charset=UTF-8",
      cacheControl: cacheControlOf(field("cacheControl")),
      contentEncoding: field("contentEncoding"),
      userMetadata: parseMetadata(field("metadata")),
    };
  } else {
    body = {
      bytes: new Uint8Array(await req.arrayBuffer()),
      mimetype: contentType || "application/octet-stream",
      cacheControl: cacheControlOf(req.headers.get("cache-control")),
      contentEncoding: req.headers.get("content-encoding") ?? undefined,
      userMetadata: headerMetadata(req.headers.get("x-metadata")),
    };
  }
  if (body.bytes.byteLength > sizeLimit(bucket)) throw errors.entityTooLarge();
  checkMimeType(body.mimetype, bucket.allowed_mime_types);
  return body;
}

export function checkMimeType(mimetype: string, allowed: string[] | null): void {
  if (!allowed || allowed.length === 0) return;
  const [type, subtype] = mimetype.split(";")[0].trim().toLowerCase().split("/");
  const ok = allowed.some((pattern) => {
    const [ptype, psubtype] = pattern.trim().toLowerCase().split("/");
    return ptype === type && (psubtype === "*" || psubtype === subtype);
  });
  if (!ok) throw errors.invalidMimeType(mimetype);
}
