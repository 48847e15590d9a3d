// Signed download URLs as Supabase Storage mints them: an HS256 JWT over {url, iat, exp}
// where url is "<bucket>/<key>", appended as ?token= to /object/sign/<bucket>/<key>; and
// signed upload URLs (below).
import { jwtVerify, SignJWT } from "jose";
import type { StackKeys } from "../keys.ts";
import { jwtFailureMessage } from "./caller.ts";
import { errors } from "./errors.ts";

const secrets = new WeakMap<StackKeys, Uint8Array>();

function secret(keys: StackKeys): Uint8Array {
  let bytes = secrets.get(keys);
  if (!bytes) {
    bytes = new TextEncoder().encode(keys.storageSecret);
    secrets.set(keys, bytes);
  }
  return bytes;
}

export function validExpiresIn(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw errors.invalidRequest("body/expiresIn must be >= 1");
  }
  return value;
}

export async function signedUrl(
  keys: StackKeys,
  bucket: string,
  key: string,
  expiresIn: number,
): Promise<string> {
  const url = `${bucket}/${key}`;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ url })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(secret(keys));
  return `/object/sign/${url}?token=${token}`;
}

// Returns the signed expiry so the response can carry it as Expires, like Storage does.
export async function verifySignedUrl(
  keys: StackKeys,
  token: string | null,
  bucket: string,
  key: string,
): Promise<number> {
  if (!token) throw errors.invalidRequest("querystring must have required property 'token'");
  let claims: { url?: unknown; exp?: number };
  try {
    ({ payload: claims } = await jwtVerify(token, secret(keys), { algorithms: ["HS256"] }));
  } catch (error) {
    throw errors.invalidJwt(jwtFailureMessage(error));
  }
  // Storage scopes its tokens: an upload token never reads the object it may create.
  if ((claims as { scope?: unknown }).scope === "upload") {
    throw errors.invalidSignature("Token is not scoped for download");
  }
  if (claims.url !== `${bucket}/${key}`) throw errors.invalidSignature();
  return claims.exp ?? 0;
}

// Signed upload URLs as Storage mints them (`signUploadObjectUrl`): an HS256 JWT over
// {owner, url, upsert, scope: "upload"} valid `expiresIn` seconds, at
// /object/upload/sign/<bucket>/<key>?token=. The token carries the signer's RLS decision:
// the upload itself runs as the storage superuser.
export interface UploadClaims {
  owner: string | null;
  upsert: boolean;
}

export async function signedUploadToken(
  keys: StackKeys,
  bucket: string,
  key: string,
  claims: UploadClaims,
  expiresIn: number,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    url: `${bucket}/${key}`,
    upsert: claims.upsert,
    scope: "upload",
  };
  if (claims.owner) payload.owner = claims.owner;
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(secret(keys));
}

export async function verifySignedUpload(
  keys: StackKeys,
  token: string | null,
  bucket: string,
  key: string,
): Promise<UploadClaims> {
  if (!token) throw errors.invalidRequest("querystring must have required property 'token'");
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, secret(keys), { algorithms: ["HS256"] }));
  } catch (error) {
    throw errors.invalidJwt(jwtFailureMessage(error));
  }
  if (claims.scope !== "upload") throw errors.invalidSignature("Token is not scoped for upload");
  if (claims.url !== `${bucket}/${key}`) throw errors.invalidSignature();
  return {
    owner: typeof claims.owner === "string" ? claims.owner : null,
    upsert: claims.upsert === true,
  };
}
