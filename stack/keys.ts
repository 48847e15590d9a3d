// Signing material of one local stack instance: the ES256 key that plays Supabase Auth's JWT
// signing key, the legacy anon/service_role JWT keys, the new-format sb_publishable_/sb_secret_
// API keys and the Storage signing secret. Created once per instance, then reused, so tokens
// minted by `deno task stack token` stay valid across restarts.
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";

export interface StackKeys {
  kid: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  storageSecret: string;
}

const ALG = "ES256";
const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;
const ACCESS_TOKEN_SECONDS = 3600; // Supabase Auth's default jwt_expiry

function randomToken(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

// Importing a JWK costs a WebCrypto call; minting happens per test and per benchmark user.
type SigningKey = ReturnType<typeof importJWK>;
const signingKeys = new WeakMap<StackKeys, SigningKey>();
function signingKey(keys: StackKeys): SigningKey {
  let key = signingKeys.get(keys);
  if (!key) {
    key = importJWK(keys.privateJwk as Parameters<typeof importJWK>[0], ALG);
    signingKeys.set(keys, key);
  }
  return key;
}

async function sign(
  keys: StackKeys,
  claims: Record<string, unknown>,
  expiresInSeconds: number,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: keys.kid, typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(await signingKey(keys));
}

async function createKeys(): Promise<StackKeys> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = crypto.randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG } as JsonWebKey;
  // Same fields Supabase Auth publishes at /auth/v1/.well-known/jwks.json.
  const publicJwk = {
    ...(await exportJWK(publicKey)),
    kid,
    alg: ALG,
    use: "sig",
    key_ops: ["verify"],
    ext: true,
  } as JsonWebKey;
  const partial: StackKeys = {
    kid,
    privateJwk,
    publicJwk,
    anonKey: "",
    serviceRoleKey: "",
    publishableKey: `sb_publishable_${randomToken(24)}`,
    secretKey: `sb_secret_${randomToken(32)}`,
    storageSecret: randomToken(32),
  };
  // Legacy API keys carry no sub, like the anon/service_role keys of a hosted project.
  const legacy = (role: string) =>
    sign(partial, { iss: "supabase", ref: "masstock", role }, TEN_YEARS_SECONDS);
  return {
    ...partial,
    anonKey: await legacy("anon"),
    serviceRoleKey: await legacy("service_role"),
  };
}

/** Reads `${stackDir}/keys.json`, creating it (mode 0600) the first time. */
export async function loadOrCreateKeys(stackDir: string): Promise<StackKeys> {
  const path = `${stackDir}/keys.json`;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as StackKeys;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(stackDir, { recursive: true });
  const keys = await createKeys();
  // Write aside, then hard-link into place: link fails if another process won the race,
  // so every process ends up with the same keys and nobody reads a half-written file.
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  try {
    await Deno.link(tmp, path);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    return JSON.parse(await Deno.readTextFile(path)) as StackKeys;
  } finally {
    await Deno.remove(tmp);
  }
  return keys;
}

/**
 * An access token shaped like Supabase Auth's. `iss` defaults to `${SUPABASE_URL}/auth/v1`
 * when that variable is set; callers that know the stack's apiUrl pass `extraClaims.iss`.
 */
export async function mintAccessToken(
  keys: StackKeys,
  user: {
    sub: string;
    email: string;
    expiresInSeconds?: number;
    extraClaims?: Record<string, unknown>;
  },
): Promise<string> {
  const baseUrl = Deno.env.get("SUPABASE_URL") ?? "http://127.0.0.1:54321";
  return await sign(
    keys,
    {
      iss: `${baseUrl.replace(/\/+$/, "")}/auth/v1`,
      sub: user.sub,
      aud: "authenticated",
      role: "authenticated",
      email: user.email,
      phone: "",
      aal: "aal1",
      amr: [{ method: "password", timestamp: Math.floor(Date.now() / 1000) }],
      session_id: crypto.randomUUID(),
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: {},
      ...user.extraClaims,
    },
    user.expiresInSeconds ?? ACCESS_TOKEN_SECONDS,
  );
}

export function publicJwks(keys: StackKeys): { keys: JsonWebKey[] } {
  return { keys: [keys.publicJwk] };
}
