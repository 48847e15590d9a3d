// Measures the pg_net hop of every process-batch kick during a run: when the kick was
// enqueued (workflow_executions.last_kicked_at, stamped by private.kick_execution in the
// enqueuing transaction) and when that execution's next link started (the "batch link
// kicked" line process-batch logs). A background poll records each new last_kicked_at; after
// the run each kick is paired with the first link start of its execution that follows it.
import { join } from "node:path";
import type postgres from "postgres";
import { stackPaths } from "../stack/paths.ts";
import type { BenchContext } from "./types.ts";

export interface HopTracker {
  /** Stops polling; returns every hop (ms) paired, in kick order. */
  stop(): Promise<number[]>;
}

interface Kick {
  id: string;
  at: number;
}

function linkStarts(ctx: BenchContext, since: number): Map<string, number[]> {
  const file = join(stackPaths(ctx.state.instance).logs, "functions.log");
  const starts = new Map<string, number[]>();
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    if (!line.includes('"batch link kicked"')) continue;
    try {
      const entry = JSON.parse(line) as { time: string; execution_id: string };
      const at = Date.parse(entry.time);
      if (at < since) continue;
      const list = starts.get(entry.execution_id) ?? [];
      list.push(at);
      starts.set(entry.execution_id, list);
    } catch { /* another process's line */ }
  }
  return starts;
}

export function trackPgnetHops(ctx: BenchContext, sql: postgres.Sql): HopTracker {
  const since = Date.now();
  const seen = new Set<string>();
  const kicks: Kick[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ id: string; at: Date }[]>`
        select id, last_kicked_at as at from public.workflow_executions
        where last_kicked_at >= to_timestamp(${since / 1000})`;
      for (const row of rows) {
        const key = `${row.id}@${row.at.getTime()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        kicks.push({ id: row.id, at: row.at.getTime() });
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const starts = linkStarts(ctx, since);
      const hops: number[] = [];
      for (const kick of kicks.sort((a, b) => a.at - b.at)) {
        const next = (starts.get(kick.id) ?? []).find((t) => t >= kick.at);
        if (next !== undefined) hops.push(next - kick.at);
      }
      return hops;
    },
  };
}
