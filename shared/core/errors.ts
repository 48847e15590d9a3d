// The one error type functions throw on purpose, and the JSON body every error answer uses:
// {"error":{"code","message","details"}}. `code` is a catalogued snake_case word clients may
// switch on (shared/core/error-codes.ts, which also fixes its status); `message` is for
// humans; `details` is always a list of {field, message}: which fields were wrong, or which
// facts (quota, limit, …) explain the refusal.
import { type ErrorCode, statusOf } from "./error-codes.ts";

export type { ErrorCode } from "./error-codes.ts";

export interface Issue {
  field: string;
  message: string;
}

export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Issue[] = [],
    /** Extra response headers (e.g. Retry-After on 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = statusOf(code);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Issue[] };
}

export function errorBody(err: HttpError): ErrorBody {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

/**
 * Any details value as the list the API answers: a list of {field, message} is kept, an
 * object becomes one entry per key (the value as text), anything else one `detail` entry.
 */
export function toIssues(value: unknown): Issue[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.map((item, i) =>
      item && typeof item === "object" && "field" in item && "message" in item
        ? { field: String(item.field), message: String(item.message) }
        : { field: String(i), message: typeof item === "string" ? item : JSON.stringify(item) }
    );
  }
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).map(([field, v]) => ({
      field,
      message: typeof v === "string" ? v : JSON.stringify(v),
    }));
  }
  return [{ field: "detail", message: String(value) }];
}
