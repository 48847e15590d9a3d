// `deno task soak`: the long hardening suites, on a fresh stack instance of their own
// (STACK_INSTANCE, default `soak`, so they can run beside `deno task test`):
//   soak/fuzz.soak.ts    20,000 fuzz cases per route (SOAK_FUZZ_CASES), time-bounded
//   soak/load.soak.ts    50 concurrent start-execution calls from 10 clients while chains run
//   soak/faults.soak.ts  functions host killed, Postgres restarted, pg_net worker killed, and
//                        a 2-minute provider outage, each mid-chain, then exact accounting
// SOAK_MINUTES (default 30) bounds the whole run; each suite takes a share of it. Arguments
// choose suites by name (e.g. `deno task soak faults`).
import { join } from "node:path";
import { repoRoot } from "../stack/paths.ts";

const suites = ["fuzz", "load", "faults"];
const chosen = Deno.args.length ? suites.filter((s) => Deno.args.includes(s)) : suites;
const minutes = Number(Deno.env.get("SOAK_MINUTES") ?? 30);

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", join(repoRoot, "stack/test.ts"), ...chosen.map((s) => `soak/${s}.soak.ts`)],
  cwd: repoRoot,
  env: {
    STACK_INSTANCE: Deno.env.get("STACK_INSTANCE") ?? "soak",
    SOAK_DEADLINE: String(Date.now() + minutes * 60_000),
  },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
Deno.exit((await child.status).code);
