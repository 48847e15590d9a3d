// E-mailed one-time links and codes, as GoTrue makes them: a 6-digit OTP, its token hash
// hex(sha224(email + otp)) stored in auth.users (confirmation_token / recovery_token) and in
// auth.one_time_tokens, and the action link {authUrl}/verify?token=<hash>&type=<type>&redirect_to=.
import { createHash } from "node:crypto";
import type { AuthConfig } from "./config.ts";
import type { AuthTx } from "./db.ts";
import { authErrors } from "./errors.ts";
import type { UserRow } from "./users.ts";

export type LinkType = "signup" | "invite" | "magiclink" | "recovery";

export interface Link {
  otp: string;
  hashedToken: string;
  actionLink: string;
  redirectTo: string;
  type: LinkType;
}

function newOtp(): string {
  const n = crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000;
  return String(n).padStart(6, "0");
}

export function tokenHash(email: string, otp: string): string {
  return createHash("sha224").update(email + otp).digest("hex");
}

/** GoTrue honours redirect_to only when it matches site_url or an additional redirect url. */
export function allowedRedirect(config: AuthConfig, requested: string | null | undefined): string {
  if (!requested) return config.siteUrl;
  const allowed = [config.siteUrl, ...config.additionalRedirectUrls];
  const ok = allowed.some((base) => {
    if (base.includes("*")) {
      const pattern = new RegExp(
        "^" + base.split("*").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
      );
      return pattern.test(requested);
    }
    try {
      const a = new URL(base);
      const b = new URL(requested);
      return a.origin === b.origin;
    } catch {
      return false;
    }
  });
  return ok ? requested : config.siteUrl;
}

const column = (type: LinkType) =>
  type === "signup" || type === "invite" ? "confirmation" : "recovery";

/**
 * Stores a fresh token of `type` for `user` (replacing any earlier one of its kind) and
 * returns the link. Refuses (429) when the last one went out less than max_frequency ago.
 */
export async function issueLink(
  tx: AuthTx,
  config: AuthConfig,
  authUrl: string,
  user: UserRow,
  type: LinkType,
  redirect: string | null | undefined,
  options: { rateLimited: boolean },
): Promise<Link> {
  const kind = column(type);
  const lastSent = kind === "confirmation" ? user.confirmation_sent_at : user.recovery_sent_at;
  if (options.rateLimited && lastSent) {
    const wait = lastSent.getTime() + config.maxFrequency * 1000 - Date.now();
    if (wait > 0) throw authErrors.rateLimited(Math.ceil(wait / 1000));
  }
  const email = (user.email ?? "").toLowerCase();
  const otp = newOtp();
  const hashed = tokenHash(email, otp);
  if (kind === "confirmation") {
    await tx`update auth.users set confirmation_token = ${hashed}, confirmation_sent_at = now(),
               updated_at = now() where id = ${user.id}`;
  } else {
    await tx`update auth.users set recovery_token = ${hashed}, recovery_sent_at = now(),
               updated_at = now() where id = ${user.id}`;
  }
  const tokenType = `${kind}_token`;
  await tx`delete from auth.one_time_tokens where user_id = ${user.id} and token_type = ${tokenType}`;
  await tx`
    insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to)
    values (${crypto.randomUUID()}, ${user.id}, ${tokenType}, ${hashed}, ${email})`;
  const redirectTo = allowedRedirect(config, redirect);
  const params = new URLSearchParams({ token: hashed, type, redirect_to: redirectTo });
  return { otp, hashedToken: hashed, actionLink: `${authUrl}/verify?${params}`, redirectTo, type };
}

/**
 * The user a link or code names, or otp_expired. `token_hash` (from a link) or `email` +
 * `token` (the typed code). Signup and invite tokens live in confirmation_token, magic link
 * and recovery ones in recovery_token; "email" means whichever the address has.
 */
export async function findByToken(
  tx: AuthTx,
  config: AuthConfig,
  params: { type: string; tokenHash?: string; email?: string; token?: string },
): Promise<{ user: UserRow; type: LinkType }> {
  const hash = params.tokenHash ??
    (params.email && params.token ? tokenHash(params.email.toLowerCase(), params.token) : null);
  if (!hash) throw authErrors.otpExpired();
  const kinds: LinkType[] = params.type === "email"
    ? ["signup", "magiclink"]
    : [params.type as LinkType];
  for (const type of kinds) {
    const kind = column(type);
    const [row] = await tx.unsafe<{ id: string }[]>(
      `select id from auth.users where ${kind}_token = $1 for update`,
      [hash],
    );
    if (!row) continue;
    const [user] = await tx.unsafe<UserRow[]>(
      `select * from auth.users where id = $1`,
      [row.id],
    );
    const sent = kind === "confirmation" ? user.confirmation_sent_at : user.recovery_sent_at;
    if (!sent || sent.getTime() + config.otpExpiry * 1000 < Date.now()) {
      throw authErrors.otpExpired();
    }
    return { user, type };
  }
  throw authErrors.otpExpired();
}
