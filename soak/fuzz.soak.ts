// Soak fuzzing: SOAK_FUZZ_CASES (default 20,000) cases per catalogued route, with the fast
// suite's invariants (tests/helpers/hardening-fuzz-run.ts), a random seed printed for replay
// (HARDENING_SEED), and half of the soak's remaining time shared out between the routes.
import assert from "node:assert/strict";
import { fuzzRoute } from "../tests/helpers/hardening-fuzz-run.ts";
import { routeName, routes } from "../tests/helpers/hardening-routes.ts";
import { createWorld, type World } from "../tests/helpers/hardening-world.ts";
import { closeAll } from "../tests/helpers/stack.ts";
import { remainingMs } from "./accounting.ts";

const CASES = Number(Deno.env.get("SOAK_FUZZ_CASES") ?? 20_000);
const SEED = Number(Deno.env.get("HARDENING_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const budgetMs = remainingMs() * 0.5;
const started = Date.now();

let world: World | undefined;
const summary: string[] = [];
let total = 0;

console.log(
  `soak fuzz: seed ${SEED}, ${CASES} cases per route, budget ${Math.round(budgetMs / 1000)} s`,
);

for (const [index, route] of routes.entries()) {
  Deno.test(`soak fuzz ${routeName(route)}`, async () => {
    world ??= await createWorld();
    const left = routes.length - index;
    const share = (budgetMs - (Date.now() - started)) / left;
    const stats = await fuzzRoute(route, world, {
      cases: CASES,
      seed: SEED + index * 100_003,
      concurrency: 32,
      deadline: Date.now() + Math.max(share, 5_000),
    });
    total += stats.cases;
    const line = `${routeName(route)}: ${stats.cases} cases, ${(stats.ms / 1000).toFixed(1)} s, ` +
      `p95 ${stats.p95.toFixed(1)} ms, ${JSON.stringify(stats.byStatus)}`;
    summary.push(line);
    console.log(`  ${line}`);
    assert.ok(stats.hostUp, "the functions host went down");
    assert.deepEqual(stats.changed, [], "rows written by refused requests");
    assert.deepEqual(stats.problems.slice(0, 10), [], `${stats.problems.length} bad answers`);
  });
}

Deno.test("soak fuzz: summary", async () => {
  console.log(
    `soak fuzz: ${total} cases over ${routes.length} routes in ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s (seed ${SEED})\n  ${summary.join("\n  ")}`,
  );
  await closeAll();
});
