// Realtime from a test: a supabase-js client per viewer and a `watch` of one topic through its
// own `channel()` API, recording the subscribe status (with how long the server took to
// answer), every broadcast and every `system` message.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { stack } from "./stack.ts";

export interface Received {
  event: string;
  payload: Record<string, unknown>;
  meta?: Record<string, unknown>;
  at: number;
}

export interface Watch {
  client: SupabaseClient;
  /** SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT or CLOSED: the first answer to the join. */
  joined: Promise<{ status: string; error?: string; ms: number }>;
  /** Every status the channel went through (the join's answer, later CLOSED, ...). */
  statuses: string[];
  messages: Received[];
  system: Record<string, unknown>[];
  next(event: string, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export interface Viewer {
  client: SupabaseClient;
  /** The access token the client hands Realtime; change it and call refresh(). */
  token: string | null;
  refresh(): Promise<void>;
}

/**
 * A frontend's supabase-js client for Realtime. With a token it is configured as a signed-in
 * app's would be (`accessToken`: realtime-js asks it on connect and on every heartbeat); with
 * null it only has the anon key, like a visitor who never signed in.
 */
export async function viewer(token: string | null, apiKey = stack().anonKey): Promise<Viewer> {
  const v: Viewer = {
    token,
    client: undefined as unknown as SupabaseClient,
    refresh: () => v.client.realtime.setAuth(),
  };
  v.client = createClient(stack().apiUrl, apiKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(token === null ? {} : { accessToken: () => Promise.resolve(v.token) }),
  });
  // Without this, the first join can leave before the callback answered (realtime-js sends the
  // join with whatever token it has at that moment).
  if (token !== null) await v.client.realtime.setAuth();
  return v;
}

export function watch(
  v: Viewer,
  topic: string,
  options: { private?: boolean; self?: boolean; ack?: boolean } = {},
): Watch {
  const messages: Received[] = [];
  const system: Record<string, unknown>[] = [];
  const statuses: string[] = [];
  const waiters: { event: string; resolve: (m: Received) => void }[] = [];
  const started = Date.now();
  const channel = v.client.channel(topic, {
    config: {
      private: options.private ?? true,
      broadcast: { self: options.self ?? false, ack: options.ack ?? false },
    },
  });
  channel.on("broadcast", { event: "*" }, (message) => {
    const received = { ...(message as unknown as Omit<Received, "at">), at: Date.now() };
    messages.push(received);
    for (const w of waiters.splice(0)) {
      if (w.event === received.event) w.resolve(received);
      else waiters.push(w);
    }
  });
  channel.on("system", {}, (payload) => system.push(payload as Record<string, unknown>));
  const joined = new Promise<{ status: string; error?: string; ms: number }>((resolve) => {
    channel.subscribe((status, error) => {
      statuses.push(status);
      resolve({ status, error: error?.message, ms: Date.now() - started });
    });
  });
  return {
    client: v.client,
    joined,
    statuses,
    messages,
    system,
    next(event, timeoutMs = 10_000) {
      const seen = messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${event} broadcast on ${topic} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          event,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    async close() {
      await v.client.removeChannel(channel).catch(() => {});
    },
  };
}

/** Closes every channel and the socket of these viewers. */
export async function closeViewers(...viewers: Viewer[]): Promise<void> {
  await Promise.all(viewers.map((v) => v.client.removeAllChannels().catch(() => {})));
}
