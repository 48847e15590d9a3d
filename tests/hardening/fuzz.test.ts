// Property-based fuzzing of every catalogued route (tests/helpers/hardening-routes.ts) as the
// actor who succeeds on it: random JSON, mutated valid bodies, wrong types, huge strings and
// arrays, deep nesting, invalid UTF-8, bad uuids in path and body, SQL and traversal payloads,
// wrong content types, empty and truncated bodies, bad query strings and headers.
// Invariants: never a 5xx, the JSON error shape on every 4xx, bad input answered 400 (413/415
// for size/type, 404 for a path no route matches), nothing written, the host stays up.
// HARDENING_CASES (default 500) and HARDENING_SEED change the volume and the cases.
import assert from "node:assert/strict";
import { fuzzRoute } from "../helpers/hardening-fuzz-run.ts";
import { routeName, routes } from "../helpers/hardening-routes.ts";
import { createWorld, type World } from "../helpers/hardening-world.ts";
import { closeAll } from "../helpers/stack.ts";

const CASES = Number(Deno.env.get("HARDENING_CASES") ?? 500);
const SEED = Number(Deno.env.get("HARDENING_SEED") ?? 20261123);
const CONCURRENCY = 16;

let world: World | undefined;
const totals = { cases: 0, ms: 0 };

for (const [index, route] of routes.entries()) {
  Deno.test(`fuzz ${routeName(route)}`, async () => {
    world ??= await createWorld();
    const stats = await fuzzRoute(route, world, {
      cases: CASES,
      seed: SEED + index * 100_003,
      concurrency: CONCURRENCY,
    });
    totals.cases += stats.cases;
    totals.ms += stats.ms;
    console.log(
      `  ${stats.cases} cases in ${Math.round(stats.ms)} ms, p95 ${stats.p95.toFixed(1)} ms, ` +
        `statuses ${JSON.stringify(stats.byStatus)}`,
    );
    assert.ok(stats.hostUp, "the functions host went down");
    assert.deepEqual(stats.changed, [], `rows written by refused requests: ${stats.changed}`);
    assert.deepEqual(stats.problems.slice(0, 10), [], `${stats.problems.length} bad answers`);
    assert.ok(stats.cases >= CASES, `only ${stats.cases} of ${CASES} cases were generated`);
  });
}

Deno.test("fuzz totals", async () => {
  console.log(
    `  ${totals.cases} cases over ${routes.length} routes in ${Math.round(totals.ms)} ms`,
  );
  assert.ok(totals.cases >= CASES * routes.length);
  await closeAll();
});
