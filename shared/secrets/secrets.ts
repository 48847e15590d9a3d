// Server-side secrecy for start-execution: the client's Gemini API key is encrypted before it
// reaches the database (AES-256-GCM, bound to its execution through associated data), and the
// start request body is fingerprinted with a keyed hash for idempotency, so neither the key nor
// a guessable hash of it is ever stored. Both keys derive (HKDF) from one secret,
// GEMINI_KEY_ENCRYPTION_KEY (32+ random bytes, base64), which only the functions know.
import { Buffer } from "node:buffer";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Keys {
  aes: CryptoKey;
  hmac: CryptoKey;
}

let cached: Promise<Keys> | undefined;
let cachedFor: string | undefined;

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const buf = Buffer.from(text, "base64url");
  const out = new Uint8Array(new ArrayBuffer(buf.byteLength));
  out.set(buf);
  return out;
}

async function deriveKeys(secret: string): Promise<Keys> {
  const raw = fromB64url(secret.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  if (raw.byteLength < 32) {
    throw new Error("GEMINI_KEY_ENCRYPTION_KEY must be at least 32 random bytes, base64-encoded");
  }
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const params = (info: string) => ({
    name: "HKDF",
    hash: "SHA-256",
    salt: new Uint8Array(0),
    info: encoder.encode(info),
  });
  const [aes, hmac] = await Promise.all([
    crypto.subtle.deriveKey(
      params("masstock/gemini-api-key/v1"),
      master,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    ),
    crypto.subtle.deriveKey(
      params("masstock/request-hash/v1"),
      master,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign"],
    ),
  ]);
  return { aes, hmac };
}

function keys(): Promise<Keys> {
  const secret = Deno.env.get("GEMINI_KEY_ENCRYPTION_KEY");
  if (!secret) throw new Error("GEMINI_KEY_ENCRYPTION_KEY is not set");
  if (!cached || cachedFor !== secret) {
    cachedFor = secret;
    cached = deriveKeys(secret);
  }
  return cached;
}

/** Encrypts an API key for one execution: `v1.<iv>.<ciphertext>` (base64url). */
export async function encryptApiKey(apiKey: string, executionId: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(executionId) },
    (await keys()).aes,
    encoder.encode(apiKey),
  );
  return `v1.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
}

/** Decrypts what encryptApiKey produced for the same execution; throws if tampered or moved. */
export async function decryptApiKey(sealed: string, executionId: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("unknown API key ciphertext format");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(iv), additionalData: encoder.encode(executionId) },
    (await keys()).aes,
    fromB64url(ct),
  );
  return decoder.decode(plain);
}

/** JSON with object keys sorted at every level, so equal bodies hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Keyed fingerprint (HMAC-SHA-256, base64url) of a request body, for idempotency checks. */
export async function requestHash(body: unknown): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    (await keys()).hmac,
    encoder.encode(canonicalJson(body)),
  );
  return b64url(new Uint8Array(mac));
}
