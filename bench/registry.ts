// Every benchmark `deno task bench` knows, in run order. Add yours here: one import, one entry.
import type { Benchmark } from "./types.ts";
import { adminAnalytics } from "./admin-analytics.ts";
import { chainAb } from "./chain-ab.ts";
import { chainEfficiency } from "./chain-efficiency.ts";
import { chainHandoff } from "./chain-handoff.ts";
import { executionRead } from "./execution-read.ts";
import { fleet } from "./fleet.ts";
import { kickLatency } from "./kick-latency.ts";
import { memory } from "./memory.ts";
import { naiveDesign } from "./naive-design.ts";
import { orchestrationCeiling } from "./orchestration-ceiling.ts";
import { requestOverhead } from "./request-overhead.ts";
import { quotaLimits } from "./quota-limits.ts";
import { rlsAtScale } from "./rls-at-scale.ts";
import { tenantFlood } from "./tenant-flood.ts";

export const benchmarks: Benchmark[] = [
  chainEfficiency,
  chainHandoff,
  naiveDesign,
  kickLatency,
  rlsAtScale,
  adminAnalytics,
  requestOverhead,
  executionRead,
  memory,
  tenantFlood,
  quotaLimits,
  chainAb,
  fleet,
  orchestrationCeiling,
];
