// Auth attacks on every catalogued route, with a body and ids that would succeed for the
// genuine caller: missing, malformed, forged (wrong key, alg none, HS256 keyed with the public
// key, swapped payload), expired and wrong-kind credentials are refused with 401; users whose
// access was withdrawn (suspended, soft- or hard-deleted, member of a suspended client,
// suspended admin) hold validly signed tokens, so only RLS can stop them: refused (401/403/404)
// or shown nothing. Every case writes nothing.
import assert from "node:assert/strict";
import { changedTables, fingerprint, quiesce } from "../helpers/hardening-db.ts";
import { authHeaders } from "../helpers/hardening-fuzz-run.ts";
import { clip, errorShapeProblem, hostUp, send, type Sent } from "../helpers/hardening-http.ts";
import { paramsFor, type Route, routeName, routes, urlOf } from "../helpers/hardening-routes.ts";
import { forgedServiceCredentials, forgedUserCredentials } from "../helpers/hardening-tokens.ts";
import {
  type Actor,
  createWorld,
  type Ids,
  tokenOf,
  type World,
} from "../helpers/hardening-world.ts";
import { closeAll } from "../helpers/stack.ts";

let world: World | undefined;

function request(route: Route, world: World, ids: Ids, headers: Record<string, string>): Sent {
  const body = route.body?.valid(ids, world);
  return {
    method: route.method,
    path: urlOf(route, paramsFor(route, ids), route.query?.valid(ids)),
    headers: body ? { ...headers, "content-type": "application/json" } : headers,
    body: body ? JSON.stringify(body) : undefined,
  };
}

/** Ids of `ids` the answer shows that the request itself did not name. */
// The caller's own user id is theirs to see (GET /me, their own profile row): not a leak.
function leakedIds(ids: Ids, sent: Sent, text: string, own: string): string[] {
  const named = `${sent.path} ${sent.body ?? ""}`;
  return Object.values(ids).filter((id) => id !== own && text.includes(id) && !named.includes(id));
}

const lostAccess: { actor: Actor; side: "a" | "s" }[] = [
  { actor: "suspendedA", side: "a" },
  { actor: "deletedA", side: "a" },
  { actor: "goneA", side: "a" },
  { actor: "ownerS", side: "s" },
  { actor: "suspendedAdmin", side: "a" },
];

for (const route of routes) {
  Deno.test(`auth attacks: ${routeName(route)}`, async (t) => {
    world ??= await createWorld();
    const w = world;
    await quiesce();
    const before = await fingerprint();

    if (route.method === "GET") {
      await t.step("control: the genuine caller is served", async () => {
        const a = await send(request(route, w, w.a, await authHeaders(w, route.actor)));
        assert.equal(a.status, 200, clip(a.text));
      });
    }

    const forged = route.actor === "service"
      ? forgedServiceCredentials(await tokenOf(w, "collabA"))
      : await forgedUserCredentials(w.userId[route.actor], w.email[route.actor]);
    await t.step(`${forged.length} bad credentials: 401`, async () => {
      const wrong: string[] = [];
      for (const cred of forged) {
        const a = await send(request(route, w, w.a, cred.headers));
        if (a.status !== 401 || errorShapeProblem(a)) {
          wrong.push(`${cred.name}: ${a.status} ${clip(a.text, 200)}`);
        }
      }
      assert.deepEqual(wrong, []);
    });

    if (route.actor !== "service" && route.fn !== "health") {
      await t.step("withdrawn access: refused or shown nothing", async () => {
        const wrong: string[] = [];
        for (const { actor, side } of lostAccess) {
          const ids = w[side];
          const sent = request(route, w, ids, await authHeaders(w, actor));
          const a = await send(sent);
          const leaks = leakedIds(ids, sent, a.text, w.userId[actor]);
          const refused = [401, 403, 404].includes(a.status) && !errorShapeProblem(a);
          const emptyRead = route.method === "GET" && a.status === 200;
          if (!(refused || emptyRead) || leaks.length || a.text.includes("hardening fixture")) {
            wrong.push(`${actor}: ${a.status} ${clip(a.text, 300)}`);
          }
        }
        assert.deepEqual(wrong, []);
      });
    }

    await t.step("nothing written, host up", async () => {
      assert.deepEqual(changedTables(before, await fingerprint()), []);
      assert.ok(await hostUp());
    });
  });
}

Deno.test("auth attacks: done", async () => {
  await closeAll();
});
