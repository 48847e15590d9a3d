// The HTTP plumbing every Edge Function shares: the function app (request ids, CORS, one log
// line per request, who is calling, the JSON error answers {"error":{"code","message",
// "details"}}). A function is `functionApp(name, "user" | "service")` with its sub-apps
// mounted by `app.route()`; see shared/http/context.ts for what handlers find in `c.var`.
import { type Context, type ErrorHandler, Hono, type NotFoundHandler } from "hono";
import type { BlankSchema } from "hono/types";
import { cors as honoCors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody, HttpError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { pgErrorToHttp } from "../db/pg-errors.ts";
import { zodIssues } from "../validation/common.ts";
import { specOf } from "./openapi.ts";
import {
  asCaller,
  asServiceCaller,
  type BaseEnv,
  type ServiceEnv,
  type UserEnv,
} from "./context.ts";

type AppContext = Context<BaseEnv>;

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

function isZodError(err: unknown): err is Parameters<typeof zodIssues>[0] {
  return err instanceof Error && err.name === "ZodError" &&
    Array.isArray((err as { issues?: unknown }).issues);
}

/** Turns anything thrown into the JSON error shape; unexpected errors become a generic 500. */
export const onError: ErrorHandler<BaseEnv> = (err, c) => {
  const id = c.get("requestId");
  let httpError: HttpError | null = err instanceof HttpError ? err : pgErrorToHttp(err, id);
  if (!httpError && isZodError(err)) {
    // Safety net: validation should throw HttpError 400 itself, but never answer 500 for input.
    httpError = new HttpError("invalid_request", "Invalid request", zodIssues(err));
  }
  if (!httpError) {
    log("error", "unhandled error", { request_id: id, error: String(err?.stack ?? err) });
    httpError = new HttpError("internal_error", "Internal server error");
  }
  for (const [name, value] of Object.entries(httpError.headers ?? {})) c.header(name, value);
  return json(c, httpError.status, errorBody(httpError));
};

export const notFound: NotFoundHandler<BaseEnv> = (c) =>
  json(
    c,
    404,
    errorBody(new HttpError("not_found", `No route for ${c.req.method} ${c.req.path}`)),
  );

/** Who a function's routes answer: signed-in users, or service callers with the secret key. */
export type Callers = "user" | "service";

/**
 * The hono app of one Edge Function. Supabase hands the function paths starting with
 * `/<function name>`, hence the basePath. Every route of the app runs after the caller's
 * identity was verified and put in `c.var` (see context.ts); mount sub-apps with
 * `app.route("/", sub)` on the result.
 */
export function functionApp(
  functionName: string,
  callers: "user",
): Hono<UserEnv, BlankSchema, string>;
export function functionApp(
  functionName: string,
  callers: "service",
): Hono<ServiceEnv, BlankSchema, string>;
export function functionApp(functionName: string, callers: Callers) {
  // deno-lint-ignore no-explicit-any
  const app = new Hono<any>().basePath(`/${functionName}`);
  app.use("*", requestId());
  app.use("*", cors());
  // The API description is public (no user needed), so it is routed before the identity check.
  let spec: Promise<unknown> | undefined;
  app.get("/openapi.json", async (c) => c.json(await (spec ??= specOf(app, functionName))));
  if (callers === "user") app.use("*", asCaller);
  else app.use("*", asServiceCaller);
  app.onError(onError);
  app.notFound(notFound);
  return app;
}
