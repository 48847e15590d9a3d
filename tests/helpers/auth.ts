// Test helpers for the Auth stand-in: supabase-js clients that talk to /auth/v1 the way a
// frontend (anon key) or a server (secret key) does, the local mail outbox, and users
// created through Auth's admin API.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { stack } from "./stack.ts";

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

/** A browser-like client: anon key, its own in-memory session. */
export function frontend(): SupabaseClient {
  return createClient(stack().apiUrl, stack().anonKey, { auth: noSession });
}

/** A server-side client with the secret key (auth.admin.*). */
export function adminAuth(): SupabaseClient {
  return createClient(stack().apiUrl, stack().secretKey, { auth: noSession });
}

export interface OutboxMail {
  ID: string;
  To: { Address: string }[];
  Subject: string;
  Text: string;
  HTML: string;
}

/** The newest mail to `address` in the outbox (listing endpoint), waiting up to 5 s. */
export async function latestMail(address: string): Promise<OutboxMail> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const url = `${stack().apiUrl}/mail/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`;
    const list = await (await fetch(url)).json() as { messages: { ID: string }[] };
    if (list.messages.length) {
      const res = await fetch(`${stack().apiUrl}/mail/api/v1/message/${list.messages[0].ID}`);
      return await res.json() as OutboxMail;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${address} in the outbox`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first link in a mail that points at Auth's /verify. */
export function verifyLink(mail: OutboxMail): URL {
  const href = /href="([^"]+\/auth\/v1\/verify[^"]*)"/.exec(mail.HTML)?.[1];
  if (!href) throw new Error(`no verify link in "${mail.Subject}"`);
  return new URL(href.replaceAll("&amp;", "&"));
}

/**
 * Opens an e-mailed link as a browser would (GET, no API key) and returns the session Auth
 * puts in the redirect's fragment (or its error fields).
 */
export async function openLink(link: URL): Promise<URLSearchParams & { status?: number }> {
  const res = await fetch(link, { redirect: "manual" });
  await res.body?.cancel();
  if (res.status !== 303) throw new Error(`verify link answered ${res.status}`);
  const location = new URL(res.headers.get("location")!);
  return new URLSearchParams(location.hash.slice(1));
}

/** A unique address for one test. */
export function freshEmail(tag: string): string {
  return `${tag}-${crypto.randomUUID().slice(0, 8)}@auth.test`;
}
