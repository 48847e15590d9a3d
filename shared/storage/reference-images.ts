// The reference-images bucket: clients upload with signed upload URLs made with their OWN token
// (storage.objects RLS: only a member of the folder's client may upload into it), the link
// downloads with the secret key, and deletion and retention remove through the Storage API.
// Object names are `<client_id>/<uuid>.<ext>` (private.plan_reference_uploads makes them).
import { createClient, type SupabaseClient } from "@supabase/supabase-js";

export const REFERENCES_BUCKET = "reference-images";

/** Storage's signed upload URLs live 2 hours (hosted's fixed lifetime). */
export const SIGNED_UPLOAD_SECONDS = 2 * 60 * 60;

function env(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function firstKey(json: string | undefined): string | undefined {
  if (!json) return undefined;
  try {
    return (JSON.parse(json) as Record<string, string>).default;
  } catch {
    return undefined;
  }
}

const clientOptions = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

function asUser(accessToken: string): SupabaseClient {
  const apiKey = firstKey(Deno.env.get("SUPABASE_PUBLISHABLE_KEYS")) ?? env("SUPABASE_ANON_KEY");
  return createClient(env("SUPABASE_URL"), apiKey, {
    auth: clientOptions,
    global: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
}

let service: SupabaseClient | undefined;

function serviceBucket() {
  service ??= createClient(
    env("SUPABASE_URL"),
    firstKey(Deno.env.get("SUPABASE_SECRET_KEYS")) ?? env("SUPABASE_SERVICE_ROLE_KEY"),
    { auth: clientOptions },
  );
  return service.storage.from(REFERENCES_BUCKET);
}

export interface ReferenceUpload {
  bucket: string;
  path: string;
  token: string;
  signed_url: string;
  expires_at: string;
}

/** A signed upload URL for `path` as the caller, or Storage's refusal. */
export async function signedReferenceUpload(
  accessToken: string,
  path: string,
): Promise<{ upload: ReferenceUpload } | { error: string }> {
  const { data, error } = await asUser(accessToken).storage.from(REFERENCES_BUCKET)
    .createSignedUploadUrl(path);
  if (error || !data) return { error: error?.message ?? "no signed upload URL returned" };
  return {
    upload: {
      bucket: REFERENCES_BUCKET,
      path,
      token: data.token,
      signed_url: data.signedUrl,
      expires_at: new Date(Date.now() + SIGNED_UPLOAD_SECONDS * 1000).toISOString(),
    },
  };
}

/** One reference object's bytes (service): one Storage GET. */
export async function downloadReference(path: string, timeoutMs = 15_000): Promise<Uint8Array> {
  const { data, error } = await serviceBucket().download(path, {}, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (error || !data) {
    throw new Error(`storage download of reference ${path} failed: ${error?.message}`);
  }
  return new Uint8Array(await data.arrayBuffer());
}

/** Removes reference objects (service); names that do not exist are fine. */
export async function removeReferences(paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += 1000) {
    const { error } = await serviceBucket().remove(paths.slice(i, i + 1000));
    if (error) throw new Error(`storage remove failed: ${error.message}`);
  }
}
