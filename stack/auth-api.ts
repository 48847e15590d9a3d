// Local stand-in for Supabase Auth (GoTrue) behind the gateway at /auth/v1/*: the routes
// supabase-js's auth client and auth.admin call (password and refresh-token grants, the
// signed-in user, sign-out, verify of e-mailed links and codes, magic links, recovery, the
// admin user resource, invite, generate_link), writing Supabase Auth's own tables as
// supabase_auth_admin and signing access tokens with the stack's ES256 key. Mail goes to
// the local outbox (stack/auth/mail.ts), listed at /mail/api/v1/*.
import type { StackKeys } from "./keys.ts";
import { type Caller, GatewayRefusal, resolveCaller } from "./auth/caller.ts";
import { type AuthConfig, readAuthConfig } from "./auth/config.ts";
import { authDb } from "./auth/db.ts";
import { API_VERSION_HEADER, AuthError, errorResponse } from "./auth/errors.ts";
import * as admin from "./auth/routes-admin.ts";
import * as user from "./auth/routes-user.ts";
import type { Context } from "./auth/sessions.ts";

export { handleMail } from "./auth/mail.ts";
export { closeAuthPools } from "./auth/db.ts";
export { installAuthSchema } from "./auth/install.ts";

const prefix = "/auth/v1";
// Kong's auth-v1-open routes: what an e-mailed link or an OAuth provider opens in a browser.
const openPaths = new Set(["/verify", "/callback", "/authorize"]);

const cors: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers":
    "authorization, x-client-info, apikey, content-type, x-supabase-api-version",
  "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
  "access-control-expose-headers": "x-supabase-api-version, x-total-count, link",
};

let config: Promise<AuthConfig> | undefined;

async function body(req: Request): Promise<user.Body> {
  if (req.method === "GET" || req.method === "HEAD") return {};
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch { /* below */ }
  throw new AuthError(400, "bad_json", "Could not parse request body as JSON");
}

type Handler = (ctx: Context, caller: Caller, req: Request) => Promise<unknown>;

function route(method: string, path: string): Handler | null {
  const json =
    (fn: (ctx: Context, caller: Caller, req: Request, b: user.Body) => Promise<unknown>) =>
    async (ctx: Context, caller: Caller, req: Request) => fn(ctx, caller, req, await body(req));
  const key = `${method} ${path}`;
  switch (key) {
    case "POST /token":
      return json((ctx, _c, req, b) => user.token(ctx, req, b));
    case "GET /user":
      return (ctx, caller) => user.currentUser(ctx, caller);
    case "PUT /user":
      return json((ctx, caller, _r, b) => user.updateUser(ctx, caller, b));
    case "POST /logout":
      return async (ctx, caller, req) => {
        await user.logout(ctx, caller, req);
        return new Response(null, { status: 204 });
      };
    case "POST /verify":
      return json((ctx, _c, req, b) => user.verifyPost(ctx, req, b));
    case "GET /verify":
      return (ctx, _c, req) => user.verifyGet(ctx, req);
    case "POST /otp":
    case "POST /magiclink":
      return json((ctx, _c, req, b) => user.otp(ctx, req, b));
    case "POST /recover":
      return json((ctx, _c, req, b) => user.recover(ctx, req, b));
    case "POST /signup":
      return json((ctx, _c, _r, b) => Promise.resolve(user.signup(ctx, b)));
    case "GET /settings":
      return (ctx) => Promise.resolve(user.settings(ctx));
    case "GET /health":
      return () =>
        Promise.resolve({
          version: "local",
          name: "GoTrue",
          description: "MasStock local Auth stand-in",
        });
    case "POST /invite":
      return json((ctx, caller, req, b) => admin.invite(ctx, caller, req, b));
    case "POST /admin/generate_link":
      return json((ctx, caller, _r, b) => admin.generateLink(ctx, caller, b));
    case "POST /admin/users":
      return json((ctx, caller, _r, b) => admin.createUser(ctx, caller, b));
    case "GET /admin/users":
      return (ctx, caller, req) => admin.listUsers(ctx, caller, req);
  }
  const one = /^\/admin\/users\/([^/]+)$/.exec(path);
  if (one) {
    if (method === "GET") return (ctx, caller) => admin.getUser(ctx, caller, one[1]);
    if (method === "PUT") {
      return json((ctx, caller, _r, b) => admin.updateUser(ctx, caller, one[1], b));
    }
    if (method === "DELETE") {
      return json((ctx, caller, _r, b) => admin.deleteUser(ctx, caller, one[1], b));
    }
  }
  return null;
}

function withHeaders(res: Response, req: Request): Response {
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(cors)) out.headers.set(k, v);
  if (req.headers.get(API_VERSION_HEADER) && !out.headers.has(API_VERSION_HEADER)) {
    out.headers.set(API_VERSION_HEADER, "2024-01-01");
  }
  return out;
}

export async function handleAuth(
  req: Request,
  keys: StackKeys,
  env: { dbUrl: string; stackDir: string; configPath: string; apiUrl: string },
): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.slice(prefix.length) || "/";
  if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
  try {
    const handler = route(req.method, path);
    const caller = await resolveCaller(req, keys, openPaths.has(path));
    if (!handler) throw new AuthError(404, "not_found", "Not Found");
    const ctx: Context = {
      keys,
      config: await (config ??= readAuthConfig(env.configPath)),
      authUrl: `${env.apiUrl.replace(/\/+$/, "")}${prefix}`,
      stackDir: env.stackDir,
      sql: authDb(env.dbUrl),
    };
    const result = await handler(ctx, caller, req);
    return withHeaders(result instanceof Response ? result : Response.json(result), req);
  } catch (err) {
    if (err instanceof GatewayRefusal) return err.toResponse(cors);
    if (err instanceof AuthError) return errorResponse(req, err, cors);
    console.error(
      JSON.stringify({
        level: "error",
        msg: "auth stand-in error",
        error: String((err as Error)?.stack ?? err),
      }),
    );
    return errorResponse(
      req,
      new AuthError(
        500,
        "unexpected_failure",
        "Unexpected failure, please check server logs for more information",
      ),
      cors,
    );
  }
}
