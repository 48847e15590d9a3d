// Every benchmark `deno task bench` knows, in run order. Add yours here: one import, one entry.
import type { Benchmark } from "./types.ts";
import { rlsAtScale } from "./rls-at-scale.ts";

export const benchmarks: Benchmark[] = [
  // 1 chain efficiency, 2 versus the naive design, 3 kick latency: need the executions chain.
  rlsAtScale,
  // 5 request overhead, 6 memory: need start-execution / process-batch.
];
