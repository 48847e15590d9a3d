// Contract of the local Auth stand-in, through supabase-js's own auth client (as frontends
// and servers use it): each step names the Supabase Auth behaviour it pins — status, error
// code, token claims, session and refresh-token rows, e-mailed links.
import assert from "node:assert/strict";
import { isAuthError, isAuthSessionMissingError } from "@supabase/supabase-js";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  adminAuth,
  freshEmail,
  frontend,
  latestMail,
  openLink,
  verifyLink,
} from "../helpers/auth.ts";
import { closeAll, db, stack } from "../helpers/stack.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const password = "masstock-demo";

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
}

function apiError(error: unknown, status: number, code: string): void {
  assert.ok(isAuthError(error), `expected an Auth API error, got ${error}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
}

Deno.test({ name: "auth stand-in: password sign-in, claims, sessions", ...options }, async (t) => {
  const sb = frontend();
  await t.step(
    "wrong password and unknown e-mail: 400 invalid_credentials, no session",
    async () => {
      const before = await db()`select count(*)::int as n from auth.sessions`;
      const wrong = await sb.auth.signInWithPassword({
        email: "owner@acme.test",
        password: "nope",
      });
      apiError(wrong.error, 400, "invalid_credentials");
      assert.equal(wrong.data.session, null);
      const unknown = await sb.auth.signInWithPassword({ email: "nobody@acme.test", password });
      apiError(unknown.error, 400, "invalid_credentials");
      assert.equal(unknown.error!.message, wrong.error!.message, "no account enumeration");
      const after = await db()`select count(*)::int as n from auth.sessions`;
      assert.equal(after[0].n, before[0].n);
    },
  );

  let accessToken = "";
  await t.step(
    "seeded user with the dev password: session, ES256 token with GoTrue's claims",
    async () => {
      const { data, error } = await sb.auth.signInWithPassword({
        email: "owner@acme.test",
        password,
      });
      assert.equal(error, null);
      const session = data.session!;
      accessToken = session.access_token;
      assert.equal(session.token_type, "bearer");
      assert.equal(session.expires_in, 3600);
      assert.match(session.refresh_token, /^[A-Za-z0-9]{12}$/);
      assert.equal(data.user!.email, "owner@acme.test");
      assert.equal(decodeProtectedHeader(accessToken).alg, "ES256");
      const jwks = createLocalJWKSet(
        await (await fetch(`${stack().apiUrl}/auth/v1/.well-known/jwks.json`)).json(),
      );
      const { payload } = await jwtVerify(accessToken, jwks, {
        issuer: `${stack().apiUrl}/auth/v1`,
        audience: "authenticated",
      });
      assert.equal(payload.sub, "a0000000-0000-4000-8000-000000000002");
      assert.equal(payload.role, "authenticated");
      assert.equal(payload.aal, "aal1");
      assert.equal(payload.is_anonymous, false);
      assert.deepEqual((payload.amr as { method: string }[]).map((a) => a.method), ["password"]);
      assert.equal(Number(payload.exp) - Number(payload.iat), 3600);
      const [row] = await db()`select user_id, aal::text from auth.sessions where id = ${
        String(payload.session_id)
      }`;
      assert.deepEqual({ ...row }, { user_id: payload.sub, aal: "aal1" });
      const [tokenRow] = await db()`select revoked, parent from auth.refresh_tokens
      where token = ${session.refresh_token}`;
      assert.deepEqual({ ...tokenRow }, { revoked: false, parent: null });
    },
  );

  await t.step("the access token opens the product's functions (verify_jwt + RLS)", async () => {
    const res = await fetch(`${stack().apiUrl}/functions/v1/health`, {
      headers: { apikey: stack().anonKey, authorization: `Bearer ${accessToken}` },
    });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.user_id, "a0000000-0000-4000-8000-000000000002");
  });

  await t.step(
    "getUser answers the user; after signOut the session is gone (session_not_found)",
    async () => {
      const { data } = await sb.auth.getUser();
      assert.equal(data.user!.id, "a0000000-0000-4000-8000-000000000002");
      assert.equal((await sb.auth.signOut()).error, null);
      const after = await sb.auth.getUser(accessToken);
      assert.ok(isAuthSessionMissingError(after.error), String(after.error));
      const [{ n }] = await db()`select count(*)::int as n from auth.sessions
      where id = ${String(claimsOf(accessToken).session_id)}`;
      assert.equal(n, 0);
    },
  );

  await t.step("unconfirmed e-mail: 400 email_not_confirmed; banned: 400 user_banned", async () => {
    const email = freshEmail("unconfirmed");
    const created = await adminAuth().auth.admin.createUser({ email, password });
    assert.equal(created.error, null);
    apiError(
      (await sb.auth.signInWithPassword({ email, password })).error,
      400,
      "email_not_confirmed",
    );
    const banned = freshEmail("banned");
    const { data } = await adminAuth().auth.admin.createUser({
      email: banned,
      password,
      email_confirm: true,
    });
    await adminAuth().auth.admin.updateUserById(data.user!.id, { ban_duration: "24h" });
    apiError(
      (await sb.auth.signInWithPassword({ email: banned, password })).error,
      400,
      "user_banned",
    );
    await adminAuth().auth.admin.updateUserById(data.user!.id, { ban_duration: "none" });
    assert.equal((await sb.auth.signInWithPassword({ email: banned, password })).error, null);
  });

  await t.step("sign-up is off (config.toml): 422 signup_disabled, no user", async () => {
    const email = freshEmail("signup");
    const { error } = await frontend().auth.signUp({ email, password });
    apiError(error, 422, "signup_disabled");
    const [{ n }] = await db()`select count(*)::int as n from auth.users where email = ${email}`;
    assert.equal(n, 0);
  });

  await t.step("no API key: the gateway refuses 401 before Auth", async () => {
    const res = await fetch(`${stack().apiUrl}/auth/v1/user`);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).message, "No API key found in request");
    const bad = await fetch(`${stack().apiUrl}/auth/v1/settings`, { headers: { apikey: "nope" } });
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).message, "Invalid API key");
  });
});

Deno.test(
  { name: "auth stand-in: refresh-token rotation and reuse detection", ...options },
  async (t) => {
    const sb = frontend();
    const { data } = await sb.auth.signInWithPassword({
      email: "collaborator@acme.test",
      password,
    });
    const first = data.session!;
    let second = "";
    await t.step(
      "refresh: a new pair; the old token is revoked and is the new one's parent",
      async () => {
        const { data: r, error } = await sb.auth.refreshSession({
          refresh_token: first.refresh_token,
        });
        assert.equal(error, null);
        second = r.session!.refresh_token;
        assert.notEqual(second, first.refresh_token);
        assert.equal(
          claimsOf(r.session!.access_token).session_id,
          claimsOf(first.access_token).session_id,
        );
        const [row] = await db()`select parent from auth.refresh_tokens where token = ${second}`;
        assert.equal(row.parent, first.refresh_token);
        const [old] =
          await db()`select revoked from auth.refresh_tokens where token = ${first.refresh_token}`;
        assert.equal(old.revoked, true);
      },
    );

    await t.step("the used token again within the reuse interval: the same successor", async () => {
      const { data: r, error } = await frontend().auth.refreshSession({
        refresh_token: first.refresh_token,
      });
      assert.equal(error, null);
      assert.equal(r.session!.refresh_token, second);
    });

    await t.step(
      "after the interval: 400 refresh_token_already_used and the family is revoked",
      async () => {
        await db()`update auth.refresh_tokens set updated_at = now() - interval '11 seconds'
               where token = ${first.refresh_token}`;
        const reused = await frontend().auth.refreshSession({ refresh_token: first.refresh_token });
        apiError(reused.error, 400, "refresh_token_already_used");
        const [{ n }] = await db()`select count(*)::int as n from auth.refresh_tokens
      where session_id = ${String(claimsOf(first.access_token).session_id)} and revoked = false`;
        assert.equal(n, 0, "no live token left in the session");
        const current = await frontend().auth.refreshSession({ refresh_token: second });
        assert.ok(current.error, "the stolen family's newest token is dead too");
      },
    );

    await t.step("an unknown refresh token: 400 refresh_token_not_found", async () => {
      const { error } = await frontend().auth.refreshSession({ refresh_token: "abcdefghijkl" });
      apiError(error, 400, "refresh_token_not_found");
    });
  },
);

Deno.test({ name: "auth stand-in: admin API and e-mailed links", ...options }, async (t) => {
  const admin = adminAuth();
  await t.step("admin routes refuse the anon key: 403 not_admin", async () => {
    const { error } = await frontend().auth.admin.listUsers();
    apiError(error, 403, "not_admin");
    const invite = await frontend().auth.admin.inviteUserByEmail(freshEmail("x"));
    apiError(invite.error, 403, "not_admin");
  });

  const invited = freshEmail("invited");
  let invitedId = "";
  await t.step(
    "inviteUserByEmail: user and email identity created, invite mail in the outbox",
    async () => {
      const { data, error } = await admin.auth.admin.inviteUserByEmail(invited, {
        data: { name: "Ivy" },
      });
      assert.equal(error, null);
      invitedId = data.user!.id;
      assert.ok(data.user!.invited_at);
      assert.equal(data.user!.email_confirmed_at, undefined);
      assert.deepEqual(data.user!.identities!.map((i) => i.provider), ["email"]);
      const [profile] = await db()`select name from public.users where id = ${invitedId}`;
      assert.equal(profile.name, "Ivy", "the product's auth trigger ran");
      const mail = await latestMail(invited);
      assert.equal(mail.Subject, "You have been invited");
      assert.equal(verifyLink(mail).searchParams.get("type"), "invite");
    },
  );

  await t.step("inviting a confirmed address: 422 email_exists", async () => {
    const { error } = await admin.auth.admin.inviteUserByEmail("owner@acme.test");
    apiError(error, 422, "email_exists");
  });

  await t.step(
    "the invite link: 303 with a session in the fragment; set a password; sign in",
    async () => {
      const link = verifyLink(await latestMail(invited));
      const fragment = await openLink(link);
      assert.equal(fragment.get("type"), "invite");
      const sb = frontend();
      const set = await sb.auth.setSession({
        access_token: fragment.get("access_token")!,
        refresh_token: fragment.get("refresh_token")!,
      });
      assert.equal(set.error, null);
      assert.equal(set.data.user!.id, invitedId);
      assert.ok(set.data.user!.email_confirmed_at);
      apiError((await sb.auth.updateUser({ password: "short" })).error, 422, "weak_password");
      assert.equal((await sb.auth.updateUser({ password: "invited-secret" })).error, null);
      const signIn = await frontend().auth.signInWithPassword({
        email: invited,
        password: "invited-secret",
      });
      assert.equal(signIn.error, null);
      const again = await openLink(link);
      assert.equal(again.get("error_code"), "otp_expired", "a link works once");
    },
  );

  await t.step("generateLink magiclink + verifyOtp(token_hash): session with amr otp", async () => {
    const { data, error } = await admin.auth.admin.generateLink({
      type: "magiclink",
      email: invited,
    });
    assert.equal(error, null);
    assert.equal(data.properties.verification_type, "magiclink");
    assert.match(data.properties.email_otp, /^\d{6}$/);
    const v = await frontend().auth.verifyOtp({
      token_hash: data.properties.hashed_token,
      type: "magiclink",
    });
    assert.equal(v.error, null);
    assert.deepEqual(
      (claimsOf(v.data.session!.access_token).amr as { method: string }[]).map((a) => a.method),
      ["otp"],
    );
  });

  await t.step("recovery code typed with the e-mail; an expired one: 403 otp_expired", async () => {
    const { data } = await admin.auth.admin.generateLink({ type: "recovery", email: invited });
    const ok = await frontend().auth.verifyOtp({
      email: invited,
      token: data.properties!.email_otp,
      type: "recovery",
    });
    assert.equal(ok.error, null);
    const { data: late } = await admin.auth.admin.generateLink({
      type: "recovery",
      email: invited,
    });
    await db()`update auth.users set recovery_sent_at = now() - interval '2 hours' where id = ${invitedId}`;
    const expired = await frontend().auth.verifyOtp({
      token_hash: late.properties!.hashed_token,
      type: "recovery",
    });
    apiError(expired.error, 403, "otp_expired");
    const unknown = await admin.auth.admin.generateLink({
      type: "recovery",
      email: freshEmail("none"),
    });
    apiError(unknown.error, 404, "user_not_found");
  });

  await t.step(
    "createUser / getUserById / listUsers pages / updateUserById / deleteUser",
    async () => {
      const email = freshEmail("crud");
      const { data, error } = await admin.auth.admin.createUser({
        email,
        password,
        email_confirm: true,
        app_metadata: { plan: "x" },
      });
      assert.equal(error, null);
      const id = data.user!.id;
      apiError((await admin.auth.admin.createUser({ email, password })).error, 422, "email_exists");
      assert.equal((await admin.auth.admin.getUserById(id)).data.user!.email, email);
      const page = await admin.auth.admin.listUsers({ page: 1, perPage: 2 });
      assert.equal(page.data.users.length, 2);
      const [{ n }] =
        await db()`select count(*)::int as n from auth.users where aud = 'authenticated'`;
      assert.equal((page.data as unknown as { total: number }).total, n);
      assert.equal((page.data as unknown as { nextPage: number }).nextPage, 2);
      const updated = await admin.auth.admin.updateUserById(id, {
        user_metadata: { name: "Renamed" },
      });
      assert.equal(updated.data.user!.user_metadata.name, "Renamed");
      assert.equal(updated.data.user!.app_metadata.plan, "x");
      assert.equal((await admin.auth.admin.deleteUser(id)).error, null);
      apiError((await admin.auth.admin.getUserById(id)).error, 404, "user_not_found");
      const [{ left }] =
        await db()`select count(*)::int as left from public.users where id = ${id}`;
      assert.equal(left, 0, "the product's profile goes with the Auth user");
    },
  );

  await t.step(
    "signInWithOtp: mail for a known address; unknown ones need sign-ups (off)",
    async () => {
      const { error } = await frontend().auth.signInWithOtp({ email: invited });
      assert.equal(error, null);
      const mail = await latestMail(invited);
      assert.equal(mail.Subject, "Your Magic Link");
      const fragment = await openLink(verifyLink(mail));
      assert.ok(fragment.get("access_token"));
      const unknown = await frontend().auth.signInWithOtp({ email: freshEmail("otp") });
      apiError(unknown.error, 422, "otp_disabled");
    },
  );
});

Deno.test({ name: "auth stand-in: done", ...options }, async () => {
  await closeAll();
});
