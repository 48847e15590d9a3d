// The hardening suites are only as wide as their route catalogue: every route the function
// sources declare must have a catalogue row (and every row a declared route), so a route
// added later fails here until it is fuzzed, attacked and isolation-tested like the rest.
import assert from "node:assert/strict";
import { declaredRoutes, routeName, routes } from "../helpers/hardening-routes.ts";

Deno.test("hardening: the route catalogue covers every declared route", async () => {
  const declared = await declaredRoutes(new URL("../../supabase/functions/", import.meta.url));
  const catalogued = routes.map(routeName).sort();
  assert.ok(declared.length >= 20, `only ${declared.length} routes found: is the scan broken?`);
  assert.deepEqual(
    declared.filter((r) => !catalogued.includes(r)),
    [],
    "routes with no row in tests/helpers/hardening-routes.ts",
  );
  assert.deepEqual(
    catalogued.filter((r) => !declared.includes(r)),
    [],
    "catalogue rows for routes that no longer exist",
  );
});
