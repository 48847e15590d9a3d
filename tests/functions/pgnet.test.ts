// Contract test of the pg_net stand-in: each step pins one behaviour of real pg_net 0.19.5
// (supabase/pg_net: sql/pg_net.sql, src/worker.c, src/core.c; timings measured on the real
// extension built against this project). SQL enqueues with net.http_*, the stack's worker
// sends to a server started here and records net._http_response. Timing steps assert the
// modelled behaviour with generous ordering / lower bounds, never a speed target. Needs a
// running test stack (STACK_DIR, set by `deno task test`).
import assert from "node:assert/strict";
import { closeAll, db } from "../helpers/stack.ts";
import { startRecordingServer } from "../helpers/recording-server.ts";

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

class Rollback extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Upstream's worker is idle (asleep without timeout) at most ~3 s after its last request. */
const IDLE_AFTER_MS = 3500;
/** Upstream's pause after a busy round (src/worker.c: WaitLatch(..., 1000, ...)). */
const LOOP_MS = 1000;
/** Slack on lower bounds for timer granularity. */
const SLACK_MS = 50;

Deno.test("pg_net stand-in behaves like pg_net 0.19.5", async (t) => {
  const sql = db();
  const server = startRecordingServer();
  const tag = crypto.randomUUID();
  const ids: string[] = [];

  async function enqueue(query: Promise<{ id: string }[]>): Promise<string> {
    const [{ id }] = await query;
    ids.push(String(id));
    return String(id);
  }

  async function waitForResponse(id: string, timeoutMs = 15_000): Promise<ResponseRow> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await sql<ResponseRow[]>`
        select id, status_code, content_type, headers, content, timed_out, error_msg
        from net._http_response where id = ${id}`;
      if (rows.length > 0) return rows[0];
      await sleep(10);
    }
    throw new Error(`no net._http_response row for request ${id} within ${timeoutMs} ms`);
  }

  try {
    await t.step(
      "idle, the worker sleeps until a commit calls net.wake(): a row queued without it stays unsent (no polling)",
      async () => {
        await sleep(IDLE_AFTER_MS);
        const direct = `/direct/${tag}`;
        const [{ id }] = await sql<{ id: string }[]>`
          insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
          values ('GET', ${server.base + direct}, '{}', 5000) returning id`;
        ids.push(String(id));
        await sleep(2 * LOOP_MS + 500);
        assert.equal(server.at(direct).length, 0, "sent without a wake: the worker polls");
        const queued = await sql`select 1 from net.http_request_queue where id = ${id}`;
        assert.equal(queued.length, 1);

        // The next commit that calls net.wake() takes both, oldest first, in one batch.
        const woken = `/woken/${tag}`;
        const before = performance.now();
        const wokenId = await enqueue(sql`select net.http_get(${server.base + woken}) as id`);
        await waitForResponse(wokenId);
        await waitForResponse(String(id));
        const [directSeen] = server.at(direct);
        const [wokenSeen] = server.at(woken);
        assert.ok(directSeen && wokenSeen);
        // Real: an isolated request reaches the server 3-8 ms after the commit, well inside
        // the 1 s loop.
        const latency = wokenSeen.at - before;
        assert.ok(latency < LOOP_MS, `isolated request took ${latency.toFixed(0)} ms`);
      },
    );

    await t.step(
      "back-to-back requests wait out the 1 s loop (real: median 999 ms over 15)",
      async () => {
        const arrivals: number[] = [];
        for (let i = 0; i < 5; i++) {
          const path = `/b2b/${tag}/${i}`;
          const id = await enqueue(sql`select net.http_get(${server.base + path}) as id`);
          await waitForResponse(id);
          arrivals.push(server.at(path)[0].at);
        }
        const gaps = arrivals.slice(1).map((a, i) => a - arrivals[i]);
        // At most the first commit after the worker cleared should_wake sets its latch; every
        // later one waits for the pause after the previous round to run out.
        for (const [i, gap] of gaps.entries()) {
          if (i === 0) continue;
          assert.ok(
            gap >= LOOP_MS - SLACK_MS,
            `request ${i + 1} arrived ${gap.toFixed(0)} ms after the previous one`,
          );
        }
      },
    );

    await t.step(
      "requests go out in batches of pg_net.batch_size (200), the next batch after the 1 s pause",
      async () => {
        const [{ first, last }] = await sql<{ first: string; last: string }[]>`
          with queued as (
            select net.http_get(${`${server.base}/batch/${tag}/`} || n) as id
            from generate_series(1, 250) as n
          )
          select min(id) as first, max(id) as last from queued`;
        for (let id = BigInt(first); id <= BigInt(last); id++) ids.push(String(id));
        await waitForResponse(last);
        const batch = server.seen.filter((s) => s.path.startsWith(`/batch/${tag}/`));
        assert.equal(batch.length, 250);
        const number = (s: { path: string }) => Number(s.path.split("/").pop());
        const firstBatch = batch.filter((s) => number(s) <= 200);
        const secondBatch = batch.filter((s) => number(s) > 200);
        const endOfFirst = Math.max(...firstBatch.map((s) => s.at));
        const startOfSecond = Math.min(...secondBatch.map((s) => s.at));
        assert.ok(
          startOfSecond - endOfFirst >= LOOP_MS - SLACK_MS,
          `the 201st request came ${(startOfSecond - endOfFirst).toFixed(0)} ms after the 200th`,
        );
      },
    );

    await t.step("a committed http_post is sent and its response recorded", async () => {
      const path = `/post/${tag}`;
      const id = await enqueue(sql`
        select net.http_post(
          url := ${server.base + path},
          body := ${sql.json({ hello: "world", n: 1 })},
          headers := ${sql.json({ "Content-Type": "application/json", "X-Custom": "abc" })}
        ) as id`);
      const row = await waitForResponse(id);
      const [req] = server.at(path);
      assert.equal(server.at(path).length, 1);
      assert.equal(req.method, "POST");
      assert.equal(req.headers.get("content-type"), "application/json");
      assert.equal(req.headers.get("x-custom"), "abc");
      // Upstream appends its own User-Agent after the caller's headers.
      assert.equal(req.headers.get("user-agent"), "pg_net/0.19.5");
      assert.deepEqual(JSON.parse(req.body), { hello: "world", n: 1 });
      assert.equal(row.status_code, 201);
      assert.equal(row.content_type, "application/json");
      assert.equal(row.headers?.["x-reply"], "yes");
      assert.deepEqual(JSON.parse(row.content ?? ""), { ok: true, path });
      assert.equal(row.timed_out, false);
      assert.equal(row.error_msg, null);
      const queued = await sql`select 1 from net.http_request_queue where id = ${id}`;
      assert.equal(queued.length, 0, "a sent request leaves the queue");
    });

    await t.step("a rolled-back request is never sent and leaves no rows", async () => {
      const path = `/rolled-back/${tag}`;
      let rolledBack = "";
      await sql.begin(async (tx) => {
        const [{ id }] = await tx`select net.http_post(${server.base + path}) as id`;
        rolledBack = String(id);
        throw new Rollback();
      }).catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
      assert.ok(rolledBack !== "");
      const after = await enqueue(sql`select net.http_get(${`${server.base}/after/${tag}`}) as id`);
      await waitForResponse(after);
      assert.equal(server.at(path).length, 0, "the rolled-back request reached the server");
      assert.equal(
        (await sql`select 1 from net._http_response where id = ${rolledBack}`).length,
        0,
      );
      assert.equal(
        (await sql`select 1 from net.http_request_queue where id = ${rolledBack}`).length,
        0,
      );
    });

    await t.step(
      "params are appended to the query string in lower-case percent-encoding",
      async () => {
        const path = `/get/${tag}`;
        const id = await enqueue(sql`
        select net.http_get(
          url := ${`${server.base}${path}?fixed=1`},
          params := ${sql.json({ q: "a b", u: "ü&=" })},
          headers := ${sql.json({ "X-Get": "1" })}
        ) as id`);
        const row = await waitForResponse(id);
        const [req] = server.at(path);
        assert.equal(req.method, "GET");
        assert.equal(req.search, "?fixed=1&q=a%20b&u=%c3%bc%26%3d");
        assert.equal(req.headers.get("x-get"), "1");
        assert.equal(req.body, "");
        assert.equal(row.status_code, 201);
      },
    );

    await t.step("http_delete sends DELETE with its optional body", async () => {
      const path = `/delete/${tag}`;
      const id = await enqueue(sql`
        select net.http_delete(${server.base + path}, body := ${sql.json({ gone: true })}) as id`);
      const row = await waitForResponse(id);
      const [req] = server.at(path);
      assert.equal(req.method, "DELETE");
      assert.deepEqual(JSON.parse(req.body), { gone: true });
      assert.equal(row.status_code, 201);
    });

    await t.step("redirects are followed (CURLOPT_FOLLOWLOCATION)", async () => {
      const target = `/target/${tag}`;
      const id = await enqueue(
        sql`select net.http_get(${`${server.base}/redirect${target}`}) as id`,
      );
      const row = await waitForResponse(id);
      assert.equal(server.at(target).length, 1);
      assert.equal(row.status_code, 201);
      assert.deepEqual(JSON.parse(row.content ?? ""), { ok: true, path: target });
    });

    await t.step("an empty body is recorded as NULL content, a missing type as NULL", async () => {
      const id = await enqueue(sql`select net.http_get(${`${server.base}/empty/${tag}`}) as id`);
      const row = await waitForResponse(id);
      assert.equal(row.status_code, 204);
      assert.equal(row.content, null);
      assert.equal(row.content_type, null);
      assert.equal(row.timed_out, false);
    });

    await t.step(
      "a refused connection: only error_msg is set; status, content and timed_out are NULL",
      async () => {
        const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const closedPort = probe.addr.port;
        probe.close();
        const id = await enqueue(
          sql`select net.http_get(${`http://127.0.0.1:${closedPort}/x`}) as id`,
        );
        const row = await waitForResponse(id);
        assert.deepEqual(
          { ...row, id: undefined },
          {
            id: undefined,
            status_code: null,
            content_type: null,
            headers: null,
            content: null,
            timed_out: null,
            error_msg: "Couldn't connect to server",
          },
        );
      },
    );

    await t.step(
      "a timeout: only error_msg says so (timed_out is NULL), after timeout_milliseconds",
      async () => {
        const path = `/slow/${tag}`;
        const started = performance.now();
        const id = await enqueue(sql`
          select net.http_post(${server.base + path}, timeout_milliseconds := 300) as id`);
        const row = await waitForResponse(id);
        const elapsed = performance.now() - started;
        assert.equal(server.at(path).length, 1, "the slow request did reach the server");
        assert.equal(row.timed_out, null);
        assert.equal(row.status_code, null);
        assert.equal(row.content, null);
        assert.match(row.error_msg ?? "", /^Timeout of 300 ms reached\. Total time: /);
        assert.ok(elapsed >= 300, `recorded after ${elapsed.toFixed(0)} ms, before the timeout`);
      },
    );

    await t.step("the queue and the response log are unlogged tables", async () => {
      const rows = await sql<{ relname: string; relpersistence: string }[]>`
        select relname, relpersistence from pg_class
        where relnamespace = 'net'::regnamespace
          and relname in ('http_request_queue', '_http_response')
        order by relname`;
      assert.deepEqual(rows.map((r) => [r.relname, r.relpersistence]), [
        ["_http_response", "u"],
        ["http_request_queue", "u"],
      ]);
    });

    await t.step(
      "as created, the extension grants its tables and functions to PUBLIC",
      async () => {
        // pg_init_privs keeps the privileges the extension script left, whatever a project's
        // migrations revoke later. A function with no entry kept the default EXECUTE to PUBLIC.
        const tables = await sql<{ name: string; public: boolean }[]>`
          select c.relname as name, exists (
            select 1 from unnest(ip.initprivs) a where a::text like '=arwdDxt/%'
          ) as public
          from pg_init_privs ip join pg_class c on c.oid = ip.objoid
          where ip.classoid = 'pg_class'::regclass and ip.objsubid = 0
            and c.relname in ('http_request_queue', '_http_response')
          order by 1`;
        assert.deepEqual([...tables], [
          { name: "_http_response", public: true },
          { name: "http_request_queue", public: true },
        ]);
        const functions = await sql<{ name: string; public: boolean }[]>`
          select p.proname as name, coalesce((
            select bool_or(a::text like '=X/%') from pg_init_privs ip, unnest(ip.initprivs) a
            where ip.objoid = p.oid and ip.classoid = 'pg_proc'::regclass
          ), true) as public
          from pg_proc p
          where p.pronamespace = 'net'::regnamespace
            and p.proname in ('http_get', 'http_post', 'http_delete')
          order by 1`;
        assert.deepEqual([...functions], [
          { name: "http_delete", public: true },
          { name: "http_get", public: true },
          { name: "http_post", public: true },
        ]);
      },
    );
  } finally {
    await server.close();
    if (ids.length > 0) {
      await sql`delete from net._http_response where id in ${sql(ids)}`;
      await sql`delete from net.http_request_queue where id in ${sql(ids)}`;
    }
    await closeAll();
  }
});
