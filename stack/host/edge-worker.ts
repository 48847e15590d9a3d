// One Edge Function in its own process, the way Supabase's Edge Runtime runs each function in a
// worker of its own. Started by the gateway (function-workers.ts) and by the deploy check on the
// Deno minor hosted Edge Runtime uses (2.1, `edgeDeno` in stack/tools.ts) as
//   deno run --no-config --import-map <the function's import map> -A edge-worker.ts
// so every bare specifier resolves through the function's own import map and nothing else, as
// in the deployed bundle. This file and what it imports therefore use relative imports only.
//
// Environment: EDGE_FUNCTION_NAME, EDGE_FUNCTION_ENTRY (absolute path of the entrypoint),
// EDGE_WORKER_CONTROL (a marker: lines on stdout starting with it are for the gateway: `ready`
// with the port, or `boot_error`; every other line is the function's own log output).
// The worker exits when its stdin closes (the gateway is gone) and, on SIGTERM/SIGINT, stops
// accepting requests, finishes those in flight and drains EdgeRuntime.waitUntil tasks.
import { drainBackgroundTasks, installEdgeRuntime } from "./edge-runtime.ts";
import { loadFunction } from "./function-loader.ts";
import { jsonError } from "./http-common.ts";

const SHUTDOWN_GRACE_MS = 5000;

function env(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`edge worker: environment variable ${name} is required`);
  return value;
}

const name = env("EDGE_FUNCTION_NAME");
const entry = env("EDGE_FUNCTION_ENTRY");
const control = env("EDGE_WORKER_CONTROL");

function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, fn: name, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

function tellGateway(message: Record<string, unknown>): void {
  console.log(`${control} ${JSON.stringify(message)}`);
}

installEdgeRuntime();
const loaded = await loadFunction(name, new URL(`file://${entry}`));
if (!loaded.handler) {
  tellGateway({ boot_error: loaded.bootError });
  Deno.exit(1);
}
const handler = loaded.handler;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => tellGateway({ ready: port }),
}, async (req, info) => {
  // The gateway reaches us on 127.0.0.1:<port>; the function sees the URL the caller used.
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host");
  if (host) url.host = host;
  const forwarded = new Request(url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: req.signal,
    redirect: "manual",
  });
  try {
    return await handler(forwarded, info);
  } catch (err) {
    log("error", "function threw", {
      request_id: req.headers.get("x-request-id"),
      error: String((err as Error)?.stack ?? err),
    });
    return jsonError(500, "internal_error", "Internal server error");
  }
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
  const left = await drainBackgroundTasks(SHUTDOWN_GRACE_MS);
  if (left > 0) log("warn", "background tasks abandoned", { count: left, signal });
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));

// The gateway holds our stdin open for as long as it lives: EOF means it is gone.
(async () => {
  for await (const _ of Deno.stdin.readable) { /* nothing is ever sent */ }
  if (!stopping) Deno.exit(1);
})();
