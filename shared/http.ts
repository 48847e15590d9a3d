// The HTTP plumbing every Edge Function shares: a hono app factory with request ids, CORS,
// one log line per request, and the JSON error answers {"error":{"code","message","details"}}.
import { type Context, type ErrorHandler, Hono, type NotFoundHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody, HttpError } from "./http-error.ts";
import { pgErrorToHttp } from "./pg-errors.ts";

export { HttpError } from "./http-error.ts";

export type AppEnv = { Variables: { requestId: string } };
export type AppContext = Context<AppEnv>;

/**
 * Request headers a browser may send to our functions: every header supabase-js sends (the
 * list its own `@supabase/supabase-js/cors` export keeps, plus `x-region`, which
 * functions.invoke adds when a region is passed) and the ones our API reads.
 */
export const corsAllowHeaders = [
  "authorization",
  "x-client-info",
  "apikey",
  "content-type",
  "x-retry-count",
  "traceparent",
  "tracestate",
  "baggage",
  "x-region",
  "idempotency-key",
  "x-request-id",
] as const;

/** The functions' CORS. On Supabase the browser's preflight reaches the function itself. */
export const cors = () =>
  honoCors({
    origin: "*",
    allowHeaders: [...corsAllowHeaders],
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    exposeHeaders: ["x-request-id", "retry-after"],
    maxAge: 86400,
  });

export function log(
  level: "info" | "warn" | "error",
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

/** Echoes the caller's x-request-id (or makes one), and logs one line when the answer leaves. */
export const requestId = () => async (c: AppContext, next: () => Promise<void>) => {
  const started = performance.now();
  const id = c.req.header("x-request-id") || crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.header("x-request-id", id);
  log("info", "request", {
    request_id: id,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Math.round((performance.now() - started) * 10) / 10,
  });
};

export function json(c: Context, status: number, body: unknown): Response {
  return c.json(body, status as ContentfulStatusCode);
}

function isZodError(
  err: unknown,
): err is Error & { issues: { path: unknown[]; message: string }[] } {
  return err instanceof Error && err.name === "ZodError" &&
    Array.isArray((err as { issues?: unknown }).issues);
}

/** Turns anything thrown into the JSON error shape; unexpected errors become a generic 500. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const id = c.get("requestId");
  let httpError: HttpError | null = err instanceof HttpError ? err : pgErrorToHttp(err, id);
  if (!httpError && isZodError(err)) {
    // Safety net: validation should throw HttpError 400 itself, but never answer 500 for input.
    httpError = new HttpError(
      400,
      "invalid_request",
      "Invalid request",
      err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  if (!httpError) {
    log("error", "unhandled error", { request_id: id, error: String(err?.stack ?? err) });
    httpError = new HttpError(500, "internal_error", "Internal server error");
  }
  for (const [name, value] of Object.entries(httpError.headers ?? {})) c.header(name, value);
  return json(c, httpError.status, errorBody(httpError));
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  json(
    c,
    404,
    errorBody(new HttpError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`)),
  );

/**
 * A hono app for one Edge Function. Supabase hands the function paths starting with
 * `/<function name>`, hence the basePath.
 */
export function createApp(functionName: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>().basePath(`/${functionName}`);
  app.use("*", requestId());
  app.use("*", cors());
  app.onError(onError);
  app.notFound(notFound);
  return app;
}
