// Keeps generated images out of the JS heap while the Gemini SDK reads an answer. The SDK reads
// generateContent with Response.json(): for a 2K image that is the ~3 MB body as bytes, again as
// a string, and once more as the parsed base64 value, all alive at once next to the decoded
// image (≈20 MB resident per image in flight, measured by bench/memory.ts). The SDK accepts a
// custom fetch (httpOptions.fetch), so this one passes the request through untouched and streams
// a successful answer through a scanner that decodes every `"data": "<base64>"` value to bytes
// chunk by chunk, leaving a short token in its place: the SDK still does the request, the error
// handling and the parsing, of a JSON a few hundred bytes long, and the caller swaps the token
// for the bytes. Failed answers (non-2xx) pass through as they are, so ApiError is unchanged.
import { Buffer } from "node:buffer";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const TOKEN_PREFIX = "masstock-inline-data:";
const DATA_KEY = [0x64, 0x61, 0x74, 0x61]; // "data"
const encoder = new TextEncoder();

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0].byteLength === length) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Decodes one base64 value as it streams in, a whole number of 4-character groups at a time. */
class Base64Sink {
  #carry = "";
  #parts: Uint8Array[] = [];
  #length = 0;

  push(text: string): void {
    const all = this.#carry + text;
    const usable = all.length - (all.length % 4);
    this.#carry = all.slice(usable);
    if (usable > 0) this.#add(all.slice(0, usable));
  }

  end(): Uint8Array {
    if (this.#carry) this.#add(this.#carry);
    const bytes = concat(this.#parts, this.#length);
    this.#parts = [];
    return bytes;
  }

  #add(base64: string): void {
    const buf = Buffer.from(base64, "base64");
    this.#parts.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    this.#length += buf.byteLength;
  }
}

type State =
  | "out" // between tokens
  | "string" // inside a string that is not a data value
  | "string-escape" // after a backslash in such a string
  | "after-key" // a "data" key closed: expecting ':'
  | "after-colon" // expecting the value
  | "value" // inside a data value: base64 goes to the sink
  | "value-escape" // after a backslash in a data value
  | "value-unicode"; // inside a \uXXXX escape in a data value

/** The JSON scanner: bytes in, the same JSON with every data value swapped for a token out. */
class InlineDataScanner {
  #state: State = "out";
  #key: number[] = []; // the first bytes of the current string, to spot the "data" key
  #keyLength = 0;
  #hex = "";
  #sink: Base64Sink | null = null;
  #token = "";
  #next = 0;

  constructor(private readonly store: InlineDataStore) {}

  transform(chunk: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    let from = 0; // start of the bytes not yet emitted (outside data values)
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.#state) {
        case "out":
          if (b === QUOTE) {
            this.#state = "string";
            this.#keyLength = 0;
          }
          break;
        case "string":
          if (b === BACKSLASH) this.#state = "string-escape";
          else if (b === QUOTE) {
            this.#state = this.#keyLength === 4 && this.#key.every((k, j) => k === DATA_KEY[j])
              ? "after-key"
              : "out";
          } else {
            if (this.#keyLength < 4) this.#key[this.#keyLength] = b;
            this.#keyLength++;
          }
          break;
        case "string-escape":
          this.#keyLength = 5; // an escaped key is never taken for "data"
          this.#state = "string";
          break;
        case "after-key":
          if (b === COLON) this.#state = "after-colon";
          else if (!isSpace(b)) this.#state = "out";
          break;
        case "after-colon":
          if (b === QUOTE) {
            // Emit up to and including the opening quote, then the token instead of the value.
            emit(chunk.subarray(from, i + 1));
            const token = `${TOKEN_PREFIX}${this.#next++}`;
            emit(encoder.encode(token));
            this.#sink = new Base64Sink();
            this.#token = token;
            this.#state = "value";
            // Resume at the closing quote (emitted with what follows) or at the chunk's end.
            i = from = this.#value(chunk, i + 1);
          } else if (!isSpace(b)) {
            this.#state = "out";
            i--; // a non-string value: scan it as ordinary JSON
          }
          break;
        case "value":
        case "value-escape":
        case "value-unicode":
          i = from = this.#value(chunk, i);
          break;
      }
    }
    if (from < chunk.length) emit(chunk.subarray(from));
  }

  /**
   * Consumes data-value bytes from `at`; returns the index of the value's closing quote (left
   * for the caller to emit), or chunk.length if the value goes on in the next chunk.
   */
  #value(chunk: Uint8Array, at: number): number {
    let i = at;
    while (i < chunk.length) {
      if (this.#state === "value") {
        let end = chunk.indexOf(QUOTE, i);
        if (end < 0) end = chunk.length;
        const slash = chunk.subarray(i, end).indexOf(BACKSLASH);
        const stop = slash < 0 ? end : i + slash;
        if (stop > i) this.#sink!.push(latin1(chunk.subarray(i, stop)));
        i = stop;
        if (i >= chunk.length) return i;
        if (chunk[i] === BACKSLASH) {
          this.#state = "value-escape";
          i++;
          continue;
        }
        // The closing quote: the value is complete.
        this.store.put(this.#token, this.#sink!.end());
        this.#sink = null;
        this.#state = "out";
        return i;
      }
      const b = chunk[i++];
      if (this.#state === "value-escape") {
        if (b === 0x75) { // \uXXXX (some encoders write '=' or '+' so)
          this.#hex = "";
          this.#state = "value-unicode";
        } else {
          // \/ is the only escape base64 can need; others (\n…) are whitespace or invalid.
          if (b === 0x2f) this.#sink!.push("/");
          this.#state = "value";
        }
      } else {
        this.#hex += String.fromCharCode(b);
        if (this.#hex.length === 4) {
          this.#sink!.push(String.fromCharCode(parseInt(this.#hex, 16)));
          this.#state = "value";
        }
      }
    }
    return i;
  }

  flush(): void {
    if (this.#state !== "out") {
      // Truncated JSON: let the SDK's parser report it; nothing is kept for a partial value.
      this.#sink = null;
    }
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** The decoded inline data of one SDK call, by the token that stands for it in the response. */
export class InlineDataStore {
  #bytes = new Map<string, Uint8Array>();

  put(token: string, bytes: Uint8Array): void {
    this.#bytes.set(token, bytes);
  }

  /** The bytes a token stands for (removed from the store), or null for real base64 data. */
  take(data: string): Uint8Array | null {
    const bytes = this.#bytes.get(data) ?? null;
    this.#bytes.delete(data);
    return bytes;
  }

  /** Drops everything not taken (thought images, drafts): nothing outlives the call. */
  clear(): void {
    this.#bytes.clear();
  }

  /**
   * A fetch for httpOptions.fetch that lifts the data values of successful answers into here;
   * `prepare` may rewrite the request first (reference-body.ts streams reference images in).
   */
  fetch(prepare?: (init: RequestInit | undefined) => RequestInit | undefined): typeof fetch {
    return async (input, init) => {
      const response = await fetch(input, prepare ? prepare(init) : init);
      if (!response.ok || !response.body) return response;
      const scanner = new InlineDataScanner(this);
      const body = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, controller) =>
            scanner.transform(chunk, (bytes) => {
              if (bytes.byteLength > 0) controller.enqueue(bytes);
            }),
          flush: () => scanner.flush(),
        }),
      );
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    };
  }
}
