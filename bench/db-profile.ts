// Profiling helpers for the chain benchmarks (fleet, orchestration-ceiling): CPU seconds per
// process group of the bench stack (from /proc), per-function times (track_functions), commits
// and table writes (pg_stat_*), and what the backends wait on (pg_stat_activity sampled).
import { join } from "node:path";
import type postgres from "postgres";
import { repoRoot, stackPaths } from "../stack/paths.ts";
import { delay } from "./chain-world.ts";
import { round } from "./stats.ts";
import type { BenchContext } from "./types.ts";

/** Turns track_functions = all on for the cluster (reload); returns a function restoring it. */
export async function trackFunctions(sql: postgres.Sql): Promise<() => Promise<void>> {
  const [{ track_functions: before }] = await sql<{ track_functions: string }[]>`
    show track_functions`;
  await sql`alter system set track_functions = 'all'`;
  await sql`select pg_reload_conf()`;
  return async () => {
    await sql.unsafe(
      before === "all" || before === "pl"
        ? `alter system set track_functions = '${before}'`
        : "alter system reset track_functions",
    ).catch(() => {});
    await sql`select pg_reload_conf()`.catch(() => {});
  };
}

export interface ProcCpu {
  group: string;
  ticks: number;
}

const clockTicks = 100; // USER_HZ on Linux

function readProc(pid: string): { ppid: number; ticks: number; cmd: string } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
    return { ppid: Number(rest[1]), ticks, cmd };
  } catch {
    return null;
  }
}

/** CPU ticks (incl. reaped children) of this stack's processes, by group. */
export function cpuSnapshot(ctx: BenchContext): Map<number, ProcCpu> {
  const paths = stackPaths(ctx.state.instance);
  let postmaster = -1;
  try {
    postmaster = Number(Deno.readTextFileSync(join(paths.pgdata, "postmaster.pid")).split("\n")[0]);
  } catch { /* not running */ }
  const out = new Map<number, ProcCpu>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const p = readProc(entry.name);
    if (!p) continue;
    const pid = Number(entry.name);
    let group: string | null = null;
    if (pid === postmaster || p.ppid === postmaster) group = "postgres";
    else if (pid === Deno.pid) group = "bench process (fake Gemini, polling)";
    else if (p.cmd.includes(repoRoot)) {
      if (p.cmd.includes("functions/process-batch/")) group = "process-batch workers";
      else if (p.cmd.includes("functions/start-execution/")) group = "start-execution worker";
      else if (p.cmd.includes("functions-host.ts")) group = "gateway (Storage, Auth, Realtime)";
      else if (p.cmd.includes("pgnet-worker.ts")) group = "pg_net worker";
      else if (p.cmd.includes("/functions/")) group = "other function workers";
    }
    if (group) out.set(pid, { group, ticks: p.ticks });
  }
  return out;
}

export function cpuDelta(a: Map<number, ProcCpu>, b: Map<number, ProcCpu>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [pid, after] of b) {
    const before = a.get(pid)?.ticks ?? 0;
    sums[after.group] = (sums[after.group] ?? 0) + (after.ticks - before) / clockTicks;
  }
  for (const k of Object.keys(sums)) sums[k] = round(sums[k], 2);
  return sums;
}

// ---------------------------------------------------------------- database counters

export async function resetStats(sql: postgres.Sql) {
  await sql`select pg_stat_reset()`;
}

export async function dbCounters(sql: postgres.Sql) {
  // Other backends flush their counters when idle, at most once a second.
  const [db] = await sql<{ commits: number; rollbacks: number }[]>`
    select xact_commit::float8 as commits, xact_rollback::float8 as rollbacks
    from pg_stat_database where datname = current_database()`;
  const functions = await sql<
    { name: string; calls: number; total_ms: number; self_ms: number }[]
  >`
    select schemaname || '.' || funcname as name, sum(calls)::float8 as calls,
      sum(total_time)::float8 as total_ms, sum(self_time)::float8 as self_ms
    from pg_stat_user_functions group by 1 order by sum(self_time) desc`;
  const tables = await sql<{ name: string; ins: number; upd: number; del: number }[]>`
    select schemaname || '.' || relname as name, n_tup_ins::float8 as ins,
      n_tup_upd::float8 as upd, n_tup_del::float8 as del
    from pg_stat_all_tables
    where n_tup_ins + n_tup_upd + n_tup_del > 0 order by n_tup_ins + n_tup_upd + n_tup_del desc`;
  return { ...db, functions, tables };
}

/** Samples what the stack's backends are doing every `everyMs` until stopped. */
export function sampleActivity(sql: postgres.Sql, everyMs: number) {
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const rows = await sql<{ k: string; n: number }[]>`
        select coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' | ' ||
          left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 60) as k, count(*)::int as n
        from pg_stat_activity
        where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
          and backend_type = 'client backend'
        group by 1`;
      samples++;
      for (const r of rows) counts.set(r.k, (counts.get(r.k) ?? 0) + r.n);
      await delay(everyMs);
    }
  })();
  return async () => {
    running = false;
    await done;
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
    return {
      samples,
      mean_active_backends: round([...counts.values()].reduce((a, b) => a + b, 0) / samples, 2),
      top: Object.fromEntries(top.map(([k, n]) => [k, round(n / samples, 3)])),
    };
  };
}
