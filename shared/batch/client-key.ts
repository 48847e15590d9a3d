// The client's stored Gemini key for a run on the client's key that brought none of its own:
// read (sealed) once per link, and marked rejected when Google refuses it, so the owners learn
// of it (status, audit trail, a Realtime message) and later starts are refused up front.
import { log } from "../core/log.ts";
import { asService } from "../db/db.ts";
import { openClientApiKey } from "../secrets/secrets.ts";

export interface ClientKey {
  clientId: string;
  fingerprint: string;
  apiKey: string;
}

interface Stored {
  client_id: string;
  api_key_ciphertext: string;
  fingerprint: string;
  status: string;
}

/** The stored key, opened; null when the client has none (the run then fails as keyless). */
export async function loadClientKey(executionId: string): Promise<ClientKey | null> {
  const [{ key }] = await asService((tx) =>
    tx`select private.execution_client_api_key(${executionId}) as key`
  );
  const stored = key as Stored | null;
  if (!stored) return null;
  if (stored.status !== "active") {
    throw new Error("The client's stored Gemini API key was rejected by Google; set a new one");
  }
  try {
    return {
      clientId: stored.client_id,
      fingerprint: stored.fingerprint,
      apiKey: await openClientApiKey(stored.api_key_ciphertext, stored.client_id),
    };
  } catch {
    throw new Error("The client's stored Gemini API key cannot be decrypted");
  }
}

/** Google refused the stored key: mark it (only if it was not rotated meanwhile). */
export async function reportRejectedClientKey(key: ClientKey, reason: string): Promise<void> {
  try {
    await asService((tx) =>
      tx`select private.reject_client_api_key(${key.clientId}, ${key.fingerprint}, ${reason})`
    );
  } catch (err) {
    log("error", "could not mark the client's Gemini key rejected", { error: String(err) });
  }
}
