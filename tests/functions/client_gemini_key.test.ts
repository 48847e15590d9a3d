// A client's stored Gemini key through manage-members and the real chain: owners set, rotate
// and delete it (write-only), everyone else is refused (through the function and through the
// database API), keyless starts on client-key workflows use it, and a key Google rejects is
// marked so and audited.
import assert from "node:assert/strict";
import type { SupabaseClient } from "@supabase/supabase-js";
import {
  ACME_CLIENT,
  createWorkflow,
  invoke,
  PRO_TEMPLATE,
  startStackGeminiFake,
  waitForFinished,
} from "../helpers/executions.ts";
import { anonClient, closeAll, db, userClient, userId } from "../helpers/stack.ts";

const OWNER = "owner@acme.test";
const COLLAB = "collaborator@acme.test";
const GLOBEX = "owner@globex.test";
const ADMIN = "admin@masstock.test";
const ROUTE = `manage-members/clients/${ACME_CLIENT}/gemini-key`;

interface KeyView {
  client_id: string;
  fingerprint: string;
  status: string;
  set_at: string;
  rejected_at: string | null;
}
type Answer = {
  status: number;
  body: { gemini_key?: KeyView | null; rotated?: boolean; error?: { code: string } };
};

async function call(
  client: SupabaseClient,
  method: "GET" | "PUT" | "DELETE",
  body?: unknown,
): Promise<Answer> {
  const { data, error, response } = await client.functions.invoke(ROUTE, {
    method,
    ...(body === undefined ? {} : { body: body as Record<string, unknown> }),
  });
  if (error) {
    const res = (error as { context?: unknown }).context;
    if (!(res instanceof Response)) throw error;
    return { status: res.status, body: await res.json().catch(() => ({})) };
  }
  return { status: response?.status ?? 200, body: data };
}

async function storedRow() {
  const [row] = await db()<
    { ciphertext: string; fingerprint: string; status: string; set_at: string }[]
  >`select api_key_ciphertext as ciphertext, fingerprint, status, set_at::text as set_at
    from private.client_api_keys where client_id = ${ACME_CLIENT}`;
  return row ?? null;
}

async function auditRows(since: number) {
  return await db()<{ id: string; action: string; old_data: string; new_data: string }[]>`
    select id::text as id, action, coalesce(old_data::text, '') as old_data,
           coalesce(new_data::text, '') as new_data
    from public.audit_logs
    where table_name = 'client_api_keys' and client_id = ${ACME_CLIENT} and id > ${since}
    order by id`;
}

async function lastAuditId(): Promise<number> {
  const [{ id }] = await db()<{ id: number }[]>`
    select coalesce(max(id), 0)::int as id from public.audit_logs`;
  return id;
}

/** Runs `sql` as an API session of `email` (what PostgREST would do), answering the SQLSTATE. */
async function asApiUser(email: string, sql: string): Promise<string> {
  const claims = JSON.stringify({ sub: await userId(email), role: "authenticated" });
  return await db().begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true),
                    set_config('role', 'authenticated', true)`;
    await tx.unsafe(sql);
    return "ok";
  }).catch((e) => String(e.code));
}

Deno.test({
  name: "client Gemini key: write-only, owners only, used by keyless runs, rejected keys marked",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const fake = startStackGeminiFake(0);
    const owner = await userClient(OWNER);
    const collab = await userClient(COLLAB);
    const globex = await userClient(GLOBEX);
    const admin = await userClient(ADMIN);
    await db()`delete from private.client_api_keys where client_id = ${ACME_CLIENT}`;
    const byok = await createWorkflow({
      workflow_type: "pro_banana",
      model: "gemini-3-pro-image",
      max_prompts: 30,
      requires_api_key: true,
      image_sizes: ["1K", "2K"],
    }, { templateId: PRO_TEMPLATE });
    try {
      const first = `stored-key-${crypto.randomUUID()}`;
      const second = `stored-key-${crypto.randomUUID()}`;

      await t.step("owners set and rotate it; it is never answered back", async () => {
        const since = await lastAuditId();
        assert.deepEqual((await call(owner, "GET")).body, { gemini_key: null });
        const set = await call(owner, "PUT", { api_key: first });
        assert.equal(set.status, 201, JSON.stringify(set.body));
        assert.equal(set.body.rotated, false);
        assert.ok(!JSON.stringify(set.body).includes(first));
        assert.match(set.body.gemini_key!.fingerprint, /^[A-Za-z0-9_-]{16}$/);
        assert.equal(set.body.gemini_key!.status, "active");
        const row = await storedRow();
        assert.ok(row.ciphertext.startsWith("v1.") && !row.ciphertext.includes(first));

        const rotated = await call(owner, "PUT", { api_key: second });
        assert.equal(rotated.status, 200);
        assert.equal(rotated.body.rotated, true);
        assert.notEqual(rotated.body.gemini_key!.fingerprint, set.body.gemini_key!.fingerprint);
        const read = await call(owner, "GET");
        assert.equal(read.status, 200);
        assert.equal(read.body.gemini_key!.fingerprint, rotated.body.gemini_key!.fingerprint);
        assert.ok(!JSON.stringify(read.body).includes(second));

        const audit = await auditRows(since);
        assert.deepEqual(audit.map((a) => a.action), ["insert", "update"]);
        for (const a of audit) {
          for (const text of [a.old_data, a.new_data]) {
            assert.ok(
              !text.includes("ciphertext") && !text.includes(first) && !text.includes(second),
            );
          }
        }
      });

      await t.step("nobody else may set, read or delete it", async () => {
        const before = await storedRow();
        const since = await lastAuditId();
        const cases: [string, SupabaseClient, number, string | null][] = [
          ["collaborator", collab, 403, "client_owner_only"],
          ["another client's owner", globex, 404, "client_not_found"],
          ["platform admin", admin, 404, "client_not_found"],
          ["anon", anonClient(), 401, null],
        ];
        for (const [who, client, status, code] of cases) {
          for (const method of ["GET", "PUT", "DELETE"] as const) {
            const answer = await call(
              client,
              method,
              method === "PUT" ? { api_key: "intruder-key" } : undefined,
            );
            assert.equal(answer.status, status, `${who} ${method}`);
            if (code) assert.equal(answer.body.error?.code, code, `${who} ${method}`);
          }
        }
        // The database API: the table is out of reach, the functions decide by themselves.
        assert.equal(await asApiUser(OWNER, "select * from private.client_api_keys"), "42501");
        assert.equal(
          await asApiUser(
            COLLAB,
            `select private.set_client_api_key('${ACME_CLIENT}', 'v1.aaaa.bbbb', 'AAAAAAAAAAAAAAAA')`,
          ),
          "MS403",
        );
        assert.equal(
          await asApiUser(GLOBEX, `select private.delete_client_api_key('${ACME_CLIENT}')`),
          "MS404",
        );
        assert.equal(
          await asApiUser(
            OWNER,
            `select private.reject_client_api_key('${ACME_CLIENT}', 'x', 'forged')`,
          ),
          "42501",
        );
        assert.equal(
          await asApiUser(OWNER, `select private.execution_client_api_key(gen_random_uuid())`),
          "42501",
        );
        assert.deepEqual(await storedRow(), before, "nothing changed");
        assert.equal((await auditRows(since)).length, 0, "nothing audited");
      });

      await t.step("a keyless start on a client-key workflow runs on the stored key", async () => {
        const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: byok, prompts: ["stored a", "stored b"] },
        });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const state = await waitForFinished(started.body.execution.id);
        assert.equal(state.status, "completed");
        const calls = fake.calls.filter((c) => c.prompt.startsWith("stored "));
        assert.equal(calls.length, 2);
        assert.ok(calls.every((c) => c.apiKey === second), "Gemini got the stored key");
        // A key sent with the request still wins over the stored one.
        const own = `request-key-${crypto.randomUUID()}`;
        const mine = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: byok, prompts: ["own a"], api_key: own },
        });
        assert.equal(mine.status, 202);
        await waitForFinished(mine.body.execution.id);
        assert.equal(fake.calls.find((c) => c.prompt === "own a")?.apiKey, own);
      });

      await t.step("a key Google rejects is marked, audited, and refused at start", async () => {
        assert.equal((await call(owner, "PUT", { api_key: "bad-key" })).status, 200);
        const since = await lastAuditId();
        const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
          body: { workflow_id: byok, prompts: ["rejected a", "rejected b", "rejected c"] },
        });
        assert.equal(started.status, 202);
        const state = await waitForFinished(started.body.execution.id);
        assert.equal(state.status, "failed");
        const read = await call(owner, "GET");
        assert.equal(read.body.gemini_key!.status, "rejected");
        assert.ok(read.body.gemini_key!.rejected_at);
        const audit = await auditRows(since);
        assert.equal(audit.length, 1);
        assert.equal(audit[0].action, "update");
        assert.match(audit[0].new_data, /"status": "rejected"/);
        assert.ok(!audit[0].new_data.includes("bad-key"));

        const refused = await invoke<{ error: { code: string } }>(collab, "start-execution", {
          body: { workflow_id: byok, prompts: ["after rejection"] },
        });
        assert.equal(refused.status, 422);
        assert.equal(refused.body.error.code, "api_key_rejected");
        // A new key makes it usable again.
        const fresh = await call(owner, "PUT", { api_key: first });
        assert.equal(fresh.body.gemini_key!.status, "active");
        assert.equal(fresh.body.gemini_key!.rejected_at, null);
      });

      await t.step("owners delete it; keyless starts need a key again", async () => {
        const since = await lastAuditId();
        const deleted = await call(owner, "DELETE");
        assert.equal(deleted.status, 200);
        assert.equal(deleted.body.gemini_key!.status, "active");
        assert.equal(await storedRow(), null);
        assert.deepEqual((await call(owner, "DELETE")).body, { gemini_key: null }, "idempotent");
        assert.deepEqual((await auditRows(since)).map((a) => a.action), ["delete"]);
        const refused = await invoke<{ error: { code: string } }>(collab, "start-execution", {
          body: { workflow_id: byok, prompts: ["no key"] },
        });
        assert.equal(refused.status, 422);
        assert.equal(refused.body.error.code, "api_key_required");
      });
    } finally {
      await db()`delete from private.client_api_keys where client_id = ${ACME_CLIENT}`;
      await fake.close();
      await closeAll();
    }
  },
});
