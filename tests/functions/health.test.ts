// The path every user request takes: gateway JWT check (verify_jwt), the function's own
// user check (@supabase/server), and SQL run as that user (role authenticated, auth.uid()).
import assert from "node:assert/strict";
import { generateKeyPair, SignJWT } from "jose";
import { FunctionsHttpError } from "@supabase/supabase-js";
import {
  anonClient,
  closeAll,
  keys,
  stack,
  tokenFor,
  userClient,
  userId,
} from "../helpers/stack.ts";

const OWNER = "owner@acme.test";

/** Calls health with exactly this bearer token (or the anon key's default when omitted). */
async function invokeHealth(bearer?: string) {
  const headers: Record<string, string> = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  return await anonClient().functions.invoke("health", { method: "GET", headers });
}

/** Status and error body of a failed invoke (reading the body frees the connection). */
async function failure(result: Awaited<ReturnType<typeof invokeHealth>>) {
  assert.ok(
    result.error instanceof FunctionsHttpError,
    `expected an HTTP error, got ${result.error}`,
  );
  const res = result.error.context as Response;
  return { status: res.status, body: await res.json() };
}

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

Deno.test("health", async (t) => {
  await t.step("a signed-in user reaches the database as themself", async () => {
    const client = await userClient(OWNER);
    const { data, error } = await client.functions.invoke("health", { method: "GET" });
    assert.deepEqual(error, null);
    assert.deepEqual(data, { ok: true, user_id: await userId(OWNER), db_role: "authenticated" });
  });

  await t.step("the anon key alone is refused by the function (no user)", async () => {
    const { status, body } = await failure(await invokeHealth());
    assert.deepEqual(status, 401);
    assert.deepEqual(body.error.code, "unauthorized");
  });

  await t.step("a token signed by another key with the same kid is refused", async () => {
    const { kid } = await keys();
    const { privateKey } = await generateKeyPair("ES256");
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      sub: await userId(OWNER),
      email: OWNER,
      role: "authenticated",
      aud: "authenticated",
    }).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).setIssuedAt(now)
      .setExpirationTime(now + 600).sign(privateKey);
    const { status, body } = await failure(await invokeHealth(forged));
    assert.deepEqual(status, 401);
    assert.deepEqual(body, { error: { code: "unauthorized", message: "Invalid JWT" } });
  });

  await t.step("an expired token is refused", async () => {
    const expired = await tokenFor(OWNER, { expiresInSeconds: -60 });
    const { status, body } = await failure(await invokeHealth(expired));
    assert.deepEqual(status, 401);
    assert.deepEqual(body.error.message, "JWT has expired");
  });

  await t.step("an unsigned token (alg none) is refused", async () => {
    const { kid } = await keys();
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64url({ alg: "none", typ: "JWT", kid })}.${
      b64url({
        sub: await userId(OWNER),
        role: "authenticated",
        aud: "authenticated",
        exp: now + 600,
      })
    }.`;
    const { status } = await failure(await invokeHealth(unsigned));
    assert.deepEqual(status, 401);
  });

  await t.step("service credentials are not a user", async () => {
    // The legacy service_role JWT passes the gateway (any role does) but names no user.
    const legacy = await failure(await invokeHealth(stack().serviceRoleKey));
    assert.deepEqual(legacy.status, 401);
    assert.deepEqual(legacy.body.error.code, "unauthorized");
    // The sb_secret_ key is not a JWT at all: the gateway refuses it.
    const secret = await failure(await invokeHealth(stack().secretKey));
    assert.deepEqual(secret.status, 401);
  });

  await t.step("a token from the wrong audience is refused by the function", async () => {
    const token = await tokenFor(OWNER, { extraClaims: { aud: "something-else" } });
    const { status } = await failure(await invokeHealth(token));
    assert.deepEqual(status, 401);
  });

  await t.step("CORS preflight is answered without credentials", async () => {
    const res = await fetch(`${stack().apiUrl}/functions/v1/health`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    await res.body?.cancel();
    assert.deepEqual(res.status, 204);
    assert.deepEqual(res.headers.get("access-control-allow-origin"), "*");
    for (const header of ["authorization", "x-client-info", "apikey", "content-type"]) {
      assert.match(res.headers.get("access-control-allow-headers") ?? "", new RegExp(header));
    }
    for (const header of ["idempotency-key", "x-request-id"]) {
      assert.match(res.headers.get("access-control-allow-headers") ?? "", new RegExp(header));
    }
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
  });

  await t.step("the caller's request id comes back; answers carry CORS headers", async () => {
    const res = await fetch(`${stack().apiUrl}/functions/v1/health`, {
      headers: { Authorization: `Bearer ${await tokenFor(OWNER)}`, "x-request-id": "req-42" },
    });
    assert.deepEqual(res.status, 200);
    assert.deepEqual((await res.json()).ok, true);
    assert.deepEqual(res.headers.get("x-request-id"), "req-42");
    assert.deepEqual(res.headers.get("access-control-allow-origin"), "*");
  });

  await t.step("unknown routes and functions answer 404 JSON", async () => {
    const bearer = { Authorization: `Bearer ${await tokenFor(OWNER)}` };
    const inFunction = await fetch(`${stack().apiUrl}/functions/v1/health/nope`, {
      headers: bearer,
    });
    assert.deepEqual(inFunction.status, 404);
    assert.deepEqual((await inFunction.json()).error.code, "not_found");
    const noFunction = await fetch(`${stack().apiUrl}/functions/v1/no-such-function`, {
      headers: bearer,
    });
    assert.deepEqual(noFunction.status, 404);
    assert.deepEqual((await noFunction.json()).error.code, "not_found");
  });

  await t.step("the JWKS endpoint publishes only the public key", async () => {
    const res = await fetch(`${stack().apiUrl}/auth/v1/.well-known/jwks.json`);
    const jwks = await res.json();
    assert.deepEqual(jwks.keys.length, 1);
    assert.deepEqual(jwks.keys[0].kid, (await keys()).kid);
    assert.deepEqual(jwks.keys[0].alg, "ES256");
    assert.deepEqual(jwks.keys[0].d, undefined);
  });

  await closeAll();
});
