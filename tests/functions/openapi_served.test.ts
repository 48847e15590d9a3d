// Each function serves its own API description at GET /<name>/openapi.json (through the
// gateway, with the anon key: no signed-in user needed), the same document the route table
// generates in process; the stack merges them at /docs/openapi.json and serves the offline
// interactive page at /docs.
import assert from "node:assert/strict";
import { specOf } from "../../shared/http/openapi.ts";
import { stack } from "../helpers/stack.ts";

const functionsDir = new URL("../../supabase/functions/", import.meta.url);

async function names(): Promise<string[]> {
  const out: string[] = [];
  for await (const d of Deno.readDir(functionsDir)) {
    if (d.isDirectory && !d.name.startsWith("_") && !d.name.startsWith(".")) out.push(d.name);
  }
  return out.sort();
}

Deno.test("openapi: every function serves its description; the stack merges them", async () => {
  const anon = { authorization: `Bearer ${stack().anonKey}`, apikey: stack().anonKey };
  const allPaths: string[] = [];
  for (const name of await names()) {
    const res = await fetch(`${stack().apiUrl}/functions/v1/${name}/openapi.json`, {
      headers: anon,
    });
    assert.equal(res.status, 200, name);
    const served = await res.json();
    const { app } = await import(new URL(`${name}/app.ts`, functionsDir).href);
    assert.deepEqual(served, JSON.parse(JSON.stringify(await specOf(app, name))), name);
    assert.equal(served.openapi, "3.1.0");
    allPaths.push(...Object.keys(served.paths));
  }
  const merged = await (await fetch(`${stack().apiUrl}/docs/openapi.json`)).json();
  assert.equal(merged["x-missing"], undefined);
  assert.deepEqual(Object.keys(merged.paths).sort(), allPaths.sort());
  assert.ok(merged.paths["/tickets/{id}"].get.tags.includes("tickets"));
  const page = await fetch(`${stack().apiUrl}/docs`);
  assert.equal(page.headers.get("content-type"), "text/html");
  const html = await page.text();
  assert.ok(html.includes("/docs/openapi.json") && !/src="https?:/.test(html), "offline page");
});
