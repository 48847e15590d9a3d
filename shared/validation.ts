// THE validation module: every request body, path parameter and query string of every
// Edge Function is described here (by domain, in shared/validation/), and frontends import
// the inferred types from this one entry point.
export * from "./validation/common.ts";
