// The routes supabase-js's auth client calls for a person: sign-in (password and refresh
// grants), the signed-in user (read, update), sign-out, e-mailed links and codes (verify,
// otp, recover) and the public settings. Sign-up follows config.toml (off here).
import type { Caller } from "./caller.ts";
import { requireUserClaims } from "./caller.ts";
import type { AuthTx } from "./db.ts";
import { AuthError, authErrors } from "./errors.ts";
import { allowedRedirect, findByToken, issueLink } from "./links.ts";
import { sendMail } from "./mail.ts";
import { type Context, endSessions, refreshSession, startSession } from "./sessions.ts";
import { renderMail } from "./templates.ts";
import {
  confirmUser,
  hashPassword,
  isBanned,
  passwordMatches,
  type Row,
  userByEmail,
  userById,
  userJson,
} from "./users.ts";

export type Body = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" ? v : "");

export async function passwordGrant(ctx: Context, req: Request, body: Body): Promise<Row> {
  const email = str(body.email).trim();
  const phone = str(body.phone).trim();
  if (email && phone) {
    throw authErrors.validation(
      "Only an email address or phone number should be provided on login.",
    );
  }
  if (!email && !phone) throw authErrors.validation("missing email or phone");
  if (phone) throw new AuthError(422, "phone_provider_disabled", "Phone logins are disabled");
  const user = await userByEmail(ctx.sql, email);
  if (!user || !user.encrypted_password) throw authErrors.invalidCredentials();
  if (isBanned(user)) throw authErrors.userBanned();
  if (!(await passwordMatches(ctx.sql, user, str(body.password)))) {
    throw authErrors.invalidCredentials();
  }
  if (!user.email_confirmed_at) throw authErrors.emailNotConfirmed();
  return await ctx.sql.begin((tx) => startSession(ctx, tx, user, "password", req)) as Row;
}

export async function token(ctx: Context, req: Request, body: Body): Promise<Row> {
  const grant = new URL(req.url).searchParams.get("grant_type");
  if (grant === "password") return await passwordGrant(ctx, req, body);
  if (grant === "refresh_token") {
    const refresh = str(body.refresh_token);
    if (!refresh) throw authErrors.validation("refresh_token required");
    return await refreshSession(ctx, refresh);
  }
  throw new AuthError(400, "invalid_credentials", "unsupported_grant_type");
}

/** GET /user: the user the JWT names, while its session still exists. */
export async function currentUser(ctx: Context, caller: Caller): Promise<Row> {
  const { sub, sessionId } = requireUserClaims(caller);
  const user = await userById(ctx.sql, sub);
  if (!user) throw authErrors.userNotFound("User from sub claim in JWT does not exist");
  if (sessionId) {
    const [s] = await ctx.sql`select 1 from auth.sessions where id = ${sessionId}`;
    if (!s) throw authErrors.sessionNotFound();
  }
  return await userJson(ctx.sql, user);
}

/** PUT /user: user_metadata (`data`) and the password; a new password ends other sessions. */
export async function updateUser(ctx: Context, caller: Caller, body: Body): Promise<Row> {
  const { sub, sessionId } = requireUserClaims(caller);
  await currentUser(ctx, caller);
  if (body.email !== undefined || body.phone !== undefined) {
    throw new AuthError(
      422,
      "validation_failed",
      "Changing the e-mail or phone is not available on the local Auth stand-in",
    );
  }
  return await ctx.sql.begin(async (tx) => {
    const user = (await userById(tx, sub, true))!;
    if (body.data !== undefined) {
      if (!body.data || typeof body.data !== "object" || Array.isArray(body.data)) {
        throw authErrors.validation("data must be an object");
      }
      const merged: Row = { ...(user.raw_user_meta_data ?? {}) };
      for (const [k, v] of Object.entries(body.data as Row)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      await tx`update auth.users set raw_user_meta_data = ${tx.json(merged as never)},
               updated_at = now() where id = ${sub}`;
    }
    if (body.password !== undefined) {
      const password = str(body.password);
      if (password.length < ctx.config.minimumPasswordLength) {
        throw authErrors.weakPassword(ctx.config.minimumPasswordLength);
      }
      if (await passwordMatches(tx, user, password)) throw authErrors.samePassword();
      await tx`update auth.users set encrypted_password = ${await hashPassword(tx, password)},
                 confirmation_token = '', recovery_token = '', updated_at = now()
               where id = ${sub}`;
      await tx`delete from auth.one_time_tokens where user_id = ${sub}`;
      if (sessionId) {
        await tx`delete from auth.sessions where user_id = ${sub} and id <> ${sessionId}`;
      } else await tx`delete from auth.sessions where user_id = ${sub}`;
    }
    return await userJson(tx, (await userById(tx, sub))!);
  }) as Row;
}

export async function logout(ctx: Context, caller: Caller, req: Request): Promise<void> {
  const { sub, sessionId } = requireUserClaims(caller);
  const scope = new URL(req.url).searchParams.get("scope") ?? "global";
  if (scope !== "global" && scope !== "local" && scope !== "others") {
    throw authErrors.validation(`Unsupported logout scope "${scope}"`);
  }
  await endSessions(ctx.sql, sub, sessionId, scope);
}

const verifyTypes = new Set(["signup", "invite", "magiclink", "recovery", "email"]);

async function verifyIn(
  ctx: Context,
  tx: AuthTx,
  req: Request,
  params: { type: string; tokenHash?: string; email?: string; token?: string },
): Promise<Row> {
  const { user, type } = await findByToken(tx, ctx.config, params);
  if (isBanned(user)) throw new AuthError(403, "user_banned", "User is banned");
  if (type === "signup" || type === "invite") {
    await confirmUser(tx, user.id);
  } else {
    await tx`update auth.users set recovery_token = '', updated_at = now() where id = ${user.id}`;
    await tx`delete from auth.one_time_tokens
             where user_id = ${user.id} and token_type = 'recovery_token'`;
    if (!user.email_confirmed_at) await confirmUser(tx, user.id);
  }
  const fresh = (await userById(tx, user.id))!;
  return await startSession(ctx, tx, fresh, "otp", req);
}

/** POST /verify: {type, token_hash} from a link, or {type, email, token} for a typed code. */
export async function verifyPost(ctx: Context, req: Request, body: Body): Promise<Row> {
  const type = str(body.type);
  if (!type) throw authErrors.validation("Verify requires a verification type");
  if (!verifyTypes.has(type)) throw authErrors.validation("Unsupported verification type");
  const tokenHash = str(body.token_hash) || undefined;
  if (!tokenHash && !str(body.token)) {
    throw authErrors.validation("Verify requires a token or a token hash");
  }
  if (!tokenHash && !str(body.email)) {
    throw authErrors.validation(
      "Only an email address or phone number should be provided on verify",
    );
  }
  return await ctx.sql.begin((tx) =>
    verifyIn(ctx, tx, req, {
      type,
      tokenHash,
      email: str(body.email) || undefined,
      token: str(body.token).replaceAll("-", "") || undefined,
    })
  ) as Row;
}

/**
 * GET /verify (the e-mailed link): 303 to redirect_to with the session in the fragment
 * (implicit flow), or with error, error_code and error_description there when it fails.
 */
export async function verifyGet(ctx: Context, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const type = url.searchParams.get("type") ?? "";
  const redirect = allowedRedirect(ctx.config, url.searchParams.get("redirect_to"));
  try {
    if (!verifyTypes.has(type) || type === "email") {
      throw authErrors.validation("Unsupported verification type");
    }
    const session = await ctx.sql.begin((tx) =>
      verifyIn(ctx, tx, req, { type, tokenHash: url.searchParams.get("token") ?? "" })
    ) as Row;
    const fragment = new URLSearchParams({
      access_token: String(session.access_token),
      expires_at: String(session.expires_at),
      expires_in: String(session.expires_in),
      refresh_token: String(session.refresh_token),
      token_type: "bearer",
      type,
    });
    return new Response(null, { status: 303, headers: { location: `${redirect}#${fragment}` } });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    const fragment = new URLSearchParams({
      error: err.status === 403 ? "access_denied" : "invalid_request",
      error_code: err.code,
      error_description: err.code === "otp_expired"
        ? "Email link is invalid or has expired"
        : err.message,
    });
    const base = redirect.split("#")[0];
    return new Response(null, { status: 303, headers: { location: `${base}#${fragment}` } });
  }
}

async function mailLink(
  ctx: Context,
  email: string,
  type: "magiclink" | "recovery",
  redirect: string | null,
): Promise<boolean> {
  return await ctx.sql.begin(async (tx) => {
    const user = await userByEmail(tx, email, true);
    if (!user) return false;
    const link = await issueLink(tx, ctx.config, ctx.authUrl, user, type, redirect, {
      rateLimited: true,
    });
    await sendMail(ctx.stackDir, { to: user.email!, ...renderMail(link, ctx.config.siteUrl) });
    return true;
  }) as boolean;
}

/** POST /otp: a magic link for an existing address; creating users needs sign-ups on. */
export async function otp(ctx: Context, req: Request, body: Body): Promise<Row> {
  const email = str(body.email).trim().toLowerCase();
  if (!email) {
    throw authErrors.validation("Only an email address or phone number should be provided");
  }
  const redirect = new URL(req.url).searchParams.get("redirect_to");
  const sent = await mailLink(ctx, email, "magiclink", redirect);
  if (!sent) throw new AuthError(422, "otp_disabled", "Signups not allowed for otp");
  return {};
}

/** POST /recover: a password-reset link; unknown addresses get the same empty answer. */
export async function recover(ctx: Context, req: Request, body: Body): Promise<Row> {
  const email = str(body.email).trim().toLowerCase();
  if (!email) throw authErrors.validation("Password recovery requires an email");
  await mailLink(ctx, email, "recovery", new URL(req.url).searchParams.get("redirect_to"));
  return {};
}

export function signup(ctx: Context, body: Body): never {
  if (!str(body.email) && !str(body.phone)) {
    if (!ctx.config.enableAnonymousSignIns) {
      throw new AuthError(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    }
  }
  if (!ctx.config.enableSignup || !ctx.config.emailSignup) throw authErrors.signupDisabled();
  throw new AuthError(
    422,
    "signup_disabled",
    "Sign-up is not available on the local Auth stand-in",
  );
}

export function settings(ctx: Context): Row {
  return {
    external: { anonymous_users: ctx.config.enableAnonymousSignIns, email: true, phone: false },
    disable_signup: !ctx.config.enableSignup,
    mailer_autoconfirm: !ctx.config.emailConfirmations,
    phone_autoconfirm: false,
    sms_provider: "",
    saml_enabled: false,
  };
}
