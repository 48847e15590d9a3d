// docs/api.md is checked against the OpenAPI documents the functions generate from their route
// tables: under each function's heading it names exactly that function's operations (method
// and path), no more and no fewer.
import assert from "node:assert/strict";
import { specOf } from "../../shared/http/openapi.ts";

const root = new URL("../../", import.meta.url);
const functionsDir = new URL("supabase/functions/", root);

/** `METHOD /path` of each operation in a function's spec, paths relative to the function. */
async function specOperations(name: string): Promise<string[]> {
  const { app } = await import(new URL(`${name}/app.ts`, functionsDir).href);
  const spec = await specOf(app, name) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) =>
      `${m.toUpperCase()} ${path.slice(name.length + 1).replace(/\{(\w+)\}/g, ":$1") || "/"}`
    )
  ).sort();
}

/** The routes a function's section of docs/api.md names (`METHOD path` in backticks). */
export function documentedOperations(markdown: string, name: string): string[] {
  const start = markdown.search(new RegExp(`^### ${name}\\b`, "m"));
  if (start < 0) return [];
  const rest = markdown.slice(start + 4);
  const end = rest.search(/^#{1,3} /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const found = new Set<string>();
  for (const m of section.matchAll(/`(GET|POST|PUT|PATCH|DELETE) ([^`\s?[]*)/g)) {
    let path = m[2].replace(/^\//, "");
    if (path === name || path.startsWith(`${name}/`)) path = path.slice(name.length);
    found.add(`${m[1]} /${path.replace(/^\//, "")}`);
  }
  return [...found].sort();
}

Deno.test("api reference: the section scanner reads tables, bullets and prose", () => {
  const md =
    "### tickets\n| `GET tickets/:id` | x |\n- `POST /` body\n`GET /tickets?x=1`\n### other\n" +
    "`DELETE /nope`";
  assert.deepEqual(documentedOperations(md, "tickets"), ["GET /", "GET /:id", "POST /"]);
});

Deno.test("api reference: docs/api.md names every operation of every function", async () => {
  const markdown = await Deno.readTextFile(new URL("docs/api.md", root));
  const problems: string[] = [];
  let seen = 0;
  for await (const dir of Deno.readDir(functionsDir)) {
    if (!dir.isDirectory || dir.name.startsWith("_") || dir.name.startsWith(".")) continue;
    const described = await specOperations(dir.name);
    const documented = documentedOperations(markdown, dir.name);
    seen += described.length;
    for (const op of described) {
      if (!documented.includes(op)) problems.push(`${dir.name}: ${op} is not documented`);
    }
    for (const op of documented) {
      if (!described.includes(op)) {
        problems.push(`${dir.name}: ${op} is documented but not a route`);
      }
    }
  }
  assert.ok(seen >= 40, `only ${seen} operations: is the walk broken?`);
  assert.deepEqual(problems, []);
});
