// The edge worker (stack/host/edge-worker.ts) that runs each function on Deno 2.1 behind the
// gateway: EdgeRuntime.waitUntil work is drained on SIGTERM (up to the 5 s grace, then
// abandoned with a warning), a worker exits when the gateway that holds its stdin is gone, and
// a worker that dies is replaced. A throwaway function stands in for a real one.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { edgeDenoCommand, edgeRunArgs, FunctionWorker } from "../../stack/host/function-workers.ts";

const FUNCTION = `
declare const EdgeRuntime: { waitUntil(p: Promise<unknown>): void };
Deno.serve((req) => {
  const url = new URL(req.url);
  const ms = Number(url.searchParams.get("ms") ?? "0");
  const done = url.searchParams.get("done");
  if (done) {
    EdgeRuntime.waitUntil(
      new Promise((r) => setTimeout(r, ms)).then(() => Deno.writeTextFile(done, "done")),
    );
  }
  return Response.json({ pid: Deno.pid }, { status: 202 });
});
`;

async function withFunction(
  fn: (dir: string, start: (output: string[]) => Promise<FunctionWorker>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "edge-worker-" });
  await Deno.writeTextFile(join(dir, "index.ts"), FUNCTION);
  const deno = await edgeDenoCommand();
  const workers: FunctionWorker[] = [];
  const start = (output: string[]) => {
    const worker = new FunctionWorker({
      name: "probe",
      files: { entrypoint: join(dir, "index.ts"), importMap: "" },
      env: { PATH: Deno.env.get("PATH") ?? "" },
      log: (fields) => output.push(JSON.stringify(fields)),
      output: (line) => void output.push(line),
    }, deno);
    workers.push(worker);
    return Promise.resolve(worker);
  };
  try {
    await fn(dir, start);
  } finally {
    await Promise.all(workers.map((w) => w.stop(1000)));
    await Deno.remove(dir, { recursive: true });
  }
}

async function call(worker: FunctionWorker, query: string): Promise<{ pid: number }> {
  const reached = await worker.port();
  if ("error" in reached) throw new Error(reached.error);
  const res = await fetch(`http://127.0.0.1:${reached.port}/probe?${query}`);
  assert.equal(res.status, 202);
  return await res.json();
}

Deno.test("edge worker: SIGTERM waits for EdgeRuntime.waitUntil work to finish", async () => {
  await withFunction(async (dir, start) => {
    const output: string[] = [];
    const worker = await start(output);
    const done = join(dir, "short.done");
    await call(worker, `ms=1000&done=${encodeURIComponent(done)}`);
    assert.ok(!existsSync(done), "the work is still running when the answer arrives");
    const t0 = performance.now();
    await worker.stop(10_000);
    const took = performance.now() - t0;
    assert.ok(existsSync(done), "the background work completed before the worker exited");
    assert.ok(took >= 900, `the worker waited for the work (${Math.round(took)} ms)`);
    assert.ok(!output.some((l) => l.includes("abandoned")), output.join("\n"));
  });
});

Deno.test("edge worker: work longer than the grace is abandoned with a warning", async () => {
  await withFunction(async (dir, start) => {
    const output: string[] = [];
    const worker = await start(output);
    const done = join(dir, "long.done");
    await call(worker, `ms=30000&done=${encodeURIComponent(done)}`);
    const t0 = performance.now();
    await worker.stop(20_000);
    const took = performance.now() - t0;
    assert.ok(took < 15_000, `the worker exited after the grace (${Math.round(took)} ms)`);
    assert.ok(!existsSync(done));
    assert.ok(
      output.some((l) => l.includes('"background tasks abandoned"') && l.includes('"count":1')),
      output.join("\n"),
    );
  });
});

Deno.test("edge worker: a worker that dies is replaced by a new one", async () => {
  await withFunction(async (_dir, start) => {
    const output: string[] = [];
    const worker = await start(output);
    const first = await call(worker, "");
    assert.equal(first.pid, worker.pid);
    Deno.kill(first.pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
    const second = await call(worker, "");
    assert.notEqual(second.pid, first.pid);
    assert.ok(output.some((l) => l.includes("function worker exited; starting a new one")));
  });
});

Deno.test("edge worker: exits when the gateway holding its stdin is gone", async () => {
  await withFunction(async (dir) => {
    const deno = await edgeDenoCommand();
    const workerScript = new URL("../../stack/host/edge-worker.ts", import.meta.url).pathname;
    const child = new Deno.Command(deno.path, {
      args: edgeRunArgs("", workerScript),
      env: {
        ...deno.env,
        PATH: Deno.env.get("PATH") ?? "",
        EDGE_FUNCTION_NAME: "probe",
        EDGE_FUNCTION_ENTRY: join(dir, "index.ts"),
        EDGE_WORKER_CONTROL: "control",
      },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('control {"ready"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the worker exited before it was ready: ${seen}`);
      seen += value;
    }
    await child.stdin.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<"still running">((r) => timer = setTimeout(() => r("still running"), 10_000)),
    ]);
    clearTimeout(timer);
    if (status === "still running") child.kill("SIGKILL");
    await reader.cancel();
    assert.notEqual(status, "still running", "the worker outlived its gateway");
  });
});
