// Reading a JSON request body safely: wrong content type 415, oversize 413 (declared or
// streamed), empty, not UTF-8 or malformed 400, all before any validation or SQL.
import { HttpError } from "../core/errors.ts";

const maxBodyBytes = 25 * 1024 * 1024;

const tooLarge = () =>
  new HttpError("payload_too_large", `body must be at most ${maxBodyBytes} bytes`);

// fatal: a body that is not UTF-8 is refused rather than silently patched with U+FFFD
// (which would store something the caller never sent). ignoreBOM keeps a leading U+FEFF in
// the text, so JSON.parse refuses it as every route's "not JSON" instead of the decoder
// dropping it silently for routes whose body may be `{}`.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

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
    throw new HttpError("unsupported_media_type", "content-type must be application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBodyBytes) throw tooLarge();
  let raw: string;
  try {
    raw = utf8.decode(await readCapped(req));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError("invalid_json", "request body is not valid UTF-8");
  }
  if (raw.trim() === "") throw new HttpError("invalid_json", "request body is empty");
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError("invalid_json", "request body is not valid JSON");
  }
}
