// Building blocks shared by every request schema, and the one way a request is parsed:
// a zod failure becomes a 400 whose details name each bad field, before any SQL runs.
import { z } from "zod";
import { HttpError } from "../http.ts";

export const uuid = z.uuid({ message: "must be a UUID" });

/** Bounded, trimmed, non-empty text; `max` is in characters. */
export const text = (max: number) =>
  z.string().trim().min(1, { message: "must not be empty" }).max(max, {
    message: `must be at most ${max} characters`,
  });

/** Keyset pagination: `cursor` is the opaque value a previous page returned as `next_cursor`. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const idParam = z.strictObject({ id: uuid });

export type Issue = { field: string; message: string };

function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : "(body)",
    message: issue.code === "unrecognized_keys"
      ? `unknown field(s): ${(issue as { keys: string[] }).keys.join(", ")}`
      : issue.message,
  }));
}

/** Validates `value` against `schema`; throws HttpError 400 `invalid_request` naming every bad field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = toIssues(result.error);
  const names = [...new Set(details.map((d) => d.field))].join(", ");
  throw new HttpError(400, "invalid_request", `invalid ${where}: ${names}`, details);
}

const maxBodyBytes = 25 * 1024 * 1024;

const tooLarge = () =>
  new HttpError(413, "payload_too_large", `body must be at most ${maxBodyBytes} bytes`);

// fatal: a body that is not UTF-8 is refused rather than silently patched with U+FFFD
// (which would store something the caller never sent).
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body's bytes, refusing (413) as soon as it grows past the limit, chunked or not. */
async function readCapped(req: Request): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > maxBodyBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Reads a JSON body: wrong content type 415, oversize 413, empty, not UTF-8 or malformed 400. */
export async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "content-type must be application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBodyBytes) throw tooLarge();
  let raw: string;
  try {
    raw = utf8.decode(await readCapped(req));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, "invalid_json", "request body is not valid UTF-8");
  }
  if (raw.trim() === "") throw new HttpError(400, "invalid_json", "request body is empty");
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, "invalid_json", "request body is not valid JSON");
  }
}

/** Parses a JSON body against `schema` (see readJson and parse). */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  return parse(schema, await readJson(req), "body");
}

/** Parses the query string (single-valued keys) against `schema`. */
export function parseQuery<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  const params = new URL(req.url).searchParams;
  return parse(schema, Object.fromEntries(params.entries()), "query");
}
