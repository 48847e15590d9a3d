// A stand-in for Supabase's `EdgeRuntime` global: waitUntil keeps background work alive after
// the response is sent. Each function runs in its own edge worker process (edge-worker.ts), so
// we only need to remember its pending promises, log their failures, and let shutdown wait for
// them. Runs on Deno 2.1 under the function's import map: no imports here.
const pending = new Set<Promise<unknown>>();

export function installEdgeRuntime(): void {
  (globalThis as unknown as { EdgeRuntime: unknown }).EdgeRuntime = {
    waitUntil<T>(promise: Promise<T>): Promise<T> {
      const tracked = Promise.resolve(promise)
        .catch((err) => {
          console.error(JSON.stringify({
            level: "error",
            msg: "background task failed",
            error: String(err?.stack ?? err),
          }));
        })
        .finally(() => pending.delete(tracked));
      pending.add(tracked);
      return promise;
    },
  };
}

/** Waits for background tasks, at most `timeoutMs`; answers how many were still running. */
export async function drainBackgroundTasks(timeoutMs: number): Promise<number> {
  if (pending.size === 0) return 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((resolve) => timer = setTimeout(resolve, timeoutMs));
  await Promise.race([Promise.allSettled([...pending]), timeout]);
  clearTimeout(timer);
  return pending.size;
}
