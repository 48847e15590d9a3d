// Model ids belong to the database (public.image_models, template and workflow configs), never
// to product code: a model Google retires must be a data change, not a deploy. This reads every
// TypeScript file of the Edge Functions and of shared/ and fails on anything shaped like a
// Gemini/Imagen model id, and on any id the catalogue holds (test ids included).
import assert from "node:assert/strict";
import { join } from "node:path";
import { closeAll, db } from "../helpers/stack.ts";

const root = new URL("../../", import.meta.url).pathname;
const productDirs = ["supabase/functions", "shared"];
const idShape = /\b(?:gemini|imagen|veo)-\d[\w.-]*/gi;

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.isFile && /\.(ts|tsx|js|mjs|json)$/.test(entry.name)) yield path;
  }
}

Deno.test({
  name: "no model id in product code (supabase/functions, shared)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    try {
      const ids = (await db()<{ id: string }[]>`select id from public.image_models`).map((r) =>
        r.id
      );
      assert.ok(ids.includes("gemini-3.1-flash-image"), "the catalogue is there to compare with");
      const found: string[] = [];
      let files = 0;
      for (const dir of productDirs) {
        for await (const file of tsFiles(join(root, dir))) {
          files++;
          const text = await Deno.readTextFile(file);
          const rel = file.slice(root.length);
          for (const m of text.matchAll(idShape)) found.push(`${rel}: ${m[0]}`);
          for (const id of ids) if (text.includes(id)) found.push(`${rel}: ${id} (catalogue)`);
        }
      }
      assert.ok(files > 20, `read ${files} files`);
      assert.deepEqual([...new Set(found)], [], "model ids belong in the database");
    } finally {
      await closeAll();
    }
  },
});
