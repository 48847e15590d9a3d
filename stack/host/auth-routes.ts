// The gateway's hook for the Auth stand-in and the mail outbox: one function the host asks
// first; it answers /auth/v1/* (except the JWKS, which the host serves) and /mail/api/v1/*,
// and null for every other path.
import { join } from "node:path";
import type { StackKeys } from "../keys.ts";
import { handleAuth, handleMail } from "../auth-api.ts";

export type AuthRoutes = (req: Request, path: string) => Promise<Response> | null;

export function authRoutes(
  keys: StackKeys,
  env: { dbUrl: string; stackDir: string; apiUrl: string; supabaseDir: URL },
): AuthRoutes {
  const configPath = join(new URL(env.supabaseDir).pathname, "config.toml");
  return (req, path) => {
    if (path.startsWith("/auth/v1/") && path !== "/auth/v1/.well-known/jwks.json") {
      return handleAuth(req, keys, { ...env, configPath });
    }
    if (path.startsWith("/mail/api/v1/")) return handleMail(req, env.stackDir);
    return null;
  };
}
