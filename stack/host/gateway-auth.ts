// The gateway's JWT check for functions with verify_jwt = true: like Supabase's, any role is
// accepted (the anon key JWT passes); the token must be an ES256 JWT signed by a key in the
// stack's JWKS and must not be expired. Authorization to data is RLS's job, not the gateway's.
import { createLocalJWKSet, jwtVerify } from "jose";

export type JwtCheck = (authorization: string | null) => Promise<string | null>;

/** Returns a checker answering null when the header is acceptable, else the reason. */
export function gatewayJwtCheck(jwks: { keys: JsonWebKey[] }): JwtCheck {
  const keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
  return async (authorization) => {
    const match = authorization?.match(/^Bearer\s+(\S+)$/i);
    if (!match) return "Missing authorization header";
    try {
      await jwtVerify(match[1], keySet, { algorithms: ["ES256"], requiredClaims: ["exp"] });
      return null;
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === "ERR_JWT_EXPIRED" ? "JWT has expired" : "Invalid JWT";
    }
  };
}
