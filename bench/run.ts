// `deno task bench [names...] [--reuse] [--keep]`: boots a fresh 'bench' stack instance, runs
// the selected benchmarks (default: all registered), prints one table and writes the run to
// bench/results/<timestamp>.json.
//   --reuse  keep the existing bench instance and its data (iterating on one benchmark)
//   --keep   leave the bench stack running afterwards
import postgres from "postgres";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { down, reset, up } from "../stack/stack.ts";
import { describeMachine } from "./machine.ts";
import { benchmarks } from "./registry.ts";
import { formatPlans, formatTable, writeRecord } from "./report.ts";
import type { BenchContext, BenchResult } from "./types.ts";

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "results");

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function parseArgs(args: string[]) {
  const flags = new Set(args.filter((a) => a.startsWith("--")));
  for (const flag of flags) {
    if (flag !== "--reuse" && flag !== "--keep") throw new Error(`unknown option ${flag}`);
  }
  const names = args.filter((a) => !a.startsWith("--"));
  const known = benchmarks.map((b) => b.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${known.join(", ")}`);
  }
  return {
    selected: names.length
      ? benchmarks.filter((b) => names.includes(b.name))
      : benchmarks.filter((b) => !b.optIn),
    reuse: flags.has("--reuse"),
    keep: flags.has("--keep"),
  };
}

// STACK_INSTANCE lets a second bench run beside another without sharing its stack.
const instance = Deno.env.get("STACK_INSTANCE") ?? "bench";

async function main(): Promise<number> {
  const { selected, reuse, keep } = parseArgs(Deno.args);
  if (!reuse) {
    log("resetting the bench stack instance");
    await reset(instance);
  }
  log("starting the bench stack");
  const state = await up(instance, { quiet: true });
  // Arranging data sets needs the superuser (session_replication_role, vacuum of auth.users);
  // the measured requests still go through the functions as postgres and the API roles.
  const sql = postgres(state.adminDbUrl, { max: 4, prepare: false, onnotice: () => {} });
  let errors = 0;
  try {
    const machine = await describeMachine(sql);
    const started = new Date();
    const ctx: BenchContext = { state, sql, reused: reuse, log };
    const results: BenchResult[] = [];
    for (const bench of selected) {
      log(`${bench.name}: ${bench.description}`);
      const t0 = performance.now();
      try {
        results.push(...await bench.run(ctx));
      } catch (err) {
        errors++;
        console.error(err);
        results.push({
          benchmark: bench.name,
          figure: "error",
          ratio: NaN,
          target: null,
          numbers: { error: err instanceof Error ? err.message : String(err) },
          checks: [{ name: "ran", pass: false }],
        });
      }
      log(`${bench.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const file = await writeRecord(resultsDir, {
      machine,
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      command: ["deno task bench", ...Deno.args].join(" "),
      results,
    });
    const plans = formatPlans(results);
    console.log(`\n${formatTable(results)}\n`);
    if (plans) {
      console.log(`Plans (EXPLAIN ANALYZE, BUFFERS; as the user through RLS)\n\n${plans}\n`);
    }
    console.log(
      `machine: ${machine.cpu_model}, ${machine.cores} cores, ${machine.memory_gb} GB, ` +
        `${machine.os}, deno ${machine.deno}, ${machine.postgres.split(" on ")[0]}`,
    );
    console.log(`results: ${file}`);
  } finally {
    await sql.end({ timeout: 5 });
    if (!keep) await down(instance);
  }
  return errors ? 1 : 0;
}

Deno.exit(await main());
