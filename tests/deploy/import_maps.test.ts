// The per-function import maps the Supabase CLI uploads are generated from the root deno.json
// (`deno task import-maps`): this pins that the committed maps are exactly what the functions'
// import graphs need, with the root's versions, and that drift in either direction is caught.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectedImportMap, staleImportMaps } from "../../stack/import-maps.ts";
import { repoRoot } from "../../stack/paths.ts";
import { copyProject, editImports } from "./project-copy.ts";

Deno.test("import maps: every function's committed deno.json is the generated one", async () => {
  const stale = await staleImportMaps();
  assert.deepEqual(stale.map((s) => s.problem), [], "run `deno task import-maps`");
});

Deno.test("import maps: subpaths are explicit entries with the root deno.json's versions", async () => {
  const root = JSON.parse(await Deno.readTextFile(join(repoRoot, "deno.json"))).imports;
  const { imports } = await expectedImportMap(repoRoot, "health");
  const hono = root.hono.replace(/^npm:/, "");
  assert.equal(imports["hono/cors"], `npm:${hono}/cors`);
  assert.equal(imports["hono/utils/http-status"], `npm:${hono}/utils/http-status`);
  assert.equal(imports["@supabase/server/core"], root["@supabase/server/core"]);
  assert.ok(!Object.keys(imports).some((key) => key.endsWith("/")), "no prefix entries");
  assert.equal(imports["@google/genai"], undefined, "only what health's graph imports");
});

Deno.test("import maps: a missing entry and a version drift are both reported", async () => {
  const copy = await copyProject();
  try {
    await editImports(join(copy, "supabase/functions/health/deno.json"), (imports) => {
      delete imports["hono/cors"];
    });
    await editImports(join(copy, "deno.json"), (imports) => {
      imports.zod = "npm:zod@4.0.0";
    });
    const stale = await staleImportMaps(copy);
    const byName = Object.fromEntries(stale.map((s) => [s.name, s.problem]));
    assert.match(byName.health ?? "", /"hono\/cors": "npm:hono@/, "health lacks hono/cors");
    for (const name of ["assign-template", "manage-members", "tickets", "start-execution"]) {
      assert.match(byName[name] ?? "", /"zod": "npm:zod@4\.0\.0"/, `${name} has the old zod`);
    }
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
