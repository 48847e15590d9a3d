// Who calls the Auth API, decided as Supabase's gateway + GoTrue decide it. The gateway wants
// an API key in `apikey` (except on the open routes e-mailed links hit); an opaque
// sb_secret_/sb_publishable_ key sent as the bearer too stands for a service_role/anon JWT,
// which the gateway mints. GoTrue then verifies the bearer JWT and reads its claims.
import { errors as jose, importJWK, jwtVerify } from "jose";
import type { StackKeys } from "../keys.ts";
import { AuthError, authErrors } from "./errors.ts";

export interface Caller {
  /** What the API key is: decides nothing beyond letting the request in. */
  keyRole: "anon" | "service_role";
  /** The verified bearer JWT's claims (null when only the key was sent). */
  claims: Record<string, unknown> | null;
  /** Why the bearer was refused, when it was a JWT that did not verify. */
  jwtProblem: string | null;
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

export class GatewayRefusal extends Error {
  constructor(readonly hint: string, message: string) {
    super(message);
  }
  toResponse(headers: HeadersInit): Response {
    return Response.json({ message: this.message, hint: this.hint }, { status: 401, headers });
  }
}

async function verify(
  token: string,
  keys: StackKeys,
): Promise<{ claims: Record<string, unknown> | null; problem: string | null }> {
  try {
    const { payload } = await jwtVerify(token, await publicKey(keys), { algorithms: ["ES256"] });
    return { claims: payload as Record<string, unknown>, problem: null };
  } catch (err) {
    if (err instanceof jose.JWTExpired) {
      return { claims: null, problem: "token has invalid claims: token is expired" };
    }
    return { claims: null, problem: "signature is invalid" };
  }
}

export async function resolveCaller(req: Request, keys: StackKeys, open: boolean): Promise<Caller> {
  const apikey = req.headers.get("apikey") ?? new URL(req.url).searchParams.get("apikey");
  const bearer = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
  let keyRole: Caller["keyRole"] | null = null;
  if (apikey === keys.secretKey || apikey === keys.serviceRoleKey) keyRole = "service_role";
  else if (apikey === keys.publishableKey || apikey === keys.anonKey) keyRole = "anon";
  if (!open) {
    if (!apikey) {
      throw new GatewayRefusal(
        "No `apikey` request header or url param was found.",
        "No API key found in request",
      );
    }
    if (!keyRole) {
      throw new GatewayRefusal(
        "Double check your Supabase `anon` or `service_role` API key.",
        "Invalid API key",
      );
    }
  }
  if (!bearer) return { keyRole: keyRole ?? "anon", claims: null, jwtProblem: null };
  // The opaque keys are no JWTs: the gateway swaps them for one of the key's role.
  if (bearer === keys.secretKey) {
    return {
      keyRole: keyRole ?? "service_role",
      claims: { role: "service_role" },
      jwtProblem: null,
    };
  }
  if (bearer === keys.publishableKey) {
    return { keyRole: keyRole ?? "anon", claims: { role: "anon" }, jwtProblem: null };
  }
  const { claims, problem } = await verify(bearer, keys);
  return { keyRole: keyRole ?? "anon", claims, jwtProblem: problem };
}

/** requireAuthentication: a verified bearer JWT. */
export function requireClaims(caller: Caller): Record<string, unknown> {
  if (caller.jwtProblem) throw authErrors.badJwt(caller.jwtProblem);
  if (!caller.claims) throw authErrors.noAuthorization();
  return caller.claims;
}

/** requireAdmin: GoTrue's admin roles are service_role and supabase_admin. */
export function requireAdmin(caller: Caller): void {
  const claims = requireClaims(caller);
  if (claims.role !== "service_role" && claims.role !== "supabase_admin") {
    throw authErrors.notAdmin();
  }
}

/** The signed-in user's id and session from a user JWT, or the refusal GoTrue gives. */
export function requireUserClaims(caller: Caller): { sub: string; sessionId: string | null } {
  const claims = requireClaims(caller);
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (!/^[0-9a-f-]{36}$/i.test(sub)) {
    throw new AuthError(403, "bad_jwt", "invalid claim: missing sub claim");
  }
  const sessionId = typeof claims.session_id === "string" ? claims.session_id : null;
  return { sub, sessionId };
}
