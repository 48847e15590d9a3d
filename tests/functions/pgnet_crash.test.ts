// Contract test of the pg_net stand-in, durability: real pg_net 0.19.5 keeps its queue in an
// UNLOGGED table, so a Postgres crash (crash recovery empties unlogged tables) drops committed
// requests the worker had not sent yet. Delivery is "at most once per committed request that
// survives", which is why the product's sweep re-kicks stalled chains. The test crashes the
// test stack's Postgres (immediate stop), with the worker stopped so the request stays queued,
// then brings both back and checks the worker sends again.
import assert from "node:assert/strict";
import { stackPaths } from "../../stack/paths.ts";
import { startCluster, stopCluster } from "../../stack/postgres.ts";
import { startService, stopService } from "../../stack/processes.ts";
import { functionsEnv } from "../../stack/stack.ts";
import { startRecordingServer } from "../helpers/recording-server.ts";
import { closeAll, db, stack } from "../helpers/stack.ts";

async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

Deno.test("pg_net stand-in: a crash drops committed requests still in the unlogged queue", async () => {
  const state = stack();
  const paths = stackPaths(state.instance);
  const server = startRecordingServer();
  const tag = crypto.randomUUID();
  await stopService(paths, "pgnet");
  try {
    const lost = `/lost/${tag}`;
    const [{ id }] = await db()<{ id: string }[]>`
      select net.http_get(${server.base + lost}) as id`;
    const queued = await db()`select 1 from net.http_request_queue where id = ${id}`;
    assert.equal(queued.length, 1, "the committed request is queued");

    await closeAll();
    await stopCluster(paths, "immediate");
    await startCluster(paths);

    const left = await retry(
      "reconnecting after the crash",
      () => db()`select 1 from net.http_request_queue where url like ${`%${tag}%`}`,
    );
    assert.equal(left.length, 0, "crash recovery kept an unlogged queue row");
  } finally {
    await startService(paths, "pgnet", {
      ...functionsEnv(paths, state),
      DATABASE_URL: state.dbUrl,
    });
  }
  try {
    await retry("waiting for the worker", () => db()`select net.wait_until_running()`);
    const after = `/after-crash/${tag}`;
    const [{ id }] = await db()<{ id: string }[]>`select net.http_get(${
      server.base + after
    }) as id`;
    await retry("the first request after the crash", async () => {
      const rows = await db()`select status_code from net._http_response where id = ${id}`;
      if (rows.length === 0) throw new Error("no response yet");
      return rows;
    });
    assert.equal(server.at(after).length, 1, "the worker sends again after the crash");
    assert.equal(server.at(`/lost/${tag}`).length, 0, "the lost request was sent after all");
  } finally {
    await server.close();
    await closeAll();
  }
});
