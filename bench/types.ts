// The contract between the harness (bench/run.ts) and each benchmark. A benchmark measures
// its figure AND the baseline it is divided by in the same run, so machines and runs compare
// as ratios; the absolute numbers ride along for context.
import type postgres from "postgres";
import type { StackState } from "../stack/stack.ts";

export interface BenchContext {
  /** The running 'bench' stack instance (dbUrl, apiUrl, keys). */
  state: StackState;
  /** Superuser pool on the bench database (prepare: false, like the functions' pool). */
  sql: postgres.Sql;
  /** True when the stack was reused (--reuse) rather than rebuilt: data may already exist. */
  reused: boolean;
  /** Progress line on stderr (the table goes to stdout). */
  log: (message: string) => void;
}

export interface Target {
  /** The ratio must be `<=` or `>=` this value to pass. */
  op: "<=" | ">=";
  value: number;
}

/** A pass/fail observation besides the ratio (e.g. "every plan uses an index"). */
export interface Check {
  name: string;
  pass: boolean;
  detail?: string;
}

export interface BenchResult {
  benchmark: string;
  /** What the ratio is, e.g. "executions page (member): rls p50 / owner p50". */
  figure: string;
  ratio: number;
  target: Target | null;
  /** Absolute measurements behind the ratio, in the unit their key names (…_ms, …_rows). */
  numbers: Record<string, number | string>;
  checks?: Check[];
  /** Anything else worth keeping in the JSON (plans, parameters). */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  /** Selects the benchmark on the command line: `deno task bench <name>`. */
  name: string;
  description: string;
  /** Runs only when named (a long benchmark, e.g. the interleaved A/B): not in the default set. */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

export function meetsTarget(result: BenchResult): boolean | null {
  if (!result.target || !Number.isFinite(result.ratio)) return result.target ? false : null;
  const { op, value } = result.target;
  return op === "<=" ? result.ratio <= value : result.ratio >= value;
}

/** Pass when the ratio meets its target (if any) and every check passes. */
export function passed(result: BenchResult): boolean | null {
  const ratioOk = meetsTarget(result);
  const checks = result.checks ?? [];
  if (ratioOk === null && checks.length === 0) return null;
  return ratioOk !== false && checks.every((check) => check.pass);
}
