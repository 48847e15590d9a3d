// The ticket-attachments bucket, through supabase-js's Storage client with the CALLER's token:
// Storage asks storage.objects RLS whether this user may upload (when the signed upload URL is
// made) or remove, so functions never decide it and never hold a file's bytes.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";

export const ATTACHMENTS_BUCKET = "ticket-attachments";

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

function asUser(accessToken: string): SupabaseClient {
  const apiKey = firstKey(Deno.env.get("SUPABASE_PUBLISHABLE_KEYS")) ?? env("SUPABASE_ANON_KEY");
  return createClient(env("SUPABASE_URL"), apiKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
}

export interface SignedUpload {
  bucket: string;
  path: string;
  token: string;
  signed_url: string;
  expires_at: string;
}

/** A signed upload URL for `path`, or the Storage error's message when Storage refuses. */
export async function signedUploadAsUser(
  accessToken: string,
  path: string,
): Promise<{ upload: SignedUpload } | { error: string }> {
  const { data, error } = await asUser(accessToken).storage.from(ATTACHMENTS_BUCKET)
    .createSignedUploadUrl(path);
  if (error || !data) return { error: error?.message ?? "no signed upload URL returned" };
  return {
    upload: {
      bucket: ATTACHMENTS_BUCKET,
      path,
      token: data.token,
      signed_url: data.signedUrl,
      expires_at: new Date(Date.now() + SIGNED_UPLOAD_SECONDS * 1000).toISOString(),
    },
  };
}

/** Removes objects as the caller (RLS: admins only); returns the names Storage removed. */
export async function removeAsUser(accessToken: string, paths: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (let i = 0; i < paths.length; i += 1000) {
    const { data, error } = await asUser(accessToken).storage.from(ATTACHMENTS_BUCKET)
      .remove(paths.slice(i, i + 1000));
    if (error) throw new Error(`storage remove failed: ${error.message}`);
    for (const row of data ?? []) removed.push(row.name);
  }
  return removed;
}
