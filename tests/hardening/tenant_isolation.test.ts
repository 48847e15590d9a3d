// Tenant isolation through the functions: client B's owner names client A's rows in every
// id-taking position of every catalogued route (path, body, query). Each attempt is refused
// (or, for a listing, shows none of A's rows), writes nothing, and answers exactly as if the
// id did not exist (same status, same error code), so B cannot even learn that A's row
// exists. Templates are global, not tenant data, so only the refusal is checked for them.
import assert from "node:assert/strict";
import { changedTables, fingerprint, quiesce } from "../helpers/hardening-db.ts";
import { authHeaders } from "../helpers/hardening-fuzz-run.ts";
import {
  type Answer,
  clip,
  errorShapeProblem,
  hostUp,
  send,
  type Sent,
} from "../helpers/hardening-http.ts";
import { paramsFor, type Route, routeName, routes, urlOf } from "../helpers/hardening-routes.ts";
import { createWorld, type IdKind, type Ids, type World } from "../helpers/hardening-world.ts";
import { closeAll } from "../helpers/stack.ts";

let world: World | undefined;

type Where = "path" | "body" | "query";

function positions(route: Route): { where: Where; name: string; kind: IdKind }[] {
  const list = (where: Where, map?: Record<string, IdKind>) =>
    Object.entries(map ?? {}).map(([name, kind]) => ({ where, name, kind }));
  return [
    ...list("path", route.params),
    ...list("body", route.bodyIds),
    ...list("query", route.queryIds),
  ];
}

function build(
  route: Route,
  world: World,
  ids: Ids,
  auth: Record<string, string>,
  override?: { where: Where; name: string; value: string },
): Sent {
  const params = paramsFor(route, ids);
  const query = route.query?.valid(ids);
  const body = route.body?.valid(ids, world);
  if (override?.where === "path") params[override.name] = override.value;
  if (override?.where === "query" && query) query[override.name] = override.value;
  if (override?.where === "body" && body) body[override.name] = override.value;
  return {
    method: route.method,
    path: urlOf(route, params, query),
    headers: body ? { ...auth, "content-type": "application/json" } : auth,
    body: body ? JSON.stringify(body) : undefined,
  };
}

function codeOf(a: Answer): string | undefined {
  return (a.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** A's ids (and fixture texts) that appear in the answer without being in the request. */
function leaks(a: World["a"], sent: Sent, text: string): string[] {
  const named = `${sent.path} ${sent.body ?? ""}`;
  return Object.values(a).filter((id) => text.includes(id) && !named.includes(id));
}

for (const route of routes.filter((r) => positions(r).length > 0 && r.actor !== "service")) {
  Deno.test(`tenant isolation: ${routeName(route)}`, async () => {
    world ??= await createWorld();
    const w = world;
    const auth = await authHeaders(w, "ownerB");
    await quiesce();
    const before = await fingerprint();
    const wrong: string[] = [];
    for (const pos of positions(route)) {
      // Every id is A's; then the same request with this one id replaced by one nobody has.
      const theirs = build(route, w, w.a, auth);
      const nobody = build(route, w, w.a, auth, { ...pos, value: crypto.randomUUID() });
      const a = await send(theirs);
      const n = await send(nobody);
      const label = `${pos.where} ${pos.name}`;
      if (a.status >= 500 || (a.status >= 400 && errorShapeProblem(a))) {
        wrong.push(`${label}: ${a.status} ${clip(a.text, 200)}`);
      }
      if (a.status < 400 && route.method !== "GET") wrong.push(`${label}: accepted ${a.status}`);
      const leaked = leaks(w.a, theirs, a.text);
      if (leaked.length) wrong.push(`${label}: leaks ${leaked.join(",")}: ${clip(a.text, 200)}`);
      if (pos.kind !== "template" && (a.status !== n.status || codeOf(a) !== codeOf(n))) {
        wrong.push(
          `${label}: A's id answers ${a.status} ${codeOf(a)}, an unknown id ${n.status} ${
            codeOf(n)
          } (existence leaks)`,
        );
      }
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(changedTables(before, await fingerprint()), [], "rows written");
    assert.ok(await hostUp());
  });
}

Deno.test("tenant isolation: done", async () => {
  await closeAll();
});
