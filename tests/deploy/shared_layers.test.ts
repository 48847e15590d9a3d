// shared/ is layered, and no import runs upward (nor sideways between folders of one layer):
//   0 core        errors (with the error-code catalogue), logging, the timestamp format;
//     types       the generated database types
//   1 validation  the zod schemas frontends import: zod and core only, no hono, no Deno API
//   2 db, secrets, storage, gemini   one outside system each
//   3 auth        who is calling (reads db's claims type)
//   4 batch       the process-batch engine
//   5 http        hono: the function app, identity and db middleware, validators, envelopes
// Functions (supabase/functions/*) sit above all of them and are not imported by shared/.
import assert from "node:assert/strict";

const layers: Record<string, number> = {
  core: 0,
  // generated database types (deno task gen-types): imports nothing
  types: 0,
  validation: 1,
  db: 2,
  secrets: 2,
  storage: 2,
  gemini: 2,
  auth: 3,
  batch: 4,
  http: 5,
};

const shared = new URL("../../shared/", import.meta.url);

async function sharedFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel, shared))) {
      if (e.isDirectory) await walk(`${rel}${e.name}/`);
      else if (e.name.endsWith(".ts")) out.push(`${rel}${e.name}`);
    }
  };
  await walk("");
  return out.sort();
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
export function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(/^\s*(?:import|export)\b[^"']*?\bfrom\s*["']([^"']+)["']/gm),
    ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return found.map((m) => m[1]);
}

/** The layer folder of a path inside shared/ (`validation.ts` is validation's entry point). */
function folderOf(rel: string): string {
  return rel === "validation.ts" ? "validation" : rel.split("/")[0];
}

function problemsOf(rel: string, source: string): string[] {
  const problems: string[] = [];
  const from = folderOf(rel);
  if (!(from in layers)) return [`${rel}: shared/${from} is not a known layer`];
  for (const spec of specifiers(source)) {
    if (spec.startsWith(".")) {
      const target = new URL(spec, new URL(rel, shared)).href;
      if (!target.startsWith(shared.href)) {
        problems.push(`${rel} imports ${spec}, outside shared/`);
        continue;
      }
      const to = folderOf(target.slice(shared.href.length));
      if (to === from) continue;
      if (!(to in layers) || layers[to] >= layers[from]) {
        problems.push(`${rel} (${from}) imports ${spec} (${to}): not a lower layer`);
      }
    } else if (from === "validation" || from === "core") {
      if (from === "validation" && spec === "zod") continue;
      problems.push(`${rel} imports ${spec}: ${from} must run in a browser as it is`);
    }
  }
  if ((from === "validation" || from === "core") && /\bDeno\./.test(source)) {
    problems.push(`${rel} uses a Deno API: ${from} must run in a browser as it is`);
  }
  return problems;
}

Deno.test("shared layers: the checker refuses upward, sideways and platform imports", () => {
  assert.deepEqual(problemsOf("db/x.ts", 'import { app } from "../http/app.ts";'), [
    "db/x.ts (db) imports ../http/app.ts (http): not a lower layer",
  ]);
  assert.deepEqual(problemsOf("gemini/x.ts", 'import { db } from "../db/db.ts";'), [
    "gemini/x.ts (gemini) imports ../db/db.ts (db): not a lower layer",
  ]);
  assert.deepEqual(problemsOf("validation/x.ts", 'import { Hono } from "hono";'), [
    "validation/x.ts imports hono: validation must run in a browser as it is",
  ]);
  assert.deepEqual(problemsOf("core/x.ts", "const k = Deno.env.get('K');"), [
    "core/x.ts uses a Deno API: core must run in a browser as it is",
  ]);
  assert.deepEqual(problemsOf("http/x.ts", 'export { HttpError } from "../core/errors.ts";'), []);
});

Deno.test("shared layers: no import in shared/ runs upward", async () => {
  const files = await sharedFiles();
  assert.ok(files.length >= 30, `only ${files.length} files: is the walk broken?`);
  const problems: string[] = [];
  for (const rel of files) {
    problems.push(...problemsOf(rel, await Deno.readTextFile(new URL(rel, shared))));
  }
  assert.deepEqual(problems, []);
});
