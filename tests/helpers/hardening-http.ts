// Raw HTTP for the hardening suites: requests built byte by byte (bad bodies, bad headers,
// bad paths need more control than supabase-js gives), sent with bounded concurrency, and
// the checks every answer must pass whatever was sent.
import { alive, readPid } from "../../stack/processes.ts";
import { stack } from "./stack.ts";

export interface Sent {
  method: string;
  /** Path under the API, e.g. `/functions/v1/tickets/123`, query string included. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
  ms: number;
}

/** Sends one request and reads the whole answer (never throws on HTTP errors). */
export async function send(req: Sent): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${stack().apiUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    body: req.body as BodyInit | undefined,
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON: the shape check reports it */ }
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    text,
    json,
    ms: performance.now() - started,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; answers in input order. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Why an error answer is not `{"error":{"code","message","details"?}}` JSON, or null. */
export function errorShapeProblem(a: Answer): string | null {
  if (!/^application\/json\b/i.test(a.contentType)) return `content-type ${a.contentType}`;
  const error = (a.json as { error?: Record<string, unknown> } | undefined)?.error;
  if (!error || typeof error !== "object") return "no error object";
  if (typeof error.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(error.code)) {
    return `bad error.code ${JSON.stringify(error.code)}`;
  }
  if (typeof error.message !== "string" || error.message.length === 0) return "no error.message";
  const extra = Object.keys(error).filter((k) => !["code", "message", "details"].includes(k));
  if (extra.length) return `unexpected error keys ${extra.join(",")}`;
  return null;
}

/** The functions host answers /health and its process is still the one we started. */
export async function hostUp(): Promise<boolean> {
  const dir = Deno.env.get("STACK_DIR");
  if (dir && !alive(readPid({ run: `${dir}/run` } as never, "functions"))) return false;
  try {
    const res = await fetch(`${stack().apiUrl}/health`);
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Shortens a value for a failure message. */
export function clip(value: unknown, max = 300): string {
  const s = typeof value === "string"
    ? value
    : value instanceof Uint8Array
    ? `<${value.length} bytes>`
    : JSON.stringify(value) ?? String(value);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}
