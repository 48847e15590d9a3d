// The ONE place that turns a Postgres error into an HTTP answer. Functions never check roles
// themselves: RLS, constraints and triggers refuse, and this module says what that means.
//
// SQL authors: to refuse with a specific status, raise with one of OUR SQLSTATEs
//   raise exception using errcode = 'MS422', message = 'A client must keep at least one owner',
//     hint = 'last_owner', detail = '{"client_id":"..."}';
//   MS400 -> 400, MS403 -> 403, MS404 -> 404, MS409 -> 409, MS422 -> 422, MS429 -> 429 (a
//   detail with retry_after_seconds becomes the Retry-After header).
// `message` is shown to the caller as is (write it for them); `hint`, if given, becomes the
// error code (snake_case); `detail`, if it is JSON, becomes `details`. A plain `raise exception`
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
import { HttpError } from "./http-error.ts";

export interface PgError extends Error {
  code: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  column_name?: string;
  table_name?: string;
}

const CUSTOM_STATUS: Record<string, [number, string]> = {
  MS400: [400, "bad_request"],
  MS403: [403, "forbidden"],
  MS404: [404, "not_found"],
  MS409: [409, "conflict"],
  MS422: [422, "unprocessable"],
  MS429: [429, "too_many_requests"],
};

function retryAfter(details: unknown): Record<string, string> | undefined {
  const seconds = (details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
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

function where(err: PgError): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (err.constraint_name) out.constraint = err.constraint_name;
  if (err.column_name) out.column = err.column_name;
  return Object.keys(out).length ? out : undefined;
}

function internal(err: unknown, requestId?: string): HttpError {
  const e = err as PgError;
  console.error(JSON.stringify({
    level: "error",
    msg: "unexpected database error",
    request_id: requestId,
    code: e?.code,
    error: String(e?.message ?? err),
    detail: e?.detail,
    table: e?.table_name,
  }));
  return new HttpError(500, "internal_error", "Internal server error");
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
      return new HttpError(503, "unavailable", "Database unavailable, retry later");
    }
    return null;
  }
  const custom = CUSTOM_STATUS[err.code];
  if (custom) {
    const code = err.hint && /^[a-z][a-z0-9_]*$/.test(err.hint) ? err.hint : custom[1];
    const details = parseDetail(err.detail);
    return new HttpError(custom[0], code, err.message, details, retryAfter(details));
  }
  switch (err.code) {
    case "42501":
      return new HttpError(403, "forbidden", "You are not allowed to do this");
    case "23505":
      return new HttpError(409, "conflict", "This already exists", where(err));
    case "23503":
      return /still referenced/.test(err.detail ?? "")
        ? new HttpError(409, "conflict", "This is still in use", where(err))
        : new HttpError(404, "not_found", "A referenced row does not exist", where(err));
    case "23514":
    case "23502":
    case "23P01":
      return new HttpError(422, "unprocessable", "This violates a data rule", where(err));
    case "40001":
    case "40P01":
      return new HttpError(503, "retry_later", "The database was busy, retry later");
    case "57014":
      return new HttpError(503, "unavailable", "The database took too long, retry later");
  }
  if (err.code.startsWith("22")) {
    return new HttpError(400, "invalid_input", "A value has an invalid format", where(err));
  }
  if (err.code.startsWith("53") || err.code.startsWith("08")) {
    internal(err, requestId);
    return new HttpError(503, "unavailable", "Database unavailable, retry later");
  }
  return internal(err, requestId);
}
