// Tokens at the Realtime endpoint. The socket's `apikey` (query string) is checked by the
// gateway on upgrade; a channel's access token (join payload `access_token`, later the
// `access_token` push) is verified by Realtime itself and must carry `role` and `exp`. The
// opaque sb_publishable_/sb_secret_ keys stand for the anon/service_role JWTs, as on Supabase.
import { errors as jose, importJWK, jwtVerify } from "jose";
import type { StackKeys } from "../keys.ts";

export type Claims = Record<string, unknown> & { role: string; exp: number };

/** A refusal: `reason` is the join reply's text ("Code: message"), `message` the bare text. */
export class TokenError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }

  get reason(): string {
    return `${this.code}: ${this.message}`;
  }
}

type VerifyKey = ReturnType<typeof importJWK>;
const publicKeys = new WeakMap<StackKeys, VerifyKey>();

function publicKey(keys: StackKeys): VerifyKey {
  let key = publicKeys.get(keys);
  if (!key) {
    key = importJWK(keys.publicJwk as Parameters<typeof importJWK>[0], "ES256");
    publicKeys.set(keys, key);
  }
  return key;
}

/** The JWT the connection stands for, or an error text for the 401 the gateway answers. */
export async function connectionToken(
  apikey: string | null,
  keys: StackKeys,
): Promise<{ token: string } | { error: string }> {
  if (!apikey) return { error: "API key is missing" };
  if (apikey === keys.publishableKey) return { token: keys.anonKey };
  if (apikey === keys.secretKey) return { token: keys.serviceRoleKey };
  try {
    await jwtVerify(apikey, await publicKey(keys), { algorithms: ["ES256"] });
    return { token: apikey };
  } catch {
    return { error: "The token provided is not a valid JWT" };
  }
}

/** Verifies a channel's access token as Realtime's confirm_token does. */
export async function verifyAccessToken(token: string, keys: StackKeys): Promise<Claims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await publicKey(keys), {
      algorithms: ["ES256"],
      // Realtime reports expiry itself, in its own words.
      clockTolerance: Number.MAX_SAFE_INTEGER,
    }));
  } catch (error) {
    if (
      error instanceof jose.JWSSignatureVerificationFailed ||
      error instanceof jose.JOSEAlgNotAllowed || error instanceof jose.JWKSNoMatchingKey
    ) {
      throw new TokenError("JwtSignatureError", "Failed to validate JWT signature");
    }
    throw new TokenError("MalformedJWT", "The token provided is not a valid JWT");
  }
  if (typeof payload.role !== "string" || !Number.isInteger(payload.exp)) {
    throw new TokenError("InvalidJWTToken", "Fields `role` and `exp` are required in JWT");
  }
  const left = (payload.exp as number) - Math.floor(Date.now() / 1000);
  if (left <= 0) {
    throw new TokenError("InvalidJWTToken", `Token has expired ${-left} seconds ago`);
  }
  return payload as Claims;
}
