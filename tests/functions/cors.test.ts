// Contract test of the gateway's CORS behaviour for Edge Functions: on Supabase the browser's
// OPTIONS preflight reaches the function (the relay checks no JWT on OPTIONS: supabase/cli's
// edge-runtime main skips verify_jwt when `req.method === "OPTIONS"`), so the product's own
// CORS (shared/http/app.ts) must allow every header supabase-js sends, `x-region` included
// (functions.invoke adds it when a region is passed). The browser test drives the same path
// from a real Chromium on another origin.
import assert from "node:assert/strict";
import { corsHeaders as supabaseJsCors } from "@supabase/supabase-js/cors";
import { corsAllowHeaders } from "../../shared/http/app.ts";
import { stack } from "../helpers/stack.ts";

const ORIGIN = "http://127.0.0.1:9";

function preflight(path: string, requestHeaders: string[]): Promise<Response> {
  return fetch(`${stack().apiUrl}/functions/v1/${path}`, {
    method: "OPTIONS",
    headers: {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": requestHeaders.join(","),
    },
  });
}

function listOf(value: string | null): string[] {
  return (value ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
}

Deno.test("gateway CORS: preflights reach the function, whose CORS allows supabase-js", async (t) => {
  await t.step("the product allows every header supabase-js lists, and x-region", () => {
    const sdk = listOf(supabaseJsCors["Access-Control-Allow-Headers"]);
    assert.ok(sdk.includes("x-client-info") && sdk.includes("apikey"), "unexpected SDK list");
    const missing = [...sdk, "x-region"].filter((h) => !corsAllowHeaders.includes(h as never));
    assert.deepEqual(missing, []);
  });

  await t.step(
    "a preflight without a token reaches a verify_jwt function and is allowed",
    async () => {
      const wanted = [...corsAllowHeaders];
      const res = await preflight("start-execution", wanted);
      await res.body?.cancel();
      assert.equal(res.status, 204, "the preflight was refused before the function");
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.deepEqual(
        listOf(res.headers.get("access-control-allow-headers")).sort(),
        wanted.sort(),
      );
      assert.ok(listOf(res.headers.get("access-control-allow-methods")).includes("patch"));
    },
  );

  await t.step("the gateway does not answer preflights itself: no function, no 204", async () => {
    const res = await preflight("no-such-function", ["authorization"]);
    await res.body?.cancel();
    assert.equal(res.status, 404);
  });

  await t.step("an answer of the function carries its CORS too (errors included)", async () => {
    const res = await fetch(`${stack().apiUrl}/functions/v1/process-batch`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: "{}",
    });
    const body = await res.json();
    assert.equal(res.status, 401);
    assert.equal(body.error.code, "unauthorized");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.ok(listOf(res.headers.get("access-control-expose-headers")).includes("x-request-id"));
  });
});
