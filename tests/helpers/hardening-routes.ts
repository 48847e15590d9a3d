// The route catalogue the hardening suites are driven by: one row per route of every Edge
// Function, saying who succeeds on it, which path parameters and body fields name rows (and
// of what kind), the zod schemas that decide whether an input is valid (the oracle for the
// fuzzer), and a valid example. A new route is covered by adding a row here; the coverage
// test compares this list with the routes the function sources declare.
import type { z } from "zod";
import { idParam } from "../../shared/validation/common.ts";
import {
  executionQuery,
  idempotencyKey,
  listExecutionsQuery,
  processBatchBody,
  referenceUploadsBody,
  retryExecutionBody,
  startExecutionBody,
} from "../../shared/validation/executions.ts";
import {
  auditQuery,
  clientParam,
  invitationAccept,
  invitationCreate,
  memberParam,
  memberPatch,
} from "../../shared/validation/members.ts";
import { geminiKeyBody } from "../../shared/validation/client-keys.ts";
import {
  analyticsQuery,
  clientCreate,
  clientPatch,
  directoryQuery,
  userInvite,
  userParam,
  userPatch,
} from "../../shared/validation/onboarding.ts";
import { clientRetentionBody, retentionRunBody } from "../../shared/validation/retention.ts";
import { requestCreate, requestDecision, requestsQuery } from "../../shared/validation/requests.ts";
import {
  templateCreate,
  templateIdParam,
  templatePatch,
  templatePropagate,
  templatesQuery,
} from "../../shared/validation/templates.ts";
import {
  attachmentCreate,
  commentCreate,
  ticketCountsQuery,
  ticketCreate,
  ticketPatch,
  ticketsQuery,
} from "../../shared/validation/tickets.ts";
import {
  assignmentCreate,
  workflowPatch,
  workflowsAtRiskQuery,
  workflowsQuery,
} from "../../shared/validation/workflows.ts";
import type { Actor, IdKind, Ids, World } from "./hardening-world.ts";

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface Route {
  fn: string;
  method: Method;
  /** Hono path template inside the function, e.g. `/clients/:clientId/members/:userId`. */
  path: string;
  /** Who succeeds on it: a world user, or the service (secret key). */
  actor: Actor | "service";
  /** Path parameters and the kind of row each names. */
  params?: Record<string, IdKind>;
  /** Schema of the path parameters (the oracle for bad ids). */
  paramSchema?: z.ZodType;
  /** Body schema (the oracle) and a valid body for tenant `ids`. */
  body?: { schema: z.ZodType; valid: (ids: Ids, world: World) => Record<string, unknown> };
  /** Top-level body fields that name rows. */
  bodyIds?: Record<string, IdKind>;
  query?: { schema: z.ZodType; valid: (ids: Ids) => Record<string, string> };
  /** Query parameters that name rows. */
  queryIds?: Record<string, IdKind>;
  /** Header schemas (lower-case names). */
  headers?: Record<string, z.ZodType>;
  /** True when a successful call changes rows. */
  writes: boolean;
}

const tag = () => crypto.randomUUID().slice(0, 8);

export const routes: Route[] = [
  // assign-template ---------------------------------------------------------------------------
  {
    fn: "assign-template",
    method: "GET",
    path: "/templates",
    actor: "admin",
    query: { schema: templatesQuery, valid: () => ({ include_inactive: "true" }) },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "POST",
    path: "/templates",
    actor: "admin",
    body: {
      schema: templateCreate,
      valid: () => ({
        name: `hardening template ${tag()}`,
        workflow_type: "nano_banana",
        config: { model: "gemini-3.1-flash-image", max_prompts: 10, requires_api_key: false },
        revenue_per_execution: 0.1,
      }),
    },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "PATCH",
    path: "/templates/:id",
    actor: "admin",
    params: { id: "template" },
    paramSchema: templateIdParam,
    body: { schema: templatePatch, valid: () => ({ description: "hardening" }) },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "POST",
    path: "/templates/:id/propagate",
    actor: "admin",
    params: { id: "template" },
    paramSchema: templateIdParam,
    body: { schema: templatePropagate, valid: () => ({ dry_run: true }) },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/models",
    actor: "admin",
    writes: false,
  },
  {
    fn: "assign-template",
    method: "POST",
    path: "/assignments",
    actor: "admin",
    body: {
      schema: assignmentCreate,
      valid: (ids) => ({ template_id: ids.template, client_id: ids.client, name: `wf ${tag()}` }),
    },
    bodyIds: { template_id: "template", client_id: "client" },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/workflows",
    actor: "ownerA",
    query: { schema: workflowsQuery, valid: (ids) => ({ client_id: ids.client }) },
    queryIds: { client_id: "client" },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/workflows/at-risk",
    actor: "admin",
    query: { schema: workflowsAtRiskQuery, valid: () => ({ within_days: "60" }) },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "PATCH",
    path: "/workflows/:id",
    actor: "admin",
    params: { id: "workflow" },
    paramSchema: idParam,
    body: { schema: workflowPatch, valid: () => ({ status: "active" }) },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "POST",
    path: "/requests",
    actor: "ownerA",
    body: {
      schema: requestCreate,
      valid: (ids) => ({ workflow_id: ids.workflow, notes: "hardening" }),
    },
    bodyIds: { workflow_id: "workflow" },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/requests",
    actor: "ownerA",
    query: { schema: requestsQuery, valid: (ids) => ({ client_id: ids.client }) },
    queryIds: { client_id: "client" },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "PATCH",
    path: "/requests/:id",
    actor: "admin",
    params: { id: "request" },
    paramSchema: idParam,
    body: { schema: requestDecision, valid: () => ({ status: "approved" }) },
    writes: true,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/analytics/success-by-client",
    actor: "admin",
    query: { schema: analyticsQuery, valid: () => ({ from: "2026-01-01" }) },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/analytics/top-workflows",
    actor: "admin",
    query: { schema: analyticsQuery, valid: () => ({ from: "2026-01-01" }) },
    writes: false,
  },
  {
    fn: "assign-template",
    method: "GET",
    path: "/analytics/usage",
    actor: "admin",
    query: { schema: analyticsQuery, valid: () => ({ from: "2026-01-01" }) },
    writes: false,
  },
  // manage-members ----------------------------------------------------------------------------
  {
    fn: "manage-members",
    method: "GET",
    path: "/clients/:clientId/members",
    actor: "collabA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    writes: false,
  },
  {
    fn: "manage-members",
    method: "PATCH",
    path: "/clients/:clientId/members/:userId",
    actor: "ownerA",
    params: { clientId: "client", userId: "user" },
    paramSchema: memberParam,
    body: { schema: memberPatch, valid: () => ({ role: "collaborator" }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "DELETE",
    path: "/clients/:clientId/members/:userId",
    actor: "ownerA",
    params: { clientId: "client", userId: "user" },
    paramSchema: memberParam,
    writes: true,
  },
  {
    fn: "manage-members",
    method: "POST",
    path: "/clients/:clientId/invitations",
    actor: "ownerA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    body: {
      schema: invitationCreate,
      valid: () => ({ email: `new-${tag()}@hardening.test`, role: "collaborator" }),
    },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "POST",
    path: "/invitations/accept",
    actor: "collabA",
    body: { schema: invitationAccept, valid: () => ({ token: `not-a-token-${tag()}` }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "DELETE",
    path: "/invitations/:id",
    actor: "ownerA",
    params: { id: "invitation" },
    paramSchema: idParam,
    writes: true,
  },
  {
    fn: "manage-members",
    method: "GET",
    path: "/clients/:clientId/audit",
    actor: "ownerA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    query: { schema: auditQuery, valid: () => ({ limit: "10" }) },
    writes: false,
  },
  {
    fn: "manage-members",
    method: "GET",
    path: "/clients/:clientId/gemini-key",
    actor: "ownerA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    writes: false,
  },
  {
    fn: "manage-members",
    method: "PUT",
    path: "/clients/:clientId/gemini-key",
    actor: "ownerA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    body: { schema: geminiKeyBody, valid: () => ({ api_key: `hardening-key-${tag()}` }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "DELETE",
    path: "/clients/:clientId/gemini-key",
    actor: "ownerA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    writes: true,
  },
  { fn: "manage-members", method: "GET", path: "/me", actor: "collabA", writes: false },
  {
    fn: "manage-members",
    method: "POST",
    path: "/invitations/:id/accept",
    actor: "collabA",
    params: { id: "invitation" },
    paramSchema: idParam,
    writes: true,
  },
  {
    fn: "manage-members",
    method: "POST",
    path: "/clients",
    actor: "admin",
    body: {
      schema: clientCreate,
      valid: () => ({
        name: `hardening client ${tag()}`,
        email: `client-${tag()}@hardening.test`,
        owner_email: `owner-${tag()}@hardening.test`,
      }),
    },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "GET",
    path: "/clients",
    actor: "admin",
    query: { schema: directoryQuery, valid: () => ({ limit: "5" }) },
    writes: false,
  },
  {
    fn: "manage-members",
    method: "GET",
    path: "/clients/:clientId",
    actor: "collabA",
    params: { clientId: "client" },
    paramSchema: clientParam,
    writes: false,
  },
  {
    fn: "manage-members",
    method: "PATCH",
    path: "/clients/:clientId",
    actor: "admin",
    params: { clientId: "client" },
    paramSchema: clientParam,
    body: { schema: clientPatch, valid: () => ({ company_name: "Hardening Inc" }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "GET",
    path: "/users",
    actor: "admin",
    query: { schema: directoryQuery, valid: () => ({ limit: "5" }) },
    writes: false,
  },
  {
    fn: "manage-members",
    method: "POST",
    path: "/users/invitations",
    actor: "admin",
    body: { schema: userInvite, valid: () => ({ email: `person-${tag()}@hardening.test` }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "PATCH",
    path: "/users/:userId",
    actor: "admin",
    params: { userId: "user" },
    paramSchema: userParam,
    body: { schema: userPatch, valid: () => ({ status: "active" }) },
    writes: true,
  },
  // tickets -----------------------------------------------------------------------------------
  {
    fn: "tickets",
    method: "POST",
    path: "/",
    actor: "collabA",
    body: {
      schema: ticketCreate,
      valid: (ids) => ({
        client_id: ids.client,
        subject: "hardening",
        description: "hardening",
        priority: "low",
      }),
    },
    bodyIds: { client_id: "client" },
    writes: true,
  },
  {
    fn: "tickets",
    method: "GET",
    path: "/",
    actor: "collabA",
    query: { schema: ticketsQuery, valid: (ids) => ({ client_id: ids.client, limit: "5" }) },
    queryIds: { client_id: "client" },
    writes: false,
  },
  {
    fn: "tickets",
    method: "GET",
    path: "/:id",
    actor: "collabA",
    params: { id: "ticket" },
    paramSchema: idParam,
    writes: false,
  },
  {
    fn: "tickets",
    method: "PATCH",
    path: "/:id",
    actor: "admin",
    params: { id: "ticket" },
    paramSchema: idParam,
    body: { schema: ticketPatch, valid: () => ({ priority: "high" }) },
    writes: true,
  },
  {
    fn: "tickets",
    method: "POST",
    path: "/:id/comments",
    actor: "collabA",
    params: { id: "ticket" },
    paramSchema: idParam,
    body: { schema: commentCreate, valid: () => ({ body: "hardening" }) },
    writes: true,
  },
  {
    fn: "tickets",
    method: "POST",
    path: "/:id/attachments",
    actor: "collabA",
    params: { id: "ticket" },
    paramSchema: idParam,
    body: {
      schema: attachmentCreate,
      valid: () => ({ file_name: "hardening.png", mime_type: "image/png", size_bytes: 100 }),
    },
    writes: true,
  },
  {
    fn: "tickets",
    method: "GET",
    path: "/counts",
    actor: "collabA",
    query: { schema: ticketCountsQuery, valid: (ids) => ({ client_id: ids.client }) },
    queryIds: { client_id: "client" },
    writes: false,
  },
  {
    fn: "tickets",
    method: "DELETE",
    path: "/:id",
    actor: "admin",
    params: { id: "ticket" },
    paramSchema: idParam,
    writes: true,
  },
  // start-execution ---------------------------------------------------------------------------
  {
    fn: "start-execution",
    method: "POST",
    path: "/",
    actor: "collabA",
    body: {
      schema: startExecutionBody,
      valid: (ids) => ({ workflow_id: ids.workflow, prompts: ["a hardening prompt"] }),
    },
    bodyIds: { workflow_id: "workflow" },
    headers: { "idempotency-key": idempotencyKey },
    writes: true,
  },
  {
    fn: "start-execution",
    method: "POST",
    path: "/reference-uploads",
    actor: "collabA",
    body: {
      schema: referenceUploadsBody,
      valid: (ids) => ({
        workflow_id: ids.workflow,
        images: [{ mime_type: "image/png", size_bytes: 100 }],
      }),
    },
    bodyIds: { workflow_id: "workflow" },
    writes: false,
  },
  {
    fn: "start-execution",
    method: "GET",
    path: "/",
    actor: "collabA",
    query: {
      schema: listExecutionsQuery,
      valid: (ids) => ({ workflow_id: ids.workflow, limit: "5" }),
    },
    queryIds: { workflow_id: "workflow" },
    writes: false,
  },
  {
    fn: "start-execution",
    method: "GET",
    path: "/:id",
    actor: "collabA",
    params: { id: "execution" },
    paramSchema: idParam,
    query: { schema: executionQuery, valid: () => ({ results: "true" }) },
    writes: false,
  },
  {
    fn: "start-execution",
    method: "POST",
    path: "/:id/cancel",
    actor: "collabA",
    params: { id: "execution" },
    paramSchema: idParam,
    writes: true,
  },
  {
    fn: "start-execution",
    method: "POST",
    path: "/:id/retry",
    actor: "collabA",
    params: { id: "execution" },
    paramSchema: idParam,
    body: { schema: retryExecutionBody, valid: () => ({ include_cancelled: true }) },
    headers: { "idempotency-key": idempotencyKey },
    writes: true,
  },
  {
    fn: "start-execution",
    method: "GET",
    path: "/:id/archive",
    actor: "collabA",
    params: { id: "execution" },
    paramSchema: idParam,
    writes: false,
  },
  // process-batch -----------------------------------------------------------------------------
  {
    fn: "process-batch",
    method: "POST",
    path: "/",
    actor: "service",
    body: { schema: processBatchBody, valid: (ids) => ({ execution_id: ids.execution }) },
    bodyIds: { execution_id: "execution" },
    writes: true,
  },
  {
    fn: "process-batch",
    method: "POST",
    path: "/retention",
    actor: "service",
    body: { schema: retentionRunBody, valid: () => ({ max_executions: 10 }) },
    writes: true,
  },
  {
    fn: "manage-members",
    method: "PUT",
    path: "/clients/:clientId/retention",
    actor: "admin",
    params: { clientId: "client" },
    paramSchema: clientParam,
    body: { schema: clientRetentionBody, valid: () => ({ retention_days: 120 }) },
    writes: true,
  },
  // health ------------------------------------------------------------------------------------
  { fn: "health", method: "GET", path: "/", actor: "collabA", writes: false },
];

export function routeName(r: Pick<Route, "fn" | "method" | "path">): string {
  return `${r.method} /${r.fn}${r.path === "/" ? "" : r.path}`;
}

/** The request path of `route` under the API, with `values` for its parameters. */
export function urlOf(
  route: Route,
  values: Record<string, string>,
  query?: Record<string, string> | string,
): string {
  const inner = route.path.replace(/:([A-Za-z]+)/g, (_, name) => values[name] ?? "");
  const base = `/functions/v1/${route.fn}${inner === "/" ? "" : inner}`;
  if (query === undefined) return base;
  const qs = typeof query === "string" ? query : new URLSearchParams(query).toString();
  return qs ? `${base}?${qs}` : base;
}

/** Path parameter values naming tenant `ids`' rows. */
export function paramsFor(route: Route, ids: Ids): Record<string, string> {
  return Object.fromEntries(
    Object.entries(route.params ?? {}).map(([name, kind]) => [name, ids[kind]]),
  );
}

/**
 * Every route the functions' hono apps hold (read from `app.routes` of each function's
 * app.ts, so a route counts however it was declared), as `routeName`s. Middleware entries
 * (method ALL) are not routes, nor is each function's public `GET /openapi.json`.
 */
export async function declaredRoutes(functionsDir: URL): Promise<string[]> {
  const found = new Set<string>();
  for await (const dir of Deno.readDir(functionsDir)) {
    if (!dir.isDirectory || dir.name.startsWith("_") || dir.name.startsWith(".")) continue;
    const { app } = await import(new URL(`${dir.name}/app.ts`, functionsDir).href) as {
      app: { routes: { method: string; path: string }[] };
    };
    const base = `/${dir.name}`;
    for (const r of app.routes) {
      // The API description is public by design (tests/deploy/openapi.test.ts covers it).
      if (r.method === "ALL" || r.path === `${base}/openapi.json`) continue;
      const inner = r.path.slice(base.length) || "/";
      found.add(routeName({ fn: dir.name, method: r.method as Method, path: inner }));
    }
  }
  return [...found].sort();
}
