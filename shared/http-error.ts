// The one error type functions throw on purpose, and the JSON body every error answer uses:
// {"error":{"code","message","details"}}. `code` is a stable snake_case word clients may
// switch on; `message` is for humans; `details` names bad fields and the like.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (e.g. Retry-After on 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(err: HttpError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
}
