// The reference-images bucket: clients upload with signed upload URLs made with their OWN token
// (storage.objects RLS: only a member of the folder's client may upload into it), the link
// downloads with the secret key, and deletion and retention remove through the Storage API.
// Object names are `<client_id>/<uuid>.<ext>` (private.plan_reference_uploads makes them).
import { type SignedUpload, signedUploadAsUser, storageAsService } from "./clients.ts";

export const REFERENCES_BUCKET = "reference-images";

export type ReferenceUpload = SignedUpload;

function serviceBucket() {
  return storageAsService().from(REFERENCES_BUCKET);
}

/** A signed upload URL for `path` as the caller, or Storage's refusal. */
export function signedReferenceUpload(
  accessToken: string,
  path: string,
): Promise<{ upload: ReferenceUpload } | { error: string }> {
  return signedUploadAsUser(accessToken, REFERENCES_BUCKET, path);
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
