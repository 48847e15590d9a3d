// Supabase Auth's admin API, the one way the product creates people (supabase-js
// `auth.admin.*` with the project's secret key). Called only after the database, as the
// caller, has accepted the change it belongs to (an invitation, a suspension), so RLS still
// decides who may cause it.
import { createClient, isAuthApiError, type SupabaseClient } from "@supabase/supabase-js";
import { HttpError } from "../core/errors.ts";

let client: SupabaseClient | undefined;

function secretKey(): string {
  const keys = Deno.env.get("SUPABASE_SECRET_KEYS");
  if (keys) {
    const parsed = JSON.parse(keys) as Record<string, string>;
    if (parsed.default) return parsed.default;
  }
  const legacy = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");
  if (!legacy) throw new Error("neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is set");
  return legacy;
}

function admin(): SupabaseClient {
  if (!client) {
    const url = Deno.env.get("SUPABASE_URL");
    if (!url) throw new Error("SUPABASE_URL is not set");
    client = createClient(url, secretKey(), {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
  }
  return client;
}

export type InviteOutcome = "invited" | "has_account";

/**
 * Sends Auth's invite e-mail to an address without a confirmed account ("invited"); an
 * address that has one is left alone ("has_account": that person sees the invitation when
 * signed in). Anything else Auth refuses is a fault (502).
 */
export async function inviteByEmail(
  email: string,
  data: Record<string, unknown> = {},
): Promise<InviteOutcome> {
  const { error } = await admin().auth.admin.inviteUserByEmail(email, { data });
  if (!error) return "invited";
  if (isAuthApiError(error) && error.code === "email_exists") return "has_account";
  // Sent moments ago: the first mail still holds a valid link.
  if (isAuthApiError(error) && error.code === "over_email_send_rate_limit") return "invited";
  throw new HttpError(
    "auth_unavailable",
    `Supabase Auth refused the invite: ${error.message}`,
  );
}

/** Bans (until reactivated) or unbans a user in Auth, so no new session can start. */
export async function setAuthBan(userId: string, banned: boolean): Promise<void> {
  const { error } = await admin().auth.admin.updateUserById(userId, {
    ban_duration: banned ? "876000h" : "none",
  });
  if (!error) return;
  if (isAuthApiError(error) && error.code === "user_not_found") return;
  throw new HttpError(
    "auth_unavailable",
    `Supabase Auth refused the change: ${error.message}`,
  );
}
