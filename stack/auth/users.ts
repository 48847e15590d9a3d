// auth.users rows as Supabase Auth reads, writes and answers them (models.User's JSON: the
// same fields, omitted when empty where GoTrue omits them, identities always present).
import type { AuthSql, AuthTx } from "./db.ts";

type Db = AuthSql | AuthTx;
export type Row = Record<string, unknown>;

export interface UserRow {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  confirmation_token: string | null;
  confirmation_sent_at: Date | null;
  recovery_token: string | null;
  recovery_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Row | null;
  raw_user_meta_data: Row | null;
  created_at: Date;
  updated_at: Date;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

const columns = `u.id, u.aud, u.role, u.email, u.encrypted_password, u.email_confirmed_at,
  u.invited_at, u.phone, u.phone_confirmed_at, u.confirmation_token, u.confirmation_sent_at,
  u.recovery_token, u.recovery_sent_at, u.last_sign_in_at, u.raw_app_meta_data,
  u.raw_user_meta_data, u.created_at, u.updated_at, u.banned_until, u.deleted_at,
  u.is_anonymous`;

export async function userById(db: Db, id: string, lock = false): Promise<UserRow | null> {
  const [row] = await db.unsafe<UserRow[]>(
    `select ${columns} from auth.users u where u.id = $1 ${lock ? "for update" : ""}`,
    [id],
  );
  return row ?? null;
}

export async function userByEmail(db: Db, email: string, lock = false): Promise<UserRow | null> {
  const [row] = await db.unsafe<UserRow[]>(
    `select ${columns} from auth.users u
     where lower(u.email) = lower($1) and u.aud = 'authenticated' and u.is_sso_user = false
     ${lock ? "for update" : ""}`,
    [email],
  );
  return row ?? null;
}

export function isBanned(user: UserRow): boolean {
  return !!user.banned_until && user.banned_until.getTime() > Date.now();
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

function identityJson(row: Row): Row {
  return {
    identity_id: row.id,
    id: row.provider_id,
    user_id: row.user_id,
    identity_data: row.identity_data,
    provider: row.provider,
    last_sign_in_at: iso(row.last_sign_in_at as Date | null) ?? null,
    created_at: iso(row.created_at as Date | null) ?? null,
    updated_at: iso(row.updated_at as Date | null) ?? null,
    email: row.email ?? undefined,
  };
}

/** The user as GoTrue serialises it, identities loaded. */
export async function userJson(db: Db, user: UserRow): Promise<Row> {
  const identities = await db<Row[]>`
    select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at,
           updated_at, email
    from auth.identities where user_id = ${user.id} order by created_at, id`;
  const confirmedAt = [user.email_confirmed_at, user.phone_confirmed_at]
    .filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
  const out: Row = {
    id: user.id,
    aud: user.aud,
    role: user.role,
    email: user.email ?? "",
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? "",
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    confirmed_at: iso(confirmedAt),
    recovery_sent_at: iso(user.recovery_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: user.is_anonymous,
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

export interface NewUser {
  email: string;
  password?: string | null;
  emailConfirmed: boolean;
  userMetadata?: Row;
  appMetadata?: Row;
  invited?: boolean;
  role?: string;
  id?: string;
}

/** Inserts a user with its email identity, as GoTrue's signupNewUser + createNewIdentity. */
export async function insertUser(tx: AuthTx, input: NewUser): Promise<UserRow> {
  const id = input.id ?? crypto.randomUUID();
  const email = input.email.toLowerCase();
  const appMeta = { provider: "email", providers: ["email"], ...input.appMetadata };
  // GoTrue copies the email identity's data into user_metadata when it creates the user.
  const identityData = {
    sub: id,
    email,
    email_verified: input.emailConfirmed,
    phone_verified: false,
  };
  const userMeta = { ...input.userMetadata, ...identityData };
  const [{ hash }] = input.password
    ? await tx<{ hash: string }[]>`
        select extensions.crypt(${input.password}, extensions.gen_salt('bf', 10)) as hash`
    : [{ hash: "" }];
  await tx`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
      raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
      is_anonymous, is_sso_user, confirmation_token, recovery_token, email_change_token_new,
      email_change)
    values (
      '00000000-0000-0000-0000-000000000000', ${id}, 'authenticated',
      ${input.role ?? "authenticated"}, ${email}, ${hash},
      ${input.emailConfirmed ? new Date() : null}, ${input.invited ? new Date() : null},
      ${tx.json(appMeta)}, ${tx.json(userMeta)}, false, now(), now(), false, false, '', '', '',
      '')`;
  await tx`
    insert into auth.identities (
      provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    values (${id}, ${id}, ${tx.json(identityData)}, 'email', null, now(), now())`;
  return (await userById(tx, id))!;
}

/** Sets email_confirmed_at and the email_verified flags, as models.User.Confirm does. */
export async function confirmUser(tx: AuthTx, id: string): Promise<void> {
  await tx`
    update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()),
      confirmation_token = '', updated_at = now(),
      raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{"email_verified": true}'
    where id = ${id}`;
  await tx`
    update auth.identities
    set identity_data = identity_data || '{"email_verified": true}', updated_at = now()
    where user_id = ${id} and provider = 'email'`;
  await tx`delete from auth.one_time_tokens where user_id = ${id}`;
}

export async function hashPassword(tx: Db, password: string): Promise<string> {
  const [{ hash }] = await tx<{ hash: string }[]>`
    select extensions.crypt(${password}, extensions.gen_salt('bf', 10)) as hash`;
  return hash;
}

export async function passwordMatches(db: Db, user: UserRow, password: string): Promise<boolean> {
  if (!user.encrypted_password) return false;
  const [{ ok }] = await db<{ ok: boolean }[]>`
    select extensions.crypt(${password}, ${user.encrypted_password}) = ${user.encrypted_password}
      as ok`;
  return ok;
}
