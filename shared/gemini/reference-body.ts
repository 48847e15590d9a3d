// Reference images without per-call copies. The SDK builds a request with JSON.stringify: with
// the images inline in `parts`, every generateContent call made a base64 string of all of them
// (up to 16 MiB) and fetch encoded it once more to bytes, per prompt in flight (issue 14: 352 MB
// in one link). A link instead holds each image ONCE, as base64 ASCII bytes
// (ReferenceImageBytes), hands the SDK a short token in place of each `data`, and the custom
// fetch (httpOptions.fetch) streams the body with the tokens swapped for the bytes, 64 KiB at a
// time: the SDK, its retries and its error handling are unchanged, and a call in flight holds a
// few KiB of the images instead of two copies.
import { Buffer } from "node:buffer";

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** One reference image as a link keeps it: its type and its base64 text as ASCII bytes. */
export class ReferenceImageBytes {
  readonly mimeType: string;
  readonly base64: Uint8Array;
  /** Decoded size (what the catalogue's limits count). */
  readonly bytes: number;

  constructor(mimeType: string, base64: Uint8Array, bytes: number) {
    this.mimeType = mimeType;
    this.base64 = base64;
    this.bytes = bytes;
  }

  static fromBytes(mimeType: string, bytes: Uint8Array): ReferenceImageBytes {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    return new ReferenceImageBytes(mimeType, encoder.encode(text), bytes.byteLength);
  }

  static fromBase64(mimeType: string, base64: string): ReferenceImageBytes {
    const pad = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
    return new ReferenceImageBytes(
      mimeType,
      encoder.encode(base64),
      Math.floor(base64.length / 4) * 3 + Math.max(0, (base64.length % 4) - 1) - pad,
    );
  }
}

/** Tokens for one call: `data` values the body stream replaces with the images' bytes. */
export class ReferenceTokens {
  readonly #nonce = crypto.randomUUID();
  readonly #images: ReferenceImageBytes[];

  constructor(images: ReferenceImageBytes[]) {
    this.#images = images;
  }

  token(i: number): string {
    return `masstock-ref-${this.#nonce}-${i}`;
  }

  /** The request with the tokens of a string body swapped for the images (streamed). */
  prepare(init: RequestInit | undefined): RequestInit | undefined {
    if (!init || typeof init.body !== "string" || this.#images.length === 0) return init;
    const body = init.body;
    const pattern = new RegExp(`masstock-ref-${this.#nonce}-(\\d+)`, "g");
    const pieces: (string | Uint8Array)[] = [];
    let at = 0;
    for (const m of body.matchAll(pattern)) {
      pieces.push(body.slice(at, m.index));
      pieces.push(this.#images[Number(m[1])].base64);
      at = m.index + m[0].length;
    }
    if (pieces.length === 0) return init;
    pieces.push(body.slice(at));
    let piece = 0;
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        while (piece < pieces.length) {
          const p = pieces[piece];
          if (typeof p === "string") {
            piece++;
            if (p.length > 0) {
              controller.enqueue(encoder.encode(p));
              return;
            }
            continue;
          }
          if (offset >= p.byteLength) {
            piece++;
            offset = 0;
            continue;
          }
          // A copy of one chunk: the shared bytes are never handed to fetch (which may detach).
          controller.enqueue(p.slice(offset, offset + CHUNK));
          offset += CHUNK;
          return;
        }
        controller.close();
      },
    }, { highWaterMark: 0 });
    const headers = new Headers(init.headers);
    headers.delete("content-length");
    return { ...init, body: stream, headers };
  }
}
