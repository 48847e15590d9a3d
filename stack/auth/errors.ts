// Supabase Auth's error answers. Clients that send `X-Supabase-Api-Version: 2024-01-01`
// (supabase-js always does) get `{code, message}` with the string error code and the version
// echoed back; older clients get `{code: <status>, error_code, msg}`. Codes and messages are
// GoTrue's own (internal/api/apierrors), so callers can branch on them.

export const API_VERSION_HEADER = "x-supabase-api-version";
const API_VERSION_2024 = "2024-01-01";

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const authErrors = {
  validation: (message: string) => new AuthError(400, "validation_failed", message),
  invalidCredentials: () => new AuthError(400, "invalid_credentials", "Invalid login credentials"),
  emailNotConfirmed: () => new AuthError(400, "email_not_confirmed", "Email not confirmed"),
  userBanned: () => new AuthError(400, "user_banned", "User is banned"),
  refreshNotFound: () =>
    new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"),
  refreshReused: () =>
    new AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"),
  noAuthorization: () =>
    new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token"),
  badJwt: (why: string) =>
    new AuthError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${why}`),
  notAdmin: () => new AuthError(403, "not_admin", "User not allowed"),
  sessionNotFound: () =>
    new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist"),
  otpExpired: () => new AuthError(403, "otp_expired", "Token has expired or is invalid"),
  userNotFound: (message = "User not found") => new AuthError(404, "user_not_found", message),
  emailExists: () =>
    new AuthError(
      422,
      "email_exists",
      "A user with this email address has already been registered",
    ),
  signupDisabled: () =>
    new AuthError(422, "signup_disabled", "Signups not allowed for this instance"),
  weakPassword: (min: number) =>
    new AuthError(422, "weak_password", `Password should be at least ${min} characters.`, {
      weak_password: { reasons: ["length"] },
    }),
  samePassword: () =>
    new AuthError(422, "same_password", "New password should be different from the old password."),
  rateLimited: (seconds: number) =>
    new AuthError(
      429,
      "over_email_send_rate_limit",
      `For security purposes, you can only request this after ${seconds} seconds.`,
    ),
};

/** The JSON answer for `error` in the shape the request's API version asks for. */
export function errorResponse(req: Request, error: AuthError, headers: HeadersInit): Response {
  const modern = (req.headers.get(API_VERSION_HEADER) ?? "") >= API_VERSION_2024;
  const body = modern
    ? { code: error.code, message: error.message, ...error.extra }
    : { code: error.status, error_code: error.code, msg: error.message, ...error.extra };
  const res = Response.json(body, { status: error.status, headers });
  if (modern) res.headers.set(API_VERSION_HEADER, API_VERSION_2024);
  return res;
}
