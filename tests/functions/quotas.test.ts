// A start over the client's quota answers 429 with Retry-After through start-execution, names
// the quota, and writes nothing; the other tenant is unaffected.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  startStackGeminiFake,
  waitForFinished,
  writeCounts,
} from "../helpers/executions.ts";
import { closeAll, db, stack, tokenFor } from "../helpers/stack.ts";

async function start(email: string, workflowId: string): Promise<Response> {
  return await fetch(`${stack().apiUrl}/functions/v1/start-execution`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await tokenFor(email)}`,
      apikey: stack().anonKey,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ workflow_id: workflowId, prompts: ["quota test"] }),
  });
}

Deno.test({
  name: "quotas: 429 with Retry-After through the function, nothing written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    // Acme may start no more runs this minute than it already has.
    await db()`
      insert into private.client_quotas (client_id, executions_per_minute)
      select ${ACME_CLIENT}, count(*) from public.workflow_executions
      where client_id = ${ACME_CLIENT} and created_at > now() - interval '1 minute'
      on conflict (client_id) do update set executions_per_minute = excluded.executions_per_minute`;
    try {
      const before = await writeCounts();
      const refused = await start("collaborator@acme.test", ACME_WORKFLOW);
      const body = await refused.json();
      assert.equal(refused.status, 429, JSON.stringify(body));
      assert.equal(body.error.code, "quota_exceeded");
      const detail = (field: string) =>
        (body.error.details as { field: string; message: string }[]).find((d) => d.field === field)
          ?.message;
      assert.equal(detail("quota"), "executions_per_minute");
      const retry = Number(refused.headers.get("retry-after"));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.equal(String(retry), detail("retry_after_seconds"));
      assert.deepEqual(await writeCounts(), before);

      // Globex has its own quota.
      const [globex] = await db()<{ id: string }[]>`
        insert into public.workflows (name, status, config, client_id, template_id)
        select 'quota globex', 'active', config, 'c0000000-0000-4000-8000-000000000002', template_id
        from public.workflows where id = ${ACME_WORKFLOW} returning id`;
      const other = await start("owner@globex.test", globex.id);
      const started = await other.json();
      assert.equal(other.status, 202, JSON.stringify(started));
      // Let the run finish while the fake still answers, so no retrying chain outlives the test.
      assert.equal((await waitForFinished(started.execution.id)).status, "completed");
    } finally {
      await db()`delete from private.client_quotas where client_id = ${ACME_CLIENT}`;
      await fake.close();
      await closeAll();
    }
  },
});
