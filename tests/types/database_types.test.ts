// The committed database types are Supabase's generated ones and a typed supabase-js client
// uses them. The type checks are compile-time (deno test type-checks this file, so a wrong type
// fails the run); the requests each typed call sends are recorded by a fetch that answers as
// PostgREST would. Whether the types are current against the schema is the `types` gate of
// `deno task test` (stack/db-gates.ts).
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import type { Database, Tables, TablesInsert } from "../../shared/types/database.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
function expectType<T extends true>(): T | void {}

function recordingClient(answer: unknown) {
  const sent: URL[] = [];
  const client = createClient<Database>("http://127.0.0.1:9", "anon-key", {
    global: {
      fetch: (input: RequestInfo | URL) => {
        sent.push(new URL(input instanceof Request ? input.url : String(input)));
        return Promise.resolve(Response.json(answer));
      },
    },
  });
  return { client, sent };
}

Deno.test("typed client: select narrows rows to the chosen columns with their database types", async () => {
  const row = { id: crypto.randomUUID(), status: "queued", concurrency: 10, completed_at: null };
  const { client, sent } = recordingClient([row]);
  const { data, error } = await client.from("workflow_executions")
    .select("id, status, concurrency, completed_at");
  type Row = NonNullable<typeof data>[number];
  expectType<
    Equal<Row, { id: string; status: string; concurrency: number; completed_at: string | null }>
  >();
  assert.equal(error, null);
  assert.deepEqual(data, [row]);
  assert.equal(sent[0].pathname, "/rest/v1/workflow_executions");
  assert.equal(sent[0].searchParams.get("select"), "id,status,concurrency,completed_at");
});

Deno.test("typed client: embedded relations follow the schema's foreign keys", async () => {
  const { client, sent } = recordingClient([]);
  const { data } = await client.from("workflow_batch_results")
    .select("batch_index, workflow_executions(status)");
  type Row = NonNullable<typeof data>[number];
  expectType<Equal<Row, { batch_index: number; workflow_executions: { status: string } }>>();
  assert.equal(sent[0].searchParams.get("select"), "batch_index,workflow_executions(status)");
});

Deno.test("typed client: rpc arguments and insert shapes are the database's", async () => {
  const { client, sent } = recordingClient({ id: crypto.randomUUID() });
  await client.rpc("create_invitation", {
    p_client_id: crypto.randomUUID(),
    p_email: "new@example.test",
    p_role: "collaborator",
  });
  assert.equal(sent[0].pathname, "/rest/v1/rpc/create_invitation");
  // @ts-expect-error: an argument the function does not take is refused by the types
  await client.rpc("create_invitation", { p_client_id: "x", p_email: "y", p_rol: "z" });
  const ticket: TablesInsert<"support_tickets"> = {
    client_id: crypto.randomUUID(),
    user_id: crypto.randomUUID(),
    subject: "Upload fails",
    description: "Reference image over 5 MB",
  };
  assert.equal(Object.keys(ticket).length, 4);
  // @ts-expect-error: a column the table does not have is a type error
  const missing: Tables<"support_tickets">["no_such_column"] = null;
  assert.equal(missing, null);
});
