// shared/types/database.ts is what Supabase's type generator (postgres-meta's server, as
// `supabase gen types` runs it) answers for this stack's freshly migrated database: a migration
// that changes the public schema without `deno task gen-types` fails here, naming the first line
// that differs. And the types do type a supabase-js client: the tables and their columns are
// known to the compiler (checked when this file is type-checked).
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import type { Database, Tables } from "../../shared/types/database.ts";
import {
  DATABASE_TYPES_FILE,
  databaseTypesFile,
  databaseTypesPath,
  generateDatabaseTypes,
} from "../../stack/database-types.ts";
import { stack } from "../helpers/stack.ts";

function firstDifference(committed: string, generated: string): string {
  const a = committed.split("\n");
  const b = generated.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}: committed ${JSON.stringify(a[i] ?? "(end of file)")}, ` +
        `generated ${JSON.stringify(b[i] ?? "(end of file)")}`;
    }
  }
  return "none";
}

Deno.test("the committed database types are what the generator answers for the migrations", async () => {
  const generated = databaseTypesFile(await generateDatabaseTypes(stack().dbUrl));
  const committed = await Deno.readTextFile(databaseTypesPath()).catch(() => "");
  assert.ok(generated.includes("export type Database"), "the generator answered no Database type");
  if (committed !== generated) {
    assert.fail(
      `${DATABASE_TYPES_FILE} is stale: the migrations' public schema differs from it ` +
        `(first difference ${firstDifference(committed, generated)}). ` +
        "Run `deno task gen-types` and commit the file.",
    );
  }
});

Deno.test("a client typed with Database knows the tables and their columns", () => {
  const client = createClient<Database>(stack().apiUrl, stack().anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  // Builders only: nothing is sent until a query is awaited.
  const executions = client.from("workflow_executions").select("id, status, model, input_data");
  type Row = NonNullable<Awaited<typeof executions>["data"]>[number];
  const row: Row = { id: "x", status: "pending", model: null, input_data: { prompts: ["a"] } };
  const full: Pick<Tables<"workflow_executions">, "status"> = row;
  // @ts-expect-error: no such table in the public schema
  client.from("no_such_table");
  // @ts-expect-error: status is text, not a number
  const wrong: Row = { ...row, status: 1 };
  assert.equal(full.status, "pending");
  assert.equal(typeof wrong, "object");
});
