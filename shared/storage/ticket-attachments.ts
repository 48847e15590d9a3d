// The ticket-attachments bucket, through supabase-js's Storage client with the CALLER's token:
// Storage asks storage.objects RLS whether this user may upload (when the signed upload URL is
// made) or remove, so functions never decide it and never hold a file's bytes.
import { type SignedUpload, signedUploadAsUser as signedUpload, storageAsUser } from "./clients.ts";

export const ATTACHMENTS_BUCKET = "ticket-attachments";

export type { SignedUpload };

/** A signed upload URL for `path`, or the Storage error's message when Storage refuses. */
export function signedUploadAsUser(
  accessToken: string,
  path: string,
): Promise<{ upload: SignedUpload } | { error: string }> {
  return signedUpload(accessToken, ATTACHMENTS_BUCKET, path);
}

/** Removes objects as the caller (RLS: admins only); returns the names Storage removed. */
export async function removeAsUser(accessToken: string, paths: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (let i = 0; i < paths.length; i += 1000) {
    const { data, error } = await storageAsUser(accessToken).from(ATTACHMENTS_BUCKET)
      .remove(paths.slice(i, i + 1000));
    if (error) throw new Error(`storage remove failed: ${error.message}`);
    for (const row of data ?? []) removed.push(row.name);
  }
  return removed;
}
