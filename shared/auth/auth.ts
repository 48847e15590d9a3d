// Who is calling. Built on @supabase/server's verifyAuth, Supabase's own server-side check:
// - user: `Authorization: Bearer <JWT>` verified against SUPABASE_JWKS (no network), `kid`
//   required, a `sub` required (so the anon key JWT, which has none, is refused), and we pin
//   aud "authenticated" as Supabase Auth issues it. The issuer is not pinned because
//   SUPABASE_URL inside functions is not always the public URL that signs `iss`.
// - secret: the `apikey` header compared in constant time with SUPABASE_SECRET_KEYS.default.
import { extractCredentials, verifyAuth } from "@supabase/server/core";
import { HttpError } from "../core/errors.ts";
import type { Claims } from "../db/db.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

export interface AuthedUser {
  userId: string;
  email: string | null;
  claims: Claims;
  /** The bearer token itself (Storage signs URLs with it, so its RLS decides). */
  token: string;
}

// A client polls an execution or pages a list with the same access token: one ES256
// verification per token and worker (~0.5 ms each) instead of one per request.
const verified = new VerifiedTokens();

function refused(error: { status: number; message: string }): HttpError {
  // Misconfiguration (no JWKS / keys) is the server's fault; everything else is the caller's.
  return error.status >= 500
    ? new HttpError("internal_error", "Authentication is not configured")
    : new HttpError("unauthorized", error.message);
}

function userOf(claims: Claims, token: string): AuthedUser {
  return {
    userId: String(claims.sub),
    email: typeof claims.email === "string" ? claims.email : null,
    claims,
    token,
  };
}

/** The signed-in user behind the request, or a 401 HttpError. */
export async function requireUser(req: Request): Promise<AuthedUser> {
  // The same token verifyAuth reads; a user-mode result depends on nothing else.
  const { token } = extractCredentials(req);
  const known = token ? verified.get(token) : undefined;
  if (known && token) return userOf(known, token);
  const { data, error } = await verifyAuth(req, { auth: "user", audience: "authenticated" });
  if (error) throw refused(error);
  const claims = data.jwtClaims as unknown as Claims;
  if (token) verified.remember(token, claims);
  return userOf(claims, token ?? "");
}

/** Requires the project's secret key in the `apikey` header (service callers), else 401. */
export async function requireService(req: Request): Promise<void> {
  const { error } = await verifyAuth(req, { auth: "secret" });
  if (error) throw refused(error);
}
