// The local stand-in for Supabase's API gateway + Edge Runtime, on one port:
//   /functions/v1/<name>[/...]        every supabase/functions/<name>, each in an edge worker
//                                     process of its own on Deno 2.1 (host/function-workers.ts)
//   /storage/v1/*                     stack/storage-api.ts, when that file exists
//   /realtime/v1/websocket            stack/realtime-api.ts (websocket upgrade)
//   /auth/v1/.well-known/jwks.json    the public signing keys, like Supabase Auth
//   /auth/v1/*, /mail/api/v1/*        the Auth stand-in and its mail outbox (host/auth-routes.ts)
//   /docs, /docs/openapi.json         the API reference: every function's openapi.json merged
//                                     and an offline interactive page (host/docs.ts)
//   /health                           readiness for the stack CLI
// Run: deno run -A stack/functions-host.ts (env: PORT, STACK_DIR, SUPABASE_*; see the brief).
import { join } from "node:path";
import { loadOrCreateKeys, publicJwks, type StackKeys } from "./keys.ts";
import { functionFiles, readFunctionSettings } from "./host/function-config.ts";
import { discoverFunctions } from "./host/function-loader.ts";
import { type FunctionWorker, startWorkers } from "./host/function-workers.ts";
import { gatewayJwtCheck } from "./host/gateway-auth.ts";
import { authRoutes } from "./host/auth-routes.ts";
import { docsRoutes } from "./host/docs.ts";
import { withGatewayCors } from "./host/gateway-cors.ts";
import { jsonError } from "./host/http-common.ts";
import { repoRoot } from "./paths.ts";
import { handleRealtime } from "./realtime-api.ts";

type StorageHandler = (
  req: Request,
  keys: StackKeys,
  env: { dbUrl: string; stackDir: string },
) => Promise<Response>;

const SHUTDOWN_GRACE_MS = 5000;
const supabaseDir = new URL("../supabase/", import.meta.url);
// What the gateway needs but a deployed function never sees.
const GATEWAY_ONLY_ENV = ["PORT", "STACK_DIR"];

// Headers about one hop's connection, not the request (RFC 9110 section 7.6.1).
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"];

function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

function requiredEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`functions host: environment variable ${name} is required`);
  return value;
}

// Functions read the same variables Supabase injects; fill any the caller left out from the
// stack's keys so the host also runs when started by hand with only STACK_DIR and the DB URL.
function provideSupabaseEnv(keys: StackKeys, port: number): void {
  const defaults: Record<string, string> = {
    SUPABASE_URL: `http://127.0.0.1:${port}`,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
  };
  for (const [name, value] of Object.entries(defaults)) {
    if (!Deno.env.get(name)) Deno.env.set(name, value);
  }
}

async function loadStorageHandler(): Promise<StorageHandler | undefined> {
  const url = new URL("./storage-api.ts", import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    return undefined;
  }
  const mod = await import(url.href);
  return mod.handleStorage as StorageHandler;
}

function withHeader(res: Response, name: string, value: string): Response {
  if (res.headers.has(name)) return res;
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    // headers of a fetched Response are immutable: copy them
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}

// The gateway hosts several stand-ins in one process (Storage, Auth, Realtime), where Supabase
// runs separate services: a stray rejection from one of their client sockets (postgres.js's
// replication stream answers a database restart with an EPIPE nobody awaits) is logged and must
// not take the others down with it.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log({ level: "error", msg: "unhandled rejection in the gateway", error: String(event.reason) });
});

async function main(): Promise<void> {
  const stackDir = requiredEnv("STACK_DIR");
  const dbUrl = requiredEnv("SUPABASE_DB_URL");
  const port = Number(Deno.env.get("PORT") ?? "54321");
  const keys = await loadOrCreateKeys(stackDir);
  provideSupabaseEnv(keys, port);

  const jwksBody = JSON.stringify(publicJwks(keys));
  const checkJwt = gatewayJwtCheck(publicJwks(keys));
  const settingsOf = await readFunctionSettings(new URL("config.toml", supabaseDir).pathname);
  const functionsDir = new URL("functions/", supabaseDir);
  const names = (await discoverFunctions(functionsDir)).filter((n) => settingsOf(n).enabled);
  const functionEnv = Deno.env.toObject();
  for (const name of GATEWAY_ONLY_ENV) delete functionEnv[name];
  const functions: Map<string, FunctionWorker> = await startWorkers(names.map((name) => {
    const files = functionFiles(repoRoot, name, settingsOf(name));
    return {
      name,
      files: {
        entrypoint: join(repoRoot, files.entrypoint),
        importMap: files.importMap && join(repoRoot, files.importMap),
      },
      env: functionEnv,
      log,
    };
  }));
  for (const fn of functions.values()) {
    if (fn.bootError) {
      log({ level: "error", msg: "function boot error", fn: fn.name, error: fn.bootError });
    }
  }
  const docs = docsRoutes(names, async (name) => {
    const worker = await functions.get(name)!.port();
    return "error" in worker ? null : `http://127.0.0.1:${worker.port}/${name}/openapi.json`;
  });
  const storage = await loadStorageHandler();
  const auth = authRoutes(keys, {
    dbUrl,
    stackDir,
    apiUrl: requiredEnv("SUPABASE_URL"),
    supabaseDir,
  });

  async function invokeFunction(
    req: Request,
    url: URL,
    info: Deno.ServeHandlerInfo,
    requestId: string,
  ): Promise<Response> {
    const [, name, rest] = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/) ?? [];
    const fn = name ? functions.get(name) : undefined;
    if (!fn) return jsonError(404, "not_found", `Function not found: ${name ?? ""}`);
    // As Supabase's relay: a preflight carries no token and goes to the function unchecked.
    if (req.method !== "OPTIONS" && settingsOf(name).verifyJwt) {
      const problem = await checkJwt(req.headers.get("authorization"));
      if (problem) return jsonError(401, "unauthorized", problem);
    }
    const worker = await fn.port();
    if ("error" in worker) {
      log({ level: "error", msg: "function unavailable", fn: name, error: worker.error });
      return jsonError(503, "boot_error", `Function failed to start: ${name}`);
    }
    // Supabase hands the function `/<name>/<rest>`: /functions/v1 is the gateway's prefix.
    const target = new URL(`http://127.0.0.1:${worker.port}/${name}${rest ?? ""}${url.search}`);
    const headers = new Headers(req.headers);
    for (const hop of HOP_BY_HOP) headers.delete(hop);
    headers.set("x-request-id", requestId);
    headers.set("x-forwarded-host", url.host);
    const peer = info.remoteAddr as Deno.NetAddr;
    if (peer.hostname) headers.set("x-forwarded-for", peer.hostname);
    // The worker must not compress: this gateway answers the caller (and compresses for it).
    headers.set("accept-encoding", "identity");
    try {
      return await fetch(target, {
        method: req.method,
        headers,
        body: req.body,
        signal: req.signal,
        redirect: "manual",
      });
    } catch (err) {
      if (req.signal.aborted) return jsonError(499, "client_closed", "Client closed the request");
      log({
        level: "error",
        msg: "function worker unreachable",
        fn: name,
        request_id: requestId,
        error: String((err as Error)?.stack ?? err),
      });
      return jsonError(502, "worker_error", `Function worker failed: ${name}`);
    }
  }

  async function route(
    req: Request,
    url: URL,
    info: Deno.ServeHandlerInfo,
    requestId: string,
  ): Promise<Response> {
    const path = url.pathname;
    // Functions answer their own preflights (OPTIONS is forwarded like any method); Storage
    // and Auth sit behind the gateway's CORS plugin, as on Supabase.
    if (path.startsWith("/functions/v1/")) return await invokeFunction(req, url, info, requestId);
    if (path === "/docs" || path.startsWith("/docs/")) {
      const answer = docs(path);
      if (answer) return await answer;
    }
    if (path === "/storage/v1" || path.startsWith("/storage/v1/")) {
      return await withGatewayCors(req, async () => {
        if (!storage) return jsonError(404, "not_found", "Storage API is not installed");
        return await storage(req, keys, { dbUrl, stackDir });
      });
    }
    if (path.startsWith("/realtime/v1/")) return await handleRealtime(req, keys, { dbUrl });
    if (path.startsWith("/mail/api/v1/")) return await withGatewayCors(req, () => auth(req, path)!);
    if (path.startsWith("/auth/v1/")) {
      return await withGatewayCors(req, () => {
        const answer = auth(req, path);
        if (answer) return answer;
        if (path !== "/auth/v1/.well-known/jwks.json" || req.method !== "GET") {
          return Promise.resolve(jsonError(404, "not_found", `No route for ${req.method} ${path}`));
        }
        return Promise.resolve(
          new Response(jwksBody, {
            headers: { "content-type": "application/json", "cache-control": "public, max-age=600" },
          }),
        );
      });
    }
    if (path === "/health" && req.method === "GET") {
      const failed = [...functions.values()].filter((f) => f.bootError).map((f) => f.name);
      return Response.json({
        ok: true,
        functions: [...functions.keys()],
        failed,
        storage: !!storage,
      });
    }
    return jsonError(404, "not_found", `No route for ${req.method} ${path}`);
  }

  const server = Deno.serve({
    port,
    hostname: "127.0.0.1",
    onListen: ({ hostname, port }) =>
      log({ level: "info", msg: "listening", url: `http://${hostname}:${port}`, functions: names }),
  }, async (req, info) => {
    const started = performance.now();
    const url = new URL(req.url);
    const requestId = req.headers.get("x-request-id") || crypto.randomUUID();
    let res: Response;
    try {
      res = await route(req, url, info, requestId);
    } catch (err) {
      log({ level: "error", msg: "gateway error", request_id: requestId, error: String(err) });
      res = jsonError(500, "internal_error", "Internal server error");
    }
    res = withHeader(res, "x-request-id", requestId);
    log({
      level: "info",
      msg: "access",
      method: req.method,
      path: url.pathname,
      status: res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      request_id: requestId,
    });
    return res;
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ level: "info", msg: "shutting down", signal });
    await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
    // Each worker drains its own EdgeRuntime.waitUntil tasks before it exits.
    await Promise.all([...functions.values()].map((fn) => fn.stop(SHUTDOWN_GRACE_MS)));
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
}

if (import.meta.main) await main();
