// The workflow-results bucket, through supabase-js's Storage client (the Storage API on
// Supabase, its stand-in locally). Writes use the secret key (service_role: the bucket has no
// write policies); signed URLs are made with the USER's token so storage.objects RLS decides
// who gets one.
import { env, publishableKey, storageAsService, storageAsUser } from "./clients.ts";

export const RESULTS_BUCKET = "workflow-results";

const extensions: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
};

/** Every extension an attempt's object may have (the mime type is known only afterwards). */
export const resultExtensions = Object.values(extensions);

export function extensionFor(mimeType: string): string | null {
  return extensions[mimeType.toLowerCase()] ?? null;
}

function serviceStorage() {
  return storageAsService().from(RESULTS_BUCKET);
}

function failed(what: string, error: { message?: string } | null): Error {
  return new Error(`storage ${what} failed: ${error?.message ?? "unknown error"}`);
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`storage ${what} timed out`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Uploads one generated image (never overwrites: every attempt has its own name). */
export async function uploadResult(
  path: string,
  bytes: Uint8Array,
  mimeType: string,
  timeoutMs = 30_000,
): Promise<void> {
  const { error } = await withTimeout(
    serviceStorage().upload(path, bytes, { contentType: mimeType, upsert: false }),
    timeoutMs,
    "upload",
  );
  if (error) throw failed(`upload of ${path}`, error);
}

/** Removes objects; names that do not exist are fine. */
export async function removeResults(paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += 1000) {
    const { error } = await serviceStorage().remove(paths.slice(i, i + 1000));
    if (error) throw failed("remove", error);
  }
}

/** Every object name under `<folder>/`. */
export async function listFolder(folder: string): Promise<string[]> {
  const names: string[] = [];
  const limit = 1000;
  for (let offset = 0;; offset += limit) {
    const { data, error } = await serviceStorage().list(folder, {
      limit,
      offset,
      sortBy: { column: "name", order: "asc" },
    });
    if (error) throw failed(`list of ${folder}`, error);
    for (const entry of data ?? []) {
      // Folders come back with a null id; results are flat files.
      if (entry.id) names.push(`${folder}/${entry.name}`);
    }
    if (!data || data.length < limit) return names;
  }
}

/**
 * Signed download URLs for `paths`, requested with the caller's own access token: Storage's
 * RLS answers per object, so a path the user may not read gets no URL (null).
 */
export async function signedUrlsAsUser(
  accessToken: string,
  paths: string[],
  expiresInSeconds = 3600,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (paths.length === 0) return out;
  const { data, error } = await storageAsUser(accessToken).from(RESULTS_BUCKET)
    .createSignedUrls(paths, expiresInSeconds);
  if (error) throw failed("signing", error);
  for (const entry of data ?? []) {
    if (entry.path) out.set(entry.path, entry.error ? null : entry.signedUrl);
  }
  return out;
}

/**
 * One result object downloaded with the caller's own access token (Storage's RLS decides), as
 * a stream: null when Storage refuses or has no such object. The body is not buffered here.
 */
export async function downloadAsUser(
  accessToken: string,
  path: string,
  signal?: AbortSignal,
): Promise<ReadableStream<Uint8Array> | null> {
  const apiKey = publishableKey();
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  const res = await fetch(
    `${env("SUPABASE_URL")}/storage/v1/object/authenticated/${RESULTS_BUCKET}/${encoded}`,
    { headers: { Authorization: `Bearer ${accessToken}`, apikey: apiKey }, signal },
  );
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    return null;
  }
  return res.body;
}
