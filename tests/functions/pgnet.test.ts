// The local pg_net stand-in end to end: SQL enqueues with net.http_*, the stack's own worker
// process sends to a server started here and records net._http_response. Needs a running test
// stack (STACK_DIR, set by `deno task test`).
import postgres from "postgres";
import assert from "node:assert/strict";

interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
  at: number;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

function stackDbUrl(): string {
  const stackDir = Deno.env.get("STACK_DIR");
  if (!stackDir) {
    throw new Error(
      "STACK_DIR is not set: run this through `deno task test`, which starts the test stack " +
        "(Postgres + pg_net worker) and points STACK_DIR at .local/test",
    );
  }
  return JSON.parse(Deno.readTextFileSync(`${stackDir}/stack.json`)).dbUrl;
}

class Rollback extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("pg_net stand-in: requests are sent on commit only and recorded", async (t) => {
  const sql = postgres(stackDbUrl(), { max: 2, onnotice: () => {} });
  const tag = crypto.randomUUID();
  const seen: Seen[] = [];
  const release: (() => void)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const body = await req.text();
      seen.push({
        method: req.method,
        path: url.pathname,
        search: url.search,
        headers: req.headers,
        body,
        at: performance.now(),
      });
      if (url.pathname.startsWith("/slow/")) {
        // Holds the answer past the worker's timeout, until the test ends.
        await new Promise<void>((resolve) => release.push(resolve));
        return new Response("too late");
      }
      return new Response(JSON.stringify({ ok: true, path: url.pathname }), {
        status: 201,
        headers: { "content-type": "application/json", "x-reply": "yes" },
      });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ids: string[] = [];

  async function enqueue(query: Promise<{ id: string }[]>): Promise<string> {
    const [{ id }] = await query;
    ids.push(id);
    return id;
  }

  async function waitForResponse(id: string, timeoutMs = 5000): Promise<ResponseRow> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await sql<ResponseRow[]>`
        select id, status_code, content_type, headers, content, timed_out, error_msg
        from net._http_response where id = ${id}`;
      if (rows.length > 0) return rows[0];
      await sleep(20);
    }
    throw new Error(`no net._http_response row for request ${id} within ${timeoutMs} ms`);
  }

  function seenAt(path: string): Seen[] {
    return seen.filter((s) => s.path === path);
  }

  try {
    await t.step(
      "a committed http_post reaches the server and its response is recorded",
      async () => {
        const path = `/post/${tag}`;
        const postHeaders = { "Content-Type": "application/json", "X-Custom": "abc" };
        const id = await enqueue(sql`
        select net.http_post(
          url := ${base + path},
          body := ${sql.json({ hello: "world", n: 1 })},
          headers := ${sql.json(postHeaders)}
        ) as id`);
        const row = await waitForResponse(id);

        const [req] = seenAt(path);
        assert.deepEqual(seenAt(path).length, 1);
        assert.deepEqual(req.method, "POST");
        assert.deepEqual(req.headers.get("content-type"), "application/json");
        assert.deepEqual(req.headers.get("x-custom"), "abc");
        assert.deepEqual(JSON.parse(req.body), { hello: "world", n: 1 });

        assert.deepEqual(row.status_code, 201);
        assert.deepEqual(row.content_type, "application/json");
        assert.deepEqual(row.headers?.["x-reply"], "yes");
        assert.deepEqual(JSON.parse(row.content ?? ""), { ok: true, path });
        assert.deepEqual(row.timed_out, false);
        assert.deepEqual(row.error_msg, null);
        const queued = await sql`select 1 from net.http_request_queue where id = ${id}`;
        assert.deepEqual(queued.length, 0, "a sent request leaves the queue");
      },
    );

    await t.step("a commit wakes the worker at once (NOTIFY), not at the next poll", async () => {
      // With only the 1 s poll, three sends in a row all under 400 ms happen 6% of the time.
      for (let i = 0; i < 3; i++) {
        const path = `/kick/${tag}/${i}`;
        const before = performance.now();
        const id = await enqueue(sql`select net.http_get(${base + path}) as id`);
        await waitForResponse(id);
        const latency = seenAt(path)[0].at - before;
        assert.ok(latency < 400, `request ${i} reached the server after ${latency.toFixed(0)} ms`);
      }
    });

    await t.step("a rolled-back request is never sent and leaves no rows", async () => {
      const path = `/rolled-back/${tag}`;
      let rolledBack = "";
      await sql.begin(async (tx) => {
        const [{ id }] = await tx`
          select net.http_post(${base + path}, ${tx.json({ x: 1 })}) as id`;
        rolledBack = id;
        throw new Rollback();
      }).catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
      assert.ok(rolledBack !== "");

      // A request committed afterwards has gone through the worker, so the earlier one would
      // have too if it had been visible.
      const after = await enqueue(sql`select net.http_get(${`${base}/after/${tag}`}) as id`);
      await waitForResponse(after);

      assert.deepEqual(seenAt(path).length, 0, "the rolled-back request reached the server");
      const responses = await sql`select 1 from net._http_response where id = ${rolledBack}`;
      assert.deepEqual(responses.length, 0);
      const queued = await sql`select 1 from net.http_request_queue where id = ${rolledBack}`;
      assert.deepEqual(queued.length, 0);
    });

    await t.step("http_get appends params to the query string, url-encoded", async () => {
      const path = `/get/${tag}`;
      const id = await enqueue(sql`
        select net.http_get(
          url := ${`${base}${path}?fixed=1`},
          params := ${sql.json({ q: "a b", u: "ü&=" })},
          headers := ${sql.json({ "X-Get": "1" })}
        ) as id`);
      const row = await waitForResponse(id);
      const [req] = seenAt(path);
      assert.deepEqual(req.method, "GET");
      assert.deepEqual(req.search, "?fixed=1&q=a%20b&u=%C3%BC%26%3D");
      assert.deepEqual(req.headers.get("x-get"), "1");
      assert.deepEqual(req.body, "");
      assert.deepEqual(row.status_code, 201);
    });

    await t.step("http_delete sends DELETE with its optional body", async () => {
      const path = `/delete/${tag}`;
      const id = await enqueue(sql`
        select net.http_delete(${base + path}, body := ${sql.json({ gone: true })})
          as id`);
      const row = await waitForResponse(id);
      const [req] = seenAt(path);
      assert.deepEqual(req.method, "DELETE");
      assert.deepEqual(JSON.parse(req.body), { gone: true });
      assert.deepEqual(row.status_code, 201);
    });

    await t.step("a closed port records error_msg and no status", async () => {
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closedPort = probe.addr.port;
      probe.close();
      const id = await enqueue(
        sql`select net.http_get(${`http://127.0.0.1:${closedPort}/x`}) as id`,
      );
      const row = await waitForResponse(id);
      assert.deepEqual(row.status_code, null);
      assert.deepEqual(row.timed_out, false);
      assert.match(row.error_msg ?? "", /connect/i);
      assert.deepEqual(row.content, null);
    });

    await t.step(
      "a request slower than timeout_milliseconds is recorded as timed out",
      async () => {
        const path = `/slow/${tag}`;
        const started = performance.now();
        const id = await enqueue(sql`
        select net.http_post(${base + path}, timeout_milliseconds := 300) as id`);
        const row = await waitForResponse(id);
        const elapsed = performance.now() - started;
        assert.deepEqual(seenAt(path).length, 1, "the slow request did reach the server");
        assert.deepEqual(row.timed_out, true);
        assert.deepEqual(row.status_code, null);
        assert.match(row.error_msg ?? "", /timeout/i);
        assert.ok(elapsed >= 300, `recorded after ${elapsed.toFixed(0)} ms, before the timeout`);
      },
    );
  } finally {
    release.forEach((resolve) => resolve());
    if (ids.length > 0) {
      await sql`delete from net._http_response where id in ${sql(ids)}`;
      await sql`delete from net.http_request_queue where id in ${sql(ids)}`;
    }
    await sql.end();
    await server.shutdown();
  }
});
