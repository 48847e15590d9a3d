// The ONE place that turns a Postgres error into an HTTP answer. Functions never check roles
// themselves: RLS, constraints and triggers refuse, and this module says what that means.
//
// SQL authors: to refuse with a specific status, raise with one of OUR SQLSTATEs
//   raise exception using errcode = 'MS422', message = 'A client must keep at least one owner',
//     hint = 'last_owner', detail = '{"client_id":"..."}';
//   MS400 -> 400, MS403 -> 403, MS404 -> 404, MS409 -> 409, MS422 -> 422, MS429 -> 429 (a
//   detail with retry_after_seconds becomes the Retry-After header).
// `message` is shown to the caller as is (write it for them); `hint`, if given, becomes the
// error code and must be in the catalogue (shared/core/error-codes.ts) with the SQLSTATE's
// status (a test checks every migration); `detail`, if it is JSON, becomes `details` (a list
// of {field, message}; an object becomes one entry per key). A plain `raise exception`
// (SQLSTATE P0001) is treated as a bug: 500, logged, nothing leaked.
//
// Other mappings (messages are generic; the constraint/column name goes into details):
//   42501 insufficient_privilege (incl. RLS "with check" failures)   -> 403 forbidden
//   23505 unique_violation                                           -> 409 conflict
//   23503 foreign_key_violation, referenced row absent               -> 404 not_found
//         (it is absent or invisible to the caller, like any other missing row)
//   23503 foreign_key_violation, row "still referenced" on delete    -> 409 conflict
//   23514 check, 23502 not null, 23P01 exclusion                     -> 422 unprocessable
//         (input passed validation, so a constraint refusing it is a domain rule)
//   22xxx data exceptions (22P02 invalid text, 22001 too long, ...)  -> 400 invalid_input
//         (the value itself is malformed: a bad request)
//   40001 serialization_failure, 40P01 deadlock_detected             -> retried by db.ts;
//         if every retry fails                                       -> 503 retry_later
//   57014 query_canceled (statement timeout), 53xxx, 08xxx, closed   -> 503 unavailable
//   anything else                                                    -> 500 internal_error
import { type ErrorCode, isErrorCode } from "../core/error-codes.ts";
import { HttpError, type Issue, toIssues } from "../core/errors.ts";
import { log } from "../core/log.ts";

export interface PgError extends Error {
  code: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  column_name?: string;
  table_name?: string;
}

/** Our SQLSTATEs and the code a raise without a (catalogued) hint is answered with. */
export const customSqlStates: Record<string, ErrorCode> = {
  MS400: "bad_request",
  MS403: "forbidden",
  MS404: "not_found",
  MS409: "conflict",
  MS422: "unprocessable",
  MS429: "too_many_requests",
};

function retryAfter(detail: unknown): Record<string, string> | undefined {
  const seconds = (detail as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0
    ? { "Retry-After": String(Math.ceil(seconds)) }
    : undefined;
}

/** postgres.js server errors are PostgresError with a 5-character SQLSTATE `code`. */
export function isPgError(err: unknown): err is PgError {
  return err instanceof Error && err.name === "PostgresError" &&
    typeof (err as { code?: unknown }).code === "string";
}

/** Errors worth re-running the whole transaction for. */
export function isRetryableTxError(err: unknown): boolean {
  return isPgError(err) && (err.code === "40001" || err.code === "40P01");
}

// postgres.js reports lost connections with these codes on a plain Error.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
]);

function parseDetail(detail: string | undefined): unknown {
  if (!detail) return undefined;
  try {
    return JSON.parse(detail);
  } catch {
    return { detail };
  }
}

function where(err: PgError): Issue[] {
  const out: Issue[] = [];
  if (err.column_name) out.push({ field: "column", message: err.column_name });
  if (err.constraint_name) out.push({ field: "constraint", message: err.constraint_name });
  return out;
}

function internal(err: unknown, requestId?: string): HttpError {
  const e = err as PgError;
  log("error", "unexpected database error", {
    request_id: requestId,
    code: e?.code,
    error: String(e?.message ?? err),
    detail: e?.detail,
    table: e?.table_name,
  });
  return new HttpError("internal_error", "Internal server error");
}

/**
 * Maps a database (or database connection) error to an HttpError; null when `err` is not one.
 * Unexpected errors are logged here with the request id and answered generically.
 */
export function pgErrorToHttp(err: unknown, requestId?: string): HttpError | null {
  if (!isPgError(err)) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) {
      internal(err, requestId);
      return new HttpError("unavailable", "Database unavailable, retry later");
    }
    return null;
  }
  const fallback = customSqlStates[err.code];
  if (fallback) {
    let code: ErrorCode = fallback;
    if (err.hint && isErrorCode(err.hint)) code = err.hint;
    else if (err.hint) {
      log("warn", "uncatalogued SQL hint", { request_id: requestId, hint: err.hint });
    }
    const detail = parseDetail(err.detail);
    return new HttpError(code, err.message, toIssues(detail), retryAfter(detail));
  }
  switch (err.code) {
    case "42501":
      return new HttpError("forbidden", "You are not allowed to do this");
    case "23505":
      return new HttpError("conflict", "This already exists", where(err));
    case "23503":
      return /still referenced/.test(err.detail ?? "")
        ? new HttpError("conflict", "This is still in use", where(err))
        : new HttpError("not_found", "A referenced row does not exist", where(err));
    case "23514":
    case "23502":
    case "23P01":
      return new HttpError("unprocessable", "This violates a data rule", where(err));
    case "40001":
    case "40P01":
      return new HttpError("retry_later", "The database was busy, retry later");
    case "57014":
      return new HttpError("unavailable", "The database took too long, retry later");
  }
  if (err.code.startsWith("22")) {
    return new HttpError("invalid_input", "A value has an invalid format", where(err));
  }
  if (err.code.startsWith("53") || err.code.startsWith("08")) {
    internal(err, requestId);
    return new HttpError("unavailable", "Database unavailable, retry later");
  }
  return internal(err, requestId);
}
