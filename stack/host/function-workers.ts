// The gateway's side of the edge workers: one Deno 2.1 process per function (edge-worker.ts),
// started with the function's own import map and `--no-config`, reached over HTTP on
// 127.0.0.1. A worker that dies is started again, as the Edge Runtime starts a fresh worker
// for the next request. Workers share the gateway's process group, so signalling the group
// (stack down, the fault tests' SIGKILL) reaches all of them at once.
import { join } from "node:path";
import { edgeDeno, ensureTool, toolDir } from "../tools.ts";
import type { FunctionFiles } from "./function-config.ts";

const BOOT_TIMEOUT_MS = 120_000;
const RESTART_DELAY_MS = 500;
const workerScript = new URL("./edge-worker.ts", import.meta.url).pathname;

export type Log = (fields: Record<string, unknown>) => void;

type State =
  | { kind: "booting" }
  | { kind: "ready"; port: number }
  | { kind: "failed"; error: string }
  | { kind: "stopped" };

/** The Deno that runs functions, with a module cache of its own (Deno 2.1's npm cache layout). */
export async function edgeDenoCommand(): Promise<{ path: string; env: Record<string, string> }> {
  const path = await ensureTool(edgeDeno);
  return {
    path,
    env: {
      DENO_DIR: join(toolDir(edgeDeno), "deno-dir"),
      // Deno 2.1 trusts only its bundled roots by default; the machine's CA store may hold a
      // proxy's root the npm registry is reached through.
      DENO_TLS_CA_STORE: Deno.env.get("DENO_TLS_CA_STORE") ?? "mozilla,system",
      NO_COLOR: "1",
    },
  };
}

/** `deno run` arguments that resolve exactly like the deployed function: its map, no config. */
export function edgeRunArgs(importMap: string, script: string): string[] {
  return [
    "run",
    "--no-config",
    ...(importMap ? ["--import-map", importMap] : []),
    "--allow-all",
    "--quiet",
    script,
  ];
}

export interface WorkerSpec {
  name: string;
  /** Absolute paths of the entrypoint and import map ("" for none). */
  files: FunctionFiles;
  env: Record<string, string>;
  log: Log;
  /** Where the function's own output lines go (default: this process's stdout). */
  output?: (line: string) => void | Promise<void>;
}

export class FunctionWorker {
  readonly name: string;
  #spec: WorkerSpec;
  #deno: { path: string; env: Record<string, string> };
  #state: State = { kind: "booting" };
  #settled: Promise<void> = Promise.resolve();
  #settle: (() => void) | null = null;
  #child?: Deno.ChildProcess;
  #stdin?: WritableStreamDefaultWriter<Uint8Array>;

  constructor(spec: WorkerSpec, deno: { path: string; env: Record<string, string> }) {
    this.name = spec.name;
    this.#spec = spec;
    this.#deno = deno;
    this.#spawn();
  }

  /** Resolves once the worker listens or has failed to boot. */
  get settled(): Promise<void> {
    return this.#settled;
  }

  /** The worker process's pid while one runs. */
  get pid(): number | undefined {
    return this.#state.kind === "stopped" ? undefined : this.#child?.pid;
  }

  get bootError(): string | undefined {
    return this.#state.kind === "failed" ? this.#state.error : undefined;
  }

  #setState(state: State): void {
    this.#state = state;
    if (state.kind === "booting") {
      // One promise per boot, however many restarts it takes; callers wait on it.
      if (!this.#settle) this.#settled = new Promise((resolve) => this.#settle = resolve);
    } else {
      this.#settle?.();
      this.#settle = null;
    }
  }

  #spawn(): void {
    this.#setState({ kind: "booting" });
    const control = `edge-worker-control:${crypto.randomUUID()}`;
    const child = new Deno.Command(this.#deno.path, {
      args: edgeRunArgs(this.#spec.files.importMap, workerScript),
      env: {
        ...this.#spec.env,
        ...this.#deno.env,
        EDGE_FUNCTION_NAME: this.name,
        EDGE_FUNCTION_ENTRY: this.#spec.files.entrypoint,
        EDGE_WORKER_CONTROL: control,
      },
      // Only what the spec names: a deployed function sees Supabase's variables, not ours.
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const timer = setTimeout(() => {
      if (this.#child !== child || this.#state.kind !== "booting") return;
      this.#setState({ kind: "failed", error: `did not start within ${BOOT_TIMEOUT_MS} ms` });
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, BOOT_TIMEOUT_MS);
    this.#pumpStdout(child, control);
    child.status.then((status) => {
      clearTimeout(timer);
      if (this.#child !== child) return;
      this.#stdin?.close().catch(() => {});
      const was = this.#state.kind;
      if (was === "stopped") return;
      if (was === "booting") {
        this.#setState({ kind: "failed", error: `exited with code ${status.code} while booting` });
        return;
      }
      if (was === "failed") return;
      this.#spec.log({
        level: "error",
        msg: "function worker exited; starting a new one",
        fn: this.name,
        code: status.code,
        signal: status.signal,
      });
      this.#setState({ kind: "booting" });
      setTimeout(() => {
        if (this.#state.kind !== "stopped") this.#spawn();
      }, RESTART_DELAY_MS);
    });
  }

  async #pumpStdout(child: Deno.ChildProcess, control: string): Promise<void> {
    const encoder = new TextEncoder();
    const output = this.#spec.output ??
      (async (line: string) => void await Deno.stdout.write(encoder.encode(line + "\n")));
    let buffered = "";
    const handleLine = async (line: string) => {
      if (!line.startsWith(control + " ")) {
        await output(line);
        return;
      }
      const message = JSON.parse(line.slice(control.length + 1));
      if (this.#child !== child) return;
      if (typeof message.ready === "number") this.#setState({ kind: "ready", port: message.ready });
      else this.#setState({ kind: "failed", error: String(message.boot_error) });
    };
    try {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          await handleLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      }
      if (buffered) await handleLine(buffered);
    } catch (err) {
      this.#spec.log({
        level: "warn",
        msg: "worker output lost",
        fn: this.name,
        error: String(err),
      });
    }
  }

  /** The port of a running worker (waiting for one that is starting), or why there is none. */
  async port(): Promise<{ port: number } | { error: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.#settled;
      const state = this.#state;
      if (state.kind === "ready") return { port: state.port };
      if (state.kind === "failed") return { error: state.error };
      if (state.kind === "stopped") return { error: "the functions host is shutting down" };
    }
    return { error: "the function's worker keeps restarting" };
  }

  /** SIGTERM (the worker drains its background tasks), then waits for it to exit. */
  async stop(timeoutMs: number): Promise<void> {
    const child = this.#child;
    this.#setState({ kind: "stopped" });
    if (!child) return;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((resolve) => timer = setTimeout(resolve, timeoutMs));
    await Promise.race([child.status, timeout]);
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }
}

/** Starts one worker per function; resolves when each is listening or has failed to boot. */
export async function startWorkers(specs: WorkerSpec[]): Promise<Map<string, FunctionWorker>> {
  const deno = await edgeDenoCommand();
  const workers = new Map(specs.map((spec) => [spec.name, new FunctionWorker(spec, deno)]));
  await Promise.all([...workers.values()].map((w) => w.settled));
  return workers;
}
