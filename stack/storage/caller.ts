// Who is calling: the role and JWT claims a Storage request runs its SQL with. Mirrors the
// Supabase gateway + Storage pair: a bearer JWT is verified against the stack's ES256 key
// and its `role` claim becomes the Postgres role; the opaque sb_secret_/sb_publishable_ keys
// stand for service_role/anon, as the gateway swaps them for an internal JWT.
import { errors as jose, importJWK, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import type { StackKeys } from "../keys.ts";
import { errors } from "./errors.ts";

export type CallerRole = "anon" | "authenticated" | "service_role";

export interface Caller {
  role: CallerRole;
  claims: Record<string, unknown>;
  sub: string | null;
}

const allowedRoles = new Set<string>(["anon", "authenticated", "service_role"]);
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

function keyCaller(role: CallerRole, keys: StackKeys): Caller {
  return { role, claims: { role, iss: "supabase", ref: keys.kid }, sub: null };
}

// jose's messages differ from jsonwebtoken's; Storage surfaces whichever library message it
// got, so any stable, specific text is faithful enough for callers that log it.
export function jwtFailureMessage(error: unknown): string {
  if (error instanceof jose.JWTExpired) return "jwt expired";
  if (error instanceof jose.JWSSignatureVerificationFailed) return "invalid signature";
  if (error instanceof jose.JOSEAlgNotAllowed) return "invalid algorithm";
  if (error instanceof jose.JWTClaimValidationFailed) return `jwt ${error.claim} invalid`;
  return "jwt malformed";
}

async function jwtCaller(token: string, keys: StackKeys): Promise<Caller> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, await publicKey(keys), { algorithms: ["ES256"] }));
  } catch (error) {
    throw errors.accessDenied(jwtFailureMessage(error));
  }
  const role = typeof payload.role === "string" ? payload.role : "";
  if (!allowedRoles.has(role)) throw errors.accessDenied(`role "${role}" is not allowed`);
  return {
    role: role as CallerRole,
    claims: payload as Record<string, unknown>,
    sub: typeof payload.sub === "string" ? payload.sub : null,
  };
}

export function resolveCaller(req: Request, keys: StackKeys): Promise<Caller> {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1]?.trim();
  const credential = bearer || req.headers.get("apikey")?.trim();
  if (!credential) return Promise.reject(errors.missingCredentials());
  if (credential === keys.secretKey) return Promise.resolve(keyCaller("service_role", keys));
  if (credential === keys.publishableKey) return Promise.resolve(keyCaller("anon", keys));
  return jwtCaller(credential, keys);
}
