// Sends one queued pg_net request and turns the outcome into its net._http_response row. Never
// throws: every failure (bad url, refused connection, timeout) becomes error_msg, as the real
// worker records curl errors, so one bad request cannot stall the queue.

export interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown> | null;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

export interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

export interface Delivery {
  row: ResponseRow;
  ms: number;
}

const userAgent = "pg_net/0.19.5 (local stand-in)";

function requestHeaders(raw: Record<string, unknown> | null): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === null || value === undefined) continue;
    headers.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  if (!headers.has("user-agent")) headers.set("user-agent", userAgent);
  return headers;
}

// Deno reports "fetch failed" and keeps the useful part (refused, dns, tls) in `cause`.
function errorMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = (e as Error).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  const message = parts.join(": ");
  if (/connection refused|tcp connect error|connect\)/i.test(message)) {
    return `Couldn't connect to server: ${message}`;
  }
  if (/dns error|failed to lookup|name or service not known/i.test(message)) {
    return `Couldn't resolve host name: ${message}`;
  }
  return message;
}

export async function deliver(req: QueuedRequest): Promise<Delivery> {
  const started = performance.now();
  const timeout = req.timeout_milliseconds;
  const signal = timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
  const method = req.method.toUpperCase();
  try {
    const res = await fetch(req.url, {
      method,
      headers: requestHeaders(req.headers),
      body: method === "GET" ? undefined : req.body ?? undefined,
      signal,
      // curl (and so pg_net) does not follow redirects unless asked to.
      redirect: "manual",
    });
    // Postgres text cannot hold NUL; a binary body must not poison the whole batch.
    const content = (await res.text()).replaceAll("\u0000", "");
    return {
      ms: performance.now() - started,
      row: {
        id: req.id,
        status_code: res.status,
        content_type: res.headers.get("content-type"),
        headers: Object.fromEntries(res.headers),
        content,
        timed_out: false,
        error_msg: null,
      },
    };
  } catch (err) {
    const ms = performance.now() - started;
    const timedOut = signal?.aborted === true &&
      (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
    return {
      ms,
      row: {
        id: req.id,
        status_code: null,
        content_type: null,
        headers: null,
        content: null,
        timed_out: timedOut,
        error_msg: timedOut
          ? `Timeout of ${timeout} ms reached. Total time: ${ms.toFixed(1)} ms`
          : errorMessage(err),
      },
    };
  }
}

// Query strings and credentials can carry secrets; logs get the origin and path only.
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return url.split("?")[0];
  }
}

export function logLine(req: QueuedRequest, delivery: Delivery): string {
  const { row, ms } = delivery;
  const error = (row.error_msg ?? "").replace(/(https?:\/\/[^\s?#)]*)\?[^\s#)]*/g, "$1?…");
  const outcome = row.status_code ?? (row.timed_out ? "timeout" : `error: ${error}`);
  return `${new Date().toISOString()} ${req.method.toUpperCase()} ${
    redactUrl(req.url)
  } ${outcome} ${Math.round(ms)}ms id=${req.id}`;
}
