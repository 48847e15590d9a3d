// Load: 10 clients each with a chain already running, then 50 start-execution calls at once
// (5 per client). No deadlock or serialization failure may reach a caller (every start is
// 202), every execution finalises with exact accounting, and the start latency (p50/p95/max)
// and the time until everything is final are reported.
import assert from "node:assert/strict";
import { startStackGeminiFake, waitForFinished } from "../tests/helpers/executions.ts";
import { clip, percentile, pool, send } from "../tests/helpers/hardening-http.ts";
import { closeAll, db, stack, tokenFor } from "../tests/helpers/stack.ts";
import { account, remainingMs } from "./accounting.ts";

const CLIENTS = 10;
const CONCURRENT = 50;

interface Tenant {
  token: string;
  workflow: string;
}

async function tenants(): Promise<Tenant[]> {
  const sql = db();
  const tag = crypto.randomUUID().slice(0, 8);
  const out: Tenant[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const email = `load-${i}-${tag}@hardening.test`;
    const [user] = await sql<{ id: string }[]>`
      insert into auth.users (id, aud, role, email, created_at, updated_at, raw_app_meta_data)
      values (${crypto.randomUUID()}, 'authenticated', 'authenticated', ${email}, now(), now(),
              ${sql.json({ provider: "email" })})
      returning id`;
    const [client] = await sql<{ id: string }[]>`
      insert into public.clients (name, email) values (${`Load ${i} ${tag}`}, ${email})
      returning id`;
    await sql`insert into public.client_members (client_id, user_id, role)
              values (${client.id}, ${user.id}, 'owner')`;
    const [workflow] = await sql<{ id: string }[]>`
      insert into public.workflows (name, status, config, client_id, template_id)
      select ${`load ${i}`}, 'active', config, ${client.id}, id from public.workflow_templates
      where id = 'd0000000-0000-4000-8000-000000000001' returning id`;
    out.push({ token: await tokenFor(email), workflow: workflow.id });
  }
  return out;
}

function start(t: Tenant, prompts: string[]) {
  return send({
    method: "POST",
    path: "/functions/v1/start-execution",
    headers: {
      apikey: stack().anonKey,
      authorization: `Bearer ${t.token}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ workflow_id: t.workflow, prompts }),
  });
}

const busy = /deadlock|serializ|40001|40P01|retry_later|could not obtain lock/i;

Deno.test({
  name: "soak load: 50 concurrent starts from 10 clients while chains run",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(100);
    try {
      const all = await tenants();
      const runs: { id: string; prompts: number }[] = [];
      for (const [i, t] of all.entries()) {
        const prompts = Array.from({ length: 20 }, (_, j) => `load chain ${i}.${j}`);
        const a = await start(t, prompts);
        assert.equal(a.status, 202, clip(a.text));
        runs.push({
          id: (a.json as { execution: { id: string } }).execution.id,
          prompts: prompts.length,
        });
      }
      const burst = Array.from({ length: CONCURRENT }, (_, k) => ({
        tenant: all[k % CLIENTS],
        prompts: Array.from({ length: 10 }, (_, j) => `load burst ${k}.${j}`),
      }));
      const began = performance.now();
      const answers = await pool(burst, CONCURRENT, (b) => start(b.tenant, b.prompts));
      const burstMs = performance.now() - began;
      const refused = answers.filter((a) => a.status !== 202 || busy.test(a.text));
      assert.deepEqual(refused.map((a) => `${a.status} ${clip(a.text, 200)}`), []);
      for (const a of answers) {
        runs.push({ id: (a.json as { execution: { id: string } }).execution.id, prompts: 10 });
      }

      const latencies = answers.map((a) => a.ms);
      const finishStarted = Date.now();
      const timeout = Math.min(remainingMs(), 10 * 60_000);
      await Promise.all(runs.map((r) => waitForFinished(r.id, timeout)));
      const finalisedS = (Date.now() - finishStarted) / 1000;
      const problems: string[] = [];
      let items = 0;
      for (const r of runs) {
        const acc = await account(r.id, r.prompts);
        items += acc.total;
        problems.push(...acc.problems.map((p) => `${r.id}: ${p}`));
      }
      console.log(
        `soak load: ${CONCURRENT} starts in ${burstMs.toFixed(0)} ms; start latency p50 ` +
          `${percentile(latencies, 50).toFixed(0)} ms, p95 ${
            percentile(latencies, 95).toFixed(0)
          } ms, ` +
          `max ${
            Math.max(...latencies).toFixed(0)
          } ms; ${runs.length} executions / ${items} items ` +
          `final ${finalisedS.toFixed(1)} s after the burst`,
      );
      assert.deepEqual(problems, []);
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
