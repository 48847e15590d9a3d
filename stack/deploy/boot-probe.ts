// Boots one laid-out uploaded function in an edge worker (Deno 2.1, `--no-config`, only the
// uploaded import map: host/edge-worker.ts) and calls it once without credentials. A function
// that booted answers with its own JSON (its 401, or its 404 for a path it has no route for);
// a 5xx, a non-JSON answer or a boot error is a problem.
import { join } from "node:path";
import { FunctionWorker } from "../host/function-workers.ts";

export interface ProbeResult {
  /** e.g. "GET /health -> 401 unauthorized" */
  answer?: string;
  problems: string[];
  /** The function's own output while it ran (shown when something failed). */
  output: string[];
}

export async function bootAndProbe(
  deno: { path: string; env: Record<string, string> },
  dir: string,
  name: string,
  files: { entrypoint: string; importMap: string },
  env: Record<string, string>,
): Promise<ProbeResult> {
  const output: string[] = [];
  const problems: string[] = [];
  const worker = new FunctionWorker({
    name,
    files: {
      entrypoint: join(dir, files.entrypoint),
      importMap: files.importMap && join(dir, files.importMap),
    },
    env,
    log: (fields) => output.push(JSON.stringify(fields)),
    output: (line) => void output.push(line),
  }, deno);
  try {
    const reached = await worker.port();
    if ("error" in reached) {
      return { problems: [`boot error: ${reached.error}`], output };
    }
    const path = `/${name}`;
    const res = await fetch(`http://127.0.0.1:${reached.port}${path}`);
    const text = await res.text();
    let code = "";
    try {
      const body = JSON.parse(text);
      code = body?.error?.code ?? "";
    } catch {
      problems.push(
        `GET ${path} answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      );
    }
    if (res.status >= 500) {
      problems.push(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    return { answer: `GET ${path} -> ${res.status}${code ? ` ${code}` : ""}`, problems, output };
  } finally {
    await worker.stop(5000);
  }
}
