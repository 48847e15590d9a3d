// shared/db/db.ts: a request's transaction takes on the caller's identity with claims inlined
// as a literal (a simple query, sent in the same write as the first statement). The claims
// reach Postgres exactly as given, whatever quotes or backslashes they hold, and the first
// statement the function sends already runs as the caller (role, auth.uid(), RLS).
import assert from "node:assert/strict";
import { asService, asUser, closeDb, sqlLiteral } from "../../shared/db/db.ts";
import { closeAll, db, stack, userId } from "../helpers/stack.ts";

const tricky = [
  "plain",
  "it's",
  "back\\slash",
  "\\'",
  "''\\\\''",
  "$$ dollar $tag$",
  "line\nbreak\ttab",
  "é ✓ 🙂",
  "E'nested'",
];

Deno.env.set("SUPABASE_DB_URL", stack().dbUrl);

Deno.test("sqlLiteral: every text comes back from Postgres unchanged", async () => {
  try {
    for (const text of tricky) {
      const [row] = await db().unsafe(`select ${sqlLiteral(text)}::text as t`);
      assert.equal(row.t, text);
    }
    assert.throws(() => sqlLiteral("a\0b"), /NUL/);
  } finally {
    await closeAll();
  }
});

Deno.test("asUser: the first statement already runs as the caller with the exact claims", async () => {
  const uid = await userId("collaborator@acme.test");
  const claims = {
    sub: uid,
    role: "authenticated",
    email: "collaborator@acme.test",
    user_metadata: { name: 'O\'Brien \\ "quoted" $$' },
  };
  try {
    const [row] = await asUser(
      claims,
      (tx) =>
        tx<{ role: string; uid: string; claims: string; visible: number }[]>`
        select current_user as role, auth.uid()::text as uid,
          current_setting('request.jwt.claims') as claims,
          (select count(*) from public.workflow_executions
            where client_id not in (select private.my_client_ids()))::int as visible`,
    );
    assert.equal(row.role, "authenticated");
    assert.equal(row.uid, uid);
    assert.deepEqual(JSON.parse(row.claims), claims);
    // RLS applies from the first statement: nothing of other clients is visible.
    assert.equal(row.visible, 0);
    const [service] = await asService((tx) => tx<{ role: string }[]>`select current_user as role`);
    assert.equal(service.role, "service_role");
  } finally {
    await closeDb();
  }
});
