// Storage clients every bucket module uses: one as the caller (Storage asks storage.objects RLS
// with the caller's token, so functions never decide access) and one with the secret key (for
// the chain's own writes), plus the signed upload URL both upload buckets hand out.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";

/** Storage's signed upload URLs live 2 hours (hosted's fixed lifetime). */
export const SIGNED_UPLOAD_SECONDS = 2 * 60 * 60;

export function env(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// Hosted Edge Functions get the new API keys as JSON maps; the legacy single keys stay the
// fallback (local stack, older projects).
function firstKey(json: string | undefined): string | undefined {
  if (!json) return undefined;
  try {
    return (JSON.parse(json) as Record<string, string>).default;
  } catch {
    return undefined;
  }
}

/** The publishable (anon) key a caller's request goes out with beside its own token. */
export function publishableKey(): string {
  return firstKey(Deno.env.get("SUPABASE_PUBLISHABLE_KEYS")) ?? env("SUPABASE_ANON_KEY");
}

const clientOptions = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

/** A Storage client that acts as the caller. */
export function storageAsUser(accessToken: string): SupabaseClient["storage"] {
  return createClient(env("SUPABASE_URL"), publishableKey(), {
    auth: clientOptions,
    global: { headers: { Authorization: `Bearer ${accessToken}` } },
  }).storage;
}

let service: SupabaseClient | undefined;

/** The Storage client with the secret key, made once per worker. */
export function storageAsService(): SupabaseClient["storage"] {
  service ??= createClient(
    env("SUPABASE_URL"),
    firstKey(Deno.env.get("SUPABASE_SECRET_KEYS")) ?? env("SUPABASE_SERVICE_ROLE_KEY"),
    { auth: clientOptions },
  );
  return service.storage;
}

export interface SignedUpload {
  bucket: string;
  path: string;
  token: string;
  signed_url: string;
  expires_at: string;
}

/** A signed upload URL for `bucket`/`path` as the caller, or Storage's refusal. */
export async function signedUploadAsUser(
  accessToken: string,
  bucket: string,
  path: string,
): Promise<{ upload: SignedUpload } | { error: string }> {
  const { data, error } = await storageAsUser(accessToken).from(bucket)
    .createSignedUploadUrl(path);
  if (error || !data) return { error: error?.message ?? "no signed upload URL returned" };
  return {
    upload: {
      bucket,
      path,
      token: data.token,
      signed_url: data.signedUrl,
      expires_at: new Date(Date.now() + SIGNED_UPLOAD_SECONDS * 1000).toISOString(),
    },
  };
}
