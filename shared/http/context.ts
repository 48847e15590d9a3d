// What a handler finds in `c.var`, set by one middleware per kind of caller before any route
// runs, so handlers only do domain work:
//   c.var.user   the verified caller (user id, e-mail, claims, access token)    user routes
//   c.var.db     runs a function in ONE transaction as that caller (RLS applies) both
//   c.var.requestId                                                           both
// `c.var.db` is the only way a route reaches the database: as the user for user routes, as
// service_role for service routes (process-batch), which touch only the rows the job names.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { type AuthedUser, requireService, requireUser } from "../auth/auth.ts";
import { asService, asUser, type Tx } from "../db/db.ts";

/** Runs `fn` in one transaction as the caller; it may be re-run on a serialization failure. */
export type AsCaller = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export type BaseEnv = { Variables: { requestId: string } };
export type UserEnv = { Variables: { requestId: string; user: AuthedUser; db: AsCaller } };
export type ServiceEnv = { Variables: { requestId: string; db: AsCaller } };

/** Verifies the user's token (401 otherwise) and binds the database to them. */
export const asCaller = createMiddleware<UserEnv>(async (c, next) => {
  const user = await requireUser(c.req.raw);
  c.set("user", user);
  c.set("db", (fn) => asUser(user.claims, fn));
  await next();
});

/** Requires the secret key (401 otherwise) and binds the database to service_role. */
export const asServiceCaller = createMiddleware<ServiceEnv>(async (c, next) => {
  await requireService(c.req.raw);
  c.set("db", asService);
  await next();
});

/** A sub-app of user routes (mounted on a functionApp(name, "user") with app.route). */
export const userRoutes = () => new Hono<UserEnv>();

/** A sub-app of service routes (mounted on a functionApp(name, "service")). */
export const serviceRoutes = () => new Hono<ServiceEnv>();
