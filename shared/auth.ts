// Who is calling. Built on @supabase/server's verifyAuth, Supabase's own server-side check:
// - user: `Authorization: Bearer <JWT>` verified against SUPABASE_JWKS (no network), `kid`
//   required, a `sub` required (so the anon key JWT, which has none, is refused), and we pin
//   aud "authenticated" as Supabase Auth issues it. The issuer is not pinned because
//   SUPABASE_URL inside functions is not always the public URL that signs `iss`.
// - secret: the `apikey` header compared in constant time with SUPABASE_SECRET_KEYS.default.
import { verifyAuth } from "@supabase/server/core";
import { HttpError } from "./http-error.ts";
import type { Claims } from "./db.ts";

export interface User {
  userId: string;
  email: string | null;
  claims: Claims;
}

function refused(error: { status: number; message: string }): HttpError {
  // Misconfiguration (no JWKS / keys) is the server's fault; everything else is the caller's.
  return error.status >= 500
    ? new HttpError(500, "internal_error", "Authentication is not configured")
    : new HttpError(401, "unauthorized", error.message);
}

/** The signed-in user behind the request, or a 401 HttpError. */
export async function requireUser(req: Request): Promise<User> {
  const { data, error } = await verifyAuth(req, { auth: "user", audience: "authenticated" });
  if (error) throw refused(error);
  const claims = data.jwtClaims as unknown as Claims;
  return {
    userId: String(claims.sub),
    email: typeof claims.email === "string" ? claims.email : null,
    claims,
  };
}

/** Requires the project's secret key in the `apikey` header (service callers), else 401. */
export async function requireService(req: Request): Promise<void> {
  const { error } = await verifyAuth(req, { auth: "secret" });
  if (error) throw refused(error);
}
