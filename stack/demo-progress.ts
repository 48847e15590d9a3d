// How the demo follows its execution: a private Realtime channel `execution:<id>` through
// supabase-js, exactly what a frontend does (subscribe, render each `progress` message, stop
// at `finished`, unsubscribe). One GET after joining gives the starting point, since messages
// sent before the join are not replayed. Polling is only the fallback when the channel cannot
// be joined, and the demo says so.
import type { SupabaseClient } from "@supabase/supabase-js";

export interface Progress {
  total: number;
  pending: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  done: number;
  percent: number;
}

export interface Snapshot {
  status: string;
  progress: Progress;
}

export interface FollowResult {
  via: "realtime" | "polling";
  messages: number;
  reason?: string;
}

const FINAL = ["completed", "failed", "cancelled"];

export async function follow(
  client: SupabaseClient,
  executionId: string,
  fetchSnapshot: () => Promise<Snapshot>,
  draw: (progress: Progress) => Promise<void>,
  timeoutMs: number,
): Promise<FollowResult> {
  // Messages and the starting snapshot may cross: never draw the bar backwards.
  let drawn = -1;
  const render = async (progress: Progress) => {
    if (progress.done < drawn) return;
    drawn = progress.done;
    await draw(progress);
  };
  let messages = 0;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let lastSeq = 0;
  const channel = client
    .channel(`execution:${executionId}`, { config: { private: true } })
    .on("broadcast", { event: "progress" }, ({ payload }) => {
      messages++;
      if (payload.seq <= lastSeq) return;
      lastSeq = payload.seq;
      render(payload.progress as Progress);
    })
    .on("broadcast", { event: "finished" }, ({ payload }) => {
      messages++;
      lastSeq = payload.seq;
      render(payload.progress as Progress).then(resolveFinished);
    });
  const joined = await new Promise<{ ok: boolean; reason?: string }>((resolve) => {
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") resolve({ ok: true });
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
        resolve({ ok: false, reason: err?.message ?? status });
      }
    });
  });
  try {
    if (!joined.ok) {
      return { ...(await poll(fetchSnapshot, render, timeoutMs)), reason: joined.reason };
    }
    const start = await fetchSnapshot();
    await render(start.progress);
    if (!FINAL.includes(start.status)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no finished message within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      });
      await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
    }
    return { via: "realtime", messages };
  } finally {
    await client.removeChannel(channel);
  }
}

async function poll(
  fetchSnapshot: () => Promise<Snapshot>,
  render: (progress: Progress) => Promise<void>,
  timeoutMs: number,
): Promise<FollowResult> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const current = await fetchSnapshot();
    polls++;
    await render(current.progress);
    if (FINAL.includes(current.status)) return { via: "polling", messages: polls };
    if (Date.now() > deadline) throw new Error("the demo execution did not finish in time");
    await new Promise((r) => setTimeout(r, 250));
  }
}
