// shared/auth/auth.ts remembers tokens it verified (shared/auth/verified-tokens.ts). Remembering must
// never widen what is accepted: a token that differs in any byte is verified afresh, an entry
// ends at the token's exp (or the cap) whatever the cache holds, the cache stays bounded, and
// the claims it hands out cannot be changed by one request for the next.
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { requireUser } from "../../shared/auth/auth.ts";
import { HttpError } from "../../shared/core/errors.ts";
import { VerifiedTokens } from "../../shared/auth/verified-tokens.ts";

async function signer() {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = crypto.randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] };
  const sign = (claims: Record<string, unknown>, expSeconds: number) =>
    new SignJWT({ role: "authenticated", email: "a@example.com", ...claims })
      .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
      .setSubject(crypto.randomUUID())
      .setAudience("authenticated")
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(privateKey);
  return { jwks, sign };
}

function bearer(token: string): Request {
  return new Request("http://local/", { headers: { authorization: `Bearer ${token}` } });
}

async function status(req: Request): Promise<number> {
  try {
    await requireUser(req);
    return 200;
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
}

async function withJwks<T>(jwks: unknown, fn: () => Promise<T>): Promise<T> {
  const vars = {
    SUPABASE_JWKS: JSON.stringify(jwks),
    SUPABASE_URL: Deno.env.get("SUPABASE_URL") ?? "http://127.0.0.1:54321",
  };
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

Deno.test("requireUser: a remembered token does not let a tampered one through", async () => {
  const { jwks, sign } = await signer();
  await withJwks(jwks, async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign({}, now + 600);
    assert.equal(await status(bearer(token)), 200);
    assert.equal(await status(bearer(token)), 200, "the second call is answered from memory");
    const [header, payload, signature] = token.split(".");
    const flipped = signature[5] === "A" ? "B" : "A";
    const tampered = `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`;
    assert.equal(await status(bearer(tampered)), 401);
    const other = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const swapped = btoa(JSON.stringify({ ...other, sub: crypto.randomUUID() }))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    assert.equal(await status(bearer(`${header}.${swapped}.${signature}`)), 401);
  });
});

Deno.test("requireUser: a remembered token is refused once it expires", async () => {
  const { jwks, sign } = await signer();
  await withJwks(jwks, async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await sign({}, exp);
    assert.equal(await status(bearer(token)), 200);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    assert.equal(await status(bearer(token)), 401);
  });
});

Deno.test("requireUser: a token signed by a key the JWKS does not hold is refused", async () => {
  const trusted = await signer();
  const rogue = await signer();
  await withJwks(trusted.jwks, async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    assert.equal(await status(bearer(await trusted.sign({}, exp))), 200);
    assert.equal(await status(bearer(await rogue.sign({}, exp))), 401);
  });
});

Deno.test("VerifiedTokens: entries end at exp or the cap, whichever is first", () => {
  let now = 1_000_000;
  const cache = new VerifiedTokens(10, 60_000, () => now);
  cache.remember("short", { sub: "u1", exp: (now + 5_000) / 1000 });
  cache.remember("long", { sub: "u2", exp: (now + 3_600_000) / 1000 });
  cache.remember("expired", { sub: "u3", exp: (now - 1) / 1000 });
  cache.remember("no-exp", { sub: "u4" });
  assert.equal(cache.get("short")?.sub, "u1");
  assert.equal(cache.get("long")?.sub, "u2");
  assert.equal(cache.get("expired"), undefined, "an already expired token is not remembered");
  assert.equal(cache.get("no-exp"), undefined, "a token without exp is not remembered");
  now += 5_000;
  assert.equal(cache.get("short"), undefined);
  assert.equal(cache.get("long")?.sub, "u2");
  now += 55_000;
  assert.equal(cache.get("long"), undefined, "the cap ends an entry before exp");
  assert.equal(cache.size, 0);
});

Deno.test("VerifiedTokens: bounded, oldest out first; claims are frozen", () => {
  const cache = new VerifiedTokens(3, 60_000, () => 0);
  for (const t of ["a", "b", "c", "d"]) cache.remember(t, { sub: t, exp: 3600 });
  assert.equal(cache.size, 3);
  assert.equal(cache.get("a"), undefined);
  assert.deepEqual(["b", "c", "d"].map((t) => cache.get(t)?.sub), ["b", "c", "d"]);
  const claims = cache.get("b")!;
  assert.throws(() => {
    (claims as Record<string, unknown>).sub = "someone-else";
  }, TypeError);
  cache.remember("m", { sub: "m", exp: 3600, app_metadata: { role: "x" } });
  assert.throws(() => {
    (cache.get("m")!.app_metadata as Record<string, unknown>).role = "admin";
  }, TypeError);
});
