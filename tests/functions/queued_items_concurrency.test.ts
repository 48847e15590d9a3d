// The queued-items count under concurrency: a client's members start runs while service links
// claim, complete and retry items, members cancel, runs are deleted and the client's deltas are
// collapsed, all at once on separate connections. In every snapshot the counter
// (private.client_queued_item_deltas, what the queued-items quota reads) equals the client's
// pending rows, checked in one statement again and again while the others run, and at the end.
import assert from "node:assert/strict";
import postgres from "postgres";
import { closeAll, db, stack } from "../helpers/stack.ts";

const FLASH_TEMPLATE = "d0000000-0000-4000-8000-000000000001";
const RUN_MS = 2500;

type Sql = postgres.Sql;

async function arrange(sql: Sql) {
  const tag = crypto.randomUUID().slice(0, 8);
  const email = `queued-${tag}@counter.test`;
  const [{ id: userId }] = await sql<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data,
      raw_user_meta_data, created_at, updated_at, is_anonymous)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
      'authenticated', ${email}, '{"provider":"email","providers":["email"]}', '{}',
      now(), now(), false)
    returning id`;
  const [{ id: clientId }] = await sql<{ id: string }[]>`
    insert into public.clients (name, company_name, email)
    values (${`Counter ${tag}`}, ${`Counter ${tag}`}, ${`contact-${tag}@counter.test`})
    returning id`;
  await sql`insert into public.client_members (client_id, user_id, role)
    values (${clientId}, ${userId}, 'owner')`;
  await sql`insert into private.client_quotas
      (client_id, executions_per_minute, max_concurrent_executions, max_queued_items)
    values (${clientId}, 100000, 100000, 10000000)`;
  const [{ id: workflowId }] = await sql<{ id: string }[]>`
    insert into public.workflows (name, status, config, client_id, template_id)
    select ${`Counter ${tag}`}, 'active', t.config || '{"max_prompts": 20}', ${clientId}, t.id
    from public.workflow_templates t where t.id = ${FLASH_TEMPLATE}
    returning id`;
  const claims = JSON.stringify({ sub: userId, email, role: "authenticated" });
  return { userId, clientId, workflowId, claims };
}

function until(deadline: number) {
  return () => Date.now() < deadline;
}

const RETRYABLE = new Set(["40P01", "40001"]);

Deno.test("the queued-items counter equals the pending rows under concurrent writers", async () => {
  const sql = db();
  const world = await arrange(sql);
  const conns: Sql[] = [];
  const open = () => {
    const c = postgres(stack().dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    conns.push(c);
    return c;
  };
  const done = { starts: 0, claims: 0, completions: 0, retries: 0, cancels: 0, deletes: 0 };
  const mismatches: string[] = [];
  const errors: string[] = [];
  let checks = 0;
  const guarded = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      // Deadlocks and serialization failures are retried by callers; a domain refusal
      // (MS…: the run was deleted or finished by another worker meanwhile) is a lost race.
      if (!RETRYABLE.has(code) && !code.startsWith("MS")) errors.push(`${code} ${err}`);
    }
  };
  const runs = () =>
    sql<{ id: string }[]>`
      select id from public.workflow_executions
      where client_id = ${world.clientId} and completed_at is null
      order by random() limit 1`;

  const starter = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await guarded(async () => {
        const n = 1 + Math.floor(Math.random() * 20);
        await c.begin(async (tx) => {
          await tx`select set_config('request.jwt.claims', ${world.claims}, true),
            set_config('role', 'authenticated', true)`;
          await tx`insert into public.workflow_executions
              (workflow_id, client_id, triggered_by_user_id, input_data)
            values (${world.workflowId}, ${world.clientId}, ${world.userId},
              ${tx.json({ prompts: Array.from({ length: n }, (_, i) => `p${i}`) })})`;
        });
        done.starts++;
      });
    }
  };
  const claimer = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await guarded(async () => {
        const [run] = await runs();
        if (!run) return;
        const items = await c.begin(async (tx) => {
          await tx`set local role service_role`;
          const [{ r }] = await tx<{ r: { items: Record<string, string>[] } }[]>`
            select private.claim_batch_items(${run.id}, 3) as r`;
          return r.items;
        });
        done.claims++;
        for (const [i, item] of items.entries()) {
          await c.begin(async (tx) => {
            await tx`set local role service_role`;
            if (i % 2 === 0) {
              await tx`select private.complete_batch_item(${item.id}, ${item.lease_token},
                ${item.storage_stem + ".png"}, 5)`;
              done.completions++;
            } else {
              await tx`select private.fail_batch_item(${item.id}, ${item.lease_token},
                'transient', 'again')`;
              done.retries++;
            }
          });
        }
      });
    }
  };
  const canceller = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await guarded(async () => {
        const [run] = await runs();
        if (!run) return;
        await c.begin(async (tx) => {
          await tx`select set_config('request.jwt.claims', ${world.claims}, true),
            set_config('role', 'authenticated', true)`;
          await tx`select private.cancel_execution(${run.id})`;
        });
        done.cancels++;
      });
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const deleter = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await guarded(async () => {
        const [run] = await runs();
        if (!run) return;
        await c`delete from public.workflow_executions where id = ${run.id}`;
        done.deletes++;
      });
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const compactor = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await guarded(async () => {
        await c`select private.compact_queued_item_deltas(${world.clientId})`;
      });
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const check = async (c: Sql) => {
    const [row] = await c<{ counted: string; pending: string }[]>`
      select
        (select coalesce(sum(delta), 0) from private.client_queued_item_deltas
          where client_id = ${world.clientId})::text as counted,
        (select count(*) from public.workflow_batch_results
          where client_id = ${world.clientId} and status = 'pending')::text as pending`;
    checks++;
    if (row.counted !== row.pending) {
      mismatches.push(`counter ${row.counted}, pending ${row.pending}`);
    }
  };
  const checker = async (c: Sql, going: () => boolean) => {
    while (going()) {
      await check(c);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  try {
    const going = until(Date.now() + RUN_MS);
    await Promise.all([
      starter(open(), going),
      starter(open(), going),
      claimer(open(), going),
      claimer(open(), going),
      canceller(open(), going),
      deleter(open(), going),
      compactor(open(), going),
      checker(open(), going),
    ]);
    await check(sql);
    assert.deepEqual(errors, []);
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${checks} snapshots disagreed`);
    for (const [what, n] of Object.entries(done)) assert.ok(n > 0, `no ${what} happened`);
    assert.ok(checks > 20, `only ${checks} snapshots checked`);
    // And the quota reads the same figure.
    const [{ quota, pending }] = await sql<{ quota: string; pending: string }[]>`
      select private.client_queued_items(${world.clientId})::text as quota,
        (select count(*) from public.workflow_batch_results
          where client_id = ${world.clientId} and status = 'pending')::text as pending`;
    assert.equal(quota, pending);
  } finally {
    await Promise.all(conns.map((c) => c.end({ timeout: 5 })));
    await sql`delete from public.workflow_executions where client_id = ${world.clientId}`;
    await sql`delete from private.client_queued_item_deltas where client_id = ${world.clientId}`;
    await sql`delete from public.workflows where client_id = ${world.clientId}`;
    await sql`delete from public.clients where id = ${world.clientId}`;
    await sql`delete from auth.users where id = ${world.userId}`;
    await closeAll();
  }
});
