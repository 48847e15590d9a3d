// Sessions, refresh tokens and access tokens, as Supabase Auth keeps them: one auth.sessions
// row per sign-in, its authentication methods in auth.mfa_amr_claims, a chain of
// auth.refresh_tokens (each used once, its successor's parent), and an ES256 access token
// whose claims (aal, amr, session_id, role, is_anonymous, ...) come from those rows.
import { mintAccessToken, type StackKeys } from "../keys.ts";
import type { AuthConfig } from "./config.ts";
import type { AuthSql, AuthTx } from "./db.ts";
import { authErrors } from "./errors.ts";
import { isBanned, type Row, userById, userJson, type UserRow } from "./users.ts";

export type AuthMethod = "password" | "otp" | "magiclink" | "invite" | "recovery";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** GoTrue's refresh tokens: 12 random alphanumerics. */
export function newRefreshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

export interface Context {
  keys: StackKeys;
  config: AuthConfig;
  /** `${SUPABASE_URL}/auth/v1`: the issuer and the base of e-mailed links. */
  authUrl: string;
  stackDir: string;
  sql: AuthSql;
}

async function accessToken(
  ctx: Context,
  tx: AuthTx,
  user: UserRow,
  sessionId: string,
): Promise<{ token: string; expiresAt: number }> {
  const amr = await tx<{ method: string; timestamp: number }[]>`
    select authentication_method as method, extract(epoch from created_at)::bigint as timestamp
    from auth.mfa_amr_claims where session_id = ${sessionId}
    order by created_at desc`;
  const [session] = await tx<{ aal: string | null }[]>`
    select aal::text from auth.sessions where id = ${sessionId}`;
  const token = await mintAccessToken(ctx.keys, {
    sub: user.id,
    email: user.email ?? "",
    expiresInSeconds: ctx.config.jwtExpiry,
    extraClaims: {
      iss: ctx.authUrl,
      aud: user.aud,
      role: user.role,
      phone: user.phone ?? "",
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      aal: session?.aal ?? "aal1",
      amr: amr.map((a) => ({ method: a.method, timestamp: Number(a.timestamp) })),
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    },
  });
  return { token, expiresAt: Math.floor(Date.now() / 1000) + ctx.config.jwtExpiry };
}

async function tokenResponse(
  ctx: Context,
  tx: AuthTx,
  user: UserRow,
  sessionId: string,
  refreshToken: string,
): Promise<Row> {
  const { token, expiresAt } = await accessToken(ctx, tx, user, sessionId);
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: ctx.config.jwtExpiry,
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: await userJson(tx, user),
  };
}

/** A new session for `user` (issueRefreshToken): session, amr claim, first refresh token. */
export async function startSession(
  ctx: Context,
  tx: AuthTx,
  user: UserRow,
  method: AuthMethod,
  req: Request,
): Promise<Row> {
  const sessionId = crypto.randomUUID();
  const refresh = newRefreshToken();
  await tx`update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${user.id}`;
  await tx`
    update auth.identities set last_sign_in_at = now(), updated_at = now()
    where user_id = ${user.id} and provider = 'email'`;
  await tx`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
    values (${sessionId}, ${user.id}, now(), now(), 'aal1', now()::timestamp,
            ${req.headers.get("user-agent")}, '127.0.0.1')`;
  await tx`
    insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
    values (${sessionId}, now(), now(), ${method}, ${crypto.randomUUID()})`;
  await tx`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at,
                                     parent, session_id)
    values ('00000000-0000-0000-0000-000000000000', ${refresh}, ${user.id}, false, now(), now(),
            null, ${sessionId})`;
  const fresh = (await userById(tx, user.id))!;
  return await tokenResponse(ctx, tx, fresh, sessionId, refresh);
}

interface TokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  updated_at: Date;
  session_id: string;
  not_after: Date | null;
}

/**
 * The refresh_token grant with rotation: a token is exchanged once for its successor; a used
 * token presented again within refresh_token_reuse_interval gets that same successor (two
 * tabs refreshing at once), later it revokes the whole session's family.
 */
export async function refreshSession(ctx: Context, refreshToken: string): Promise<Row> {
  const outcome = await ctx.sql.begin(async (tx) => {
    const [found] = await tx<TokenRow[]>`
      select r.id::text, r.token, r.user_id, r.revoked, r.updated_at, r.session_id, s.not_after
      from auth.refresh_tokens r join auth.sessions s on s.id = r.session_id
      where r.token = ${refreshToken}`;
    if (!found) return authErrors.refreshNotFound();
    // Serialise refreshes of one session: rotation is a read-modify-write of its chain.
    await tx`select 1 from auth.sessions where id = ${found.session_id} for update`;
    const [token] = await tx<TokenRow[]>`
      select r.id::text, r.token, r.user_id, r.revoked, r.updated_at, r.session_id, null as not_after
      from auth.refresh_tokens r where r.id = ${found.id}`;
    const user = await userById(tx, token.user_id);
    if (!user) return authErrors.refreshNotFound();
    if (isBanned(user)) return authErrors.userBanned();
    if (found.not_after && found.not_after.getTime() < Date.now()) {
      return authErrors.sessionNotFound();
    }
    let next: string | null = null;
    if (token.revoked) {
      const [child] = await tx<{ token: string }[]>`
        select token from auth.refresh_tokens
        where parent = ${token.token} and revoked = false and session_id = ${token.session_id}`;
      const reuseUntil = token.updated_at.getTime() + ctx.config.refreshTokenReuseInterval * 1000;
      if (child && Date.now() < reuseUntil) {
        next = child.token;
      } else {
        if (ctx.config.refreshTokenRotation) {
          await tx`update auth.refresh_tokens set revoked = true, updated_at = now()
                   where session_id = ${token.session_id} and revoked = false`;
        }
        return { reused: true as const };
      }
    }
    if (!next) {
      next = newRefreshToken();
      await tx`update auth.refresh_tokens set revoked = true, updated_at = now()
               where id = ${token.id}`;
      await tx`
        insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at,
                                         updated_at, parent, session_id)
        values ('00000000-0000-0000-0000-000000000000', ${next}, ${user.id}, false, now(), now(),
                ${token.token}, ${token.session_id})`;
    }
    await tx`update auth.sessions set refreshed_at = now()::timestamp, updated_at = now()
             where id = ${token.session_id}`;
    return await tokenResponse(ctx, tx, user, token.session_id, next);
  });
  // The family revocation must commit even though the caller is refused.
  if (outcome && "reused" in outcome) throw authErrors.refreshReused();
  if (outcome instanceof Error) throw outcome;
  return outcome as Row;
}

/** Ends sessions: `global` all of the user's, `local` this one, `others` all but this one. */
export async function endSessions(
  sql: AuthSql,
  userId: string,
  sessionId: string | null,
  scope: "global" | "local" | "others",
): Promise<void> {
  if (scope === "global" || !sessionId) {
    await sql`delete from auth.sessions where user_id = ${userId}`;
  } else if (scope === "local") {
    await sql`delete from auth.sessions where id = ${sessionId}`;
  } else {
    await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  }
}
