// Storage errors in the shape Supabase Storage renders them, so supabase-js StorageApiError
// carries the same status, statusCode and message a deployed project would produce.
// Supabase answers HTTP 400 for every handled error except 500s (the "real" code travels in
// the body's statusCode); the gateway itself answers 401 when no key is sent at all.

export class StorageHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly legacyError?: string,
    readonly httpStatus = statusCode === 500 ? 500 : 400,
  ) {
    super(message);
  }

  toResponse(): Response {
    return Response.json({
      statusCode: String(this.statusCode),
      code: this.code,
      error: this.legacyError ?? this.code,
      message: this.message,
    }, { status: this.httpStatus });
  }
}

export const errors = {
  noSuchBucket: () =>
    new StorageHttpError(404, "NoSuchBucket", "Bucket not found", "Bucket not found"),
  noSuchKey: () => new StorageHttpError(404, "NoSuchKey", "Object not found", "not_found"),
  accessDenied: (message: string) =>
    new StorageHttpError(403, "AccessDenied", message, "Unauthorized"),
  missingCredentials: () =>
    new StorageHttpError(401, "AccessDenied", "No API key found in request", "Unauthorized", 401),
  invalidJwt: (message: string) => new StorageHttpError(400, "InvalidJWT", message),
  invalidSignature: (message = "Invalid signature") =>
    new StorageHttpError(400, "InvalidSignature", message),
  invalidKey: (key: string) => new StorageHttpError(400, "InvalidKey", `Invalid key: ${key}`),
  invalidRequest: (message: string) => new StorageHttpError(400, "InvalidRequest", message),
  duplicate: () =>
    new StorageHttpError(409, "Duplicate", "The resource already exists", "Duplicate"),
  entityTooLarge: () =>
    new StorageHttpError(
      413,
      "EntityTooLarge",
      "The object exceeded the maximum allowed size",
      "Payload too large",
    ),
  invalidMimeType: (mime: string) =>
    new StorageHttpError(
      415,
      "InvalidMimeType",
      `mime type ${mime} is not supported`,
      "invalid_mime_type",
    ),
  notFound: (method: string, path: string) =>
    new StorageHttpError(404, "NotFound", `Route ${method}:${path} not found`, "Not Found", 404),
  internal: () => new StorageHttpError(500, "InternalError", "Internal server error", "Internal"),
};

// Postgres errors map the way Storage's database layer maps them: RLS and grant refusals
// are access denials, unique violations duplicates, missing parents "related resource".
export function fromPgError(error: unknown): StorageHttpError | null {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return null;
  if (code === "42501") {
    return errors.accessDenied("new row violates row-level security policy");
  }
  if (code === "23505") return errors.duplicate();
  if (code === "23503") {
    return new StorageHttpError(404, "InvalidRequest", "The related resource does not exist");
  }
  if (code === "55P03") {
    return new StorageHttpError(423, "ResourceLocked", "The resource is locked");
  }
  return null;
}
