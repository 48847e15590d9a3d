// The admin API (service_role / secret key only): invite, generate_link and the users
// resource, with GoTrue's answers: users as models.User JSON, list pages with X-Total-Count
// and Link headers, 422 email_exists, 404 user_not_found.
import type { Caller } from "./caller.ts";
import { requireAdmin } from "./caller.ts";
import { parseGoDuration } from "./config.ts";
import type { AuthTx } from "./db.ts";
import { AuthError, authErrors } from "./errors.ts";
import { issueLink, type Link, type LinkType } from "./links.ts";
import { sendMail } from "./mail.ts";
import type { Context } from "./sessions.ts";
import { renderMail } from "./templates.ts";
import type { Body } from "./routes-user.ts";
import {
  hashPassword,
  insertUser,
  type Row,
  userByEmail,
  userById,
  userJson,
  type UserRow,
} from "./users.ts";

const str = (v: unknown) => (typeof v === "string" ? v : "");
const obj = (v: unknown): Row | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Row) : undefined;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validEmail(raw: unknown): string {
  const email = str(raw).trim().toLowerCase();
  if (!email) throw authErrors.validation("An email address is required");
  if (!emailPattern.test(email) || email.length > 255) {
    throw new AuthError(
      400,
      "validation_failed",
      "Unable to validate email address: invalid format",
    );
  }
  return email;
}

function checkPassword(ctx: Context, password: string): void {
  if (password.length < ctx.config.minimumPasswordLength) {
    throw authErrors.weakPassword(ctx.config.minimumPasswordLength);
  }
}

async function invitee(tx: AuthTx, email: string, data: Row | undefined) {
  const existing = await userByEmail(tx, email, true);
  if (existing?.email_confirmed_at) throw authErrors.emailExists();
  if (existing) {
    await tx`update auth.users set invited_at = now(), updated_at = now() where id = ${existing.id}`;
    return (await userById(tx, existing.id))!;
  }
  return await insertUser(tx, { email, emailConfirmed: false, invited: true, userMetadata: data });
}

/** POST /invite {email, data}: creates (or re-invites) the user and mails the invite link. */
export async function invite(ctx: Context, caller: Caller, req: Request, body: Body): Promise<Row> {
  requireAdmin(caller);
  const email = validEmail(body.email);
  const redirect = new URL(req.url).searchParams.get("redirect_to");
  return await ctx.sql.begin(async (tx) => {
    const user = await invitee(tx, email, obj(body.data));
    const link = await issueLink(tx, ctx.config, ctx.authUrl, user, "invite", redirect, {
      rateLimited: true,
    });
    await sendMail(ctx.stackDir, { to: email, ...renderMail(link, ctx.config.siteUrl) });
    return await userJson(tx, (await userById(tx, user.id))!);
  }) as Row;
}

/** POST /admin/generate_link: the link (and code) without sending anything. */
export async function generateLink(ctx: Context, caller: Caller, body: Body): Promise<Row> {
  requireAdmin(caller);
  const type = str(body.type) as LinkType;
  if (!["signup", "invite", "magiclink", "recovery"].includes(type)) {
    throw authErrors.validation("Invalid email action link type requested");
  }
  const email = validEmail(body.email);
  const redirect = str(body.redirect_to) || null;
  return await ctx.sql.begin(async (tx) => {
    let user: UserRow | null = await userByEmail(tx, email, true);
    let linkType: LinkType = type;
    if (type === "invite") {
      user = await invitee(tx, email, obj(body.data));
    } else if (type === "signup") {
      if (user) throw authErrors.emailExists();
      const password = str(body.password);
      checkPassword(ctx, password);
      user = await insertUser(tx, {
        email,
        password,
        emailConfirmed: false,
        userMetadata: obj(body.data),
      });
    } else if (!user) {
      if (type === "recovery") throw authErrors.userNotFound("User with this email not found");
      // GoTrue turns a magic link for an unknown address into a sign-up link.
      user = await insertUser(tx, { email, emailConfirmed: false, userMetadata: obj(body.data) });
      linkType = "signup";
    }
    const link: Link = await issueLink(tx, ctx.config, ctx.authUrl, user, linkType, redirect, {
      rateLimited: false,
    });
    return {
      ...(await userJson(tx, (await userById(tx, user.id))!)),
      action_link: link.actionLink,
      email_otp: link.otp,
      hashed_token: link.hashedToken,
      verification_type: linkType,
      redirect_to: link.redirectTo,
    };
  }) as Row;
}

function banUntil(raw: unknown): Date | null | undefined {
  if (raw === undefined) return undefined;
  const value = str(raw);
  if (value === "none") return null;
  const seconds = parseGoDuration(value);
  if (seconds === null) throw authErrors.validation("invalid format for ban duration: " + value);
  return new Date(Date.now() + seconds * 1000);
}

/** POST /admin/users */
export async function createUser(ctx: Context, caller: Caller, body: Body): Promise<Row> {
  requireAdmin(caller);
  const email = validEmail(body.email);
  const password = body.password === undefined ? null : str(body.password);
  if (password !== null) checkPassword(ctx, password);
  const banned = banUntil(body.ban_duration);
  const id = str(body.id) || undefined;
  if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw authErrors.validation("id must be a UUID");
  }
  return await ctx.sql.begin(async (tx) => {
    if (await userByEmail(tx, email, true)) throw authErrors.emailExists();
    const user = await insertUser(tx, {
      id,
      email,
      password,
      emailConfirmed: body.email_confirm === true,
      userMetadata: obj(body.user_metadata),
      appMetadata: obj(body.app_metadata),
      role: str(body.role) || undefined,
    });
    if (banned) await tx`update auth.users set banned_until = ${banned} where id = ${user.id}`;
    return await userJson(tx, (await userById(tx, user.id))!);
  }) as Row;
}

/** GET /admin/users?page=&per_page=: newest first, X-Total-Count and Link headers. */
export async function listUsers(ctx: Context, caller: Caller, req: Request): Promise<Response> {
  requireAdmin(caller);
  const url = new URL(req.url);
  const page = Math.max(1, Number(url.searchParams.get("page") || 1) || 1);
  const perPage = Math.min(1000, Math.max(1, Number(url.searchParams.get("per_page") || 50) || 50));
  const filter = url.searchParams.get("filter");
  const like = filter ? `%${filter.replace(/[\\%_]/g, "\\$&")}%` : null;
  const where = like
    ? ctx
      .sql`aud = 'authenticated' and (email ilike ${like} or raw_user_meta_data->>'full_name' ilike ${like})`
    : ctx.sql`aud = 'authenticated'`;
  const [{ total }] = await ctx.sql<{ total: number }[]>`
    select count(*)::int as total from auth.users where ${where}`;
  const rows = await ctx.sql<{ id: string }[]>`
    select id from auth.users where ${where}
    order by created_at desc, id desc limit ${perPage} offset ${(page - 1) * perPage}`;
  const users = [];
  for (const r of rows) users.push(await userJson(ctx.sql, (await userById(ctx.sql, r.id))!));
  const last = Math.max(1, Math.ceil(total / perPage));
  const links: string[] = [];
  if (page < last) links.push(`</admin/users?page=${page + 1}&per_page=${perPage}>; rel="next"`);
  links.push(`</admin/users?page=${last}&per_page=${perPage}>; rel="last"`);
  return Response.json({ users, aud: "authenticated" }, {
    headers: { "x-total-count": String(total), link: links.join(", ") },
  });
}

function userId(raw: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw)) {
    throw new AuthError(404, "user_not_found", "User not found");
  }
  return raw;
}

export async function getUser(ctx: Context, caller: Caller, id: string): Promise<Row> {
  requireAdmin(caller);
  const user = await userById(ctx.sql, userId(id));
  if (!user) throw authErrors.userNotFound();
  return await userJson(ctx.sql, user);
}

function merge(base: Row | null, updates: Row): Row {
  const out: Row = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** PUT /admin/users/:id: email, password, email_confirm, metadata (merged), ban_duration, role. */
export async function updateUser(
  ctx: Context,
  caller: Caller,
  id: string,
  body: Body,
): Promise<Row> {
  requireAdmin(caller);
  const uid = userId(id);
  const banned = banUntil(body.ban_duration);
  return await ctx.sql.begin(async (tx) => {
    const user = await userById(tx, uid, true);
    if (!user) throw authErrors.userNotFound();
    if (body.email !== undefined) {
      const email = validEmail(body.email);
      const other = await userByEmail(tx, email);
      if (other && other.id !== uid) throw authErrors.emailExists();
      await tx`update auth.users set email = ${email} where id = ${uid}`;
      await tx`update auth.identities set identity_data = identity_data || ${tx.json({ email })}
               where user_id = ${uid} and provider = 'email'`;
    }
    if (body.password !== undefined) {
      const password = str(body.password);
      checkPassword(ctx, password);
      await tx`update auth.users set encrypted_password = ${await hashPassword(tx, password)}
               where id = ${uid}`;
    }
    if (body.email_confirm === true && !user.email_confirmed_at) {
      await tx`update auth.users set email_confirmed_at = now() where id = ${uid}`;
    }
    const userMeta = obj(body.user_metadata);
    if (userMeta) {
      await tx`update auth.users set raw_user_meta_data = ${
        tx.json(merge(user.raw_user_meta_data, userMeta) as never)
      } where id = ${uid}`;
    }
    const appMeta = obj(body.app_metadata);
    if (appMeta) {
      await tx`update auth.users set raw_app_meta_data = ${
        tx.json(merge(user.raw_app_meta_data, appMeta) as never)
      } where id = ${uid}`;
    }
    if (banned !== undefined) {
      await tx`update auth.users set banned_until = ${banned} where id = ${uid}`;
    }
    if (str(body.role)) await tx`update auth.users set role = ${str(body.role)} where id = ${uid}`;
    await tx`update auth.users set updated_at = now() where id = ${uid}`;
    return await userJson(tx, (await userById(tx, uid))!);
  }) as Row;
}

/** DELETE /admin/users/:id {should_soft_delete}: gone, or kept anonymised with deleted_at. */
export async function deleteUser(
  ctx: Context,
  caller: Caller,
  id: string,
  body: Body,
): Promise<Row> {
  requireAdmin(caller);
  const uid = userId(id);
  await ctx.sql.begin(async (tx) => {
    const user = await userById(tx, uid, true);
    if (!user) throw authErrors.userNotFound();
    if (body.should_soft_delete === true) {
      await tx`delete from auth.sessions where user_id = ${uid}`;
      await tx`delete from auth.identities where user_id = ${uid}`;
      await tx`
        update auth.users set deleted_at = now(), updated_at = now(), encrypted_password = '',
          email = encode(extensions.digest(id::text || coalesce(email, ''), 'sha256'), 'hex'),
          raw_app_meta_data = '{}', raw_user_meta_data = '{}'
        where id = ${uid}`;
    } else {
      await tx`delete from auth.users where id = ${uid}`;
    }
  });
  return {};
}
