// Forged and broken credentials for the auth-attack suite: each is what an attacker (or a
// buggy client) would send instead of a valid Supabase access token.
import { exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import { keys, stack } from "./stack.ts";

function b64url(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

function claims(sub: string, email: string, lifetime = 3600): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: `${stack().apiUrl}/auth/v1`,
    sub,
    aud: "authenticated",
    role: "authenticated",
    email,
    iat: now - 10,
    exp: now + lifetime,
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    app_metadata: { provider: "email" },
    user_metadata: {},
  };
}

export interface Forged {
  name: string;
  /** Headers sent instead of the actor's own. */
  headers: Record<string, string>;
}

/** Every broken or forged user credential, for a real user id/e-mail (so only the crypto lies). */
export async function forgedUserCredentials(sub: string, email: string): Promise<Forged[]> {
  const k = await keys();
  const apikey = stack().anonKey;
  const bearer = (token: string) => ({ apikey, authorization: `Bearer ${token}` });
  const payload = claims(sub, email);

  const other = await generateKeyPair("ES256", { extractable: true });
  const wrongSignature = await new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "JWT" })
    .sign(other.privateKey);

  const ours = await importJWK(k.privateJwk as Parameters<typeof importJWK>[0], "ES256");
  const expired = await new SignJWT(claims(sub, email, -120))
    .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "JWT" })
    .sign(ours);
  const noExp = { ...payload };
  delete noExp.exp;
  const noExpiry = await new SignJWT(noExp)
    .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "JWT" })
    .sign(ours);
  const noKid = await new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", typ: "JWT" })
    .sign(ours);
  const valid = await new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "JWT" })
    .sign(ours);
  const [h, , s] = valid.split(".");
  // The signature of the genuine token over another payload (admin claims added).
  const swappedPayload = `${h}.${
    b64url(JSON.stringify({ ...payload, role: "service_role" }))
  }.${s}`;

  const algNone = `${b64url(JSON.stringify({ alg: "none", kid: k.kid, typ: "JWT" }))}.${
    b64url(JSON.stringify(payload))
  }.`;

  // The classic confusion attack: HMAC keyed with the public key, as PEM and as JWK text.
  const publicKey = await importJWK(k.publicJwk as Parameters<typeof importJWK>[0], "ES256");
  const pem = await exportSPKI(publicKey as CryptoKey);
  const hs256 = async (secret: string) =>
    await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", kid: k.kid, typ: "JWT" })
      .sign(new TextEncoder().encode(secret));

  return [
    { name: "no credentials", headers: {} },
    { name: "apikey only", headers: { apikey } },
    { name: "malformed bearer", headers: bearer("not.a.jwt") },
    { name: "bearer without token", headers: { apikey, authorization: "Bearer" } },
    { name: "basic auth", headers: { apikey, authorization: `Basic ${btoa("a:b")}` } },
    { name: "wrong signature", headers: bearer(wrongSignature) },
    { name: "signature of another payload", headers: bearer(swappedPayload) },
    { name: "expired", headers: bearer(expired) },
    { name: "no exp", headers: bearer(noExpiry) },
    { name: "no kid", headers: bearer(noKid) },
    { name: "alg none", headers: bearer(algNone) },
    { name: "HS256 keyed with the public key (PEM)", headers: bearer(await hs256(pem)) },
    {
      name: "HS256 keyed with the public key (JWK)",
      headers: bearer(await hs256(JSON.stringify(k.publicJwk))),
    },
    { name: "anon key as user", headers: bearer(stack().anonKey) },
    { name: "service_role JWT as user", headers: bearer(stack().serviceRoleKey) },
    { name: "publishable key as bearer", headers: bearer(stack().publishableKey) },
    { name: "secret key as bearer", headers: bearer(stack().secretKey) },
  ];
}

/** Credentials that must not pass as the service (process-batch), given a valid user token. */
export function forgedServiceCredentials(userToken: string): Forged[] {
  const s = stack();
  return [
    { name: "no credentials", headers: {} },
    { name: "user token", headers: { apikey: s.anonKey, authorization: `Bearer ${userToken}` } },
    { name: "user token as apikey", headers: { apikey: userToken } },
    { name: "anon key", headers: { apikey: s.anonKey, authorization: `Bearer ${s.anonKey}` } },
    { name: "publishable key as secret", headers: { apikey: s.publishableKey } },
    {
      name: "publishable key as bearer",
      headers: { apikey: s.publishableKey, authorization: `Bearer ${s.publishableKey}` },
    },
    { name: "secret key with a typo", headers: { apikey: `${s.secretKey.slice(0, -1)}x` } },
    { name: "secret key prefix", headers: { apikey: s.secretKey.slice(0, 20) } },
  ];
}
