// THE validation module: every request body, path parameter and query string of every
// Edge Function is described here (by domain, in shared/validation/), and frontends import
// the schemas and inferred types from this one entry point. It depends on zod and
// shared/core only (no hono, no Deno API), so it runs in a browser as it is.
export * from "./validation/common.ts";
export * from "./validation/pages.ts";
export * from "./validation/executions.ts";
export * from "./validation/templates.ts";
export * from "./validation/workflows.ts";
export * from "./validation/requests.ts";
export * from "./validation/members.ts";
export * from "./validation/tickets.ts";
export * from "./validation/onboarding.ts";
export * from "./validation/retention.ts";
export * from "./validation/responses.ts";
export * from "./validation/client-keys.ts";
