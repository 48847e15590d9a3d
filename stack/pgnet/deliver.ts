// Sends one queued pg_net request and turns the outcome into its net._http_response row, as
// upstream's worker does with libcurl (src/core.c, 0.19):
// - a response: status_code, content_type (NULL without the header), headers, content (NULL
//   when the body is empty; text up to a first NUL byte), timed_out false, error_msg NULL;
// - no response (refused connection, unknown host, timeout, ...): only error_msg is set, with
//   curl's wording; status_code, headers, content and timed_out stay NULL.
// Redirects are followed (CURLOPT_FOLLOWLOCATION), only http and https are allowed, the
// request carries "User-Agent: pg_net/0.19.5" after the caller's headers, and a body sent
// without a Content-Type gets curl's default for POST fields. Never throws.

export interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  /** "Name: value" lines, built in SQL from the jsonb headers exactly as upstream does. */
  headers: string[];
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

export interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

export interface Delivery {
  row: ResponseRow;
  ms: number;
}

const userAgent = "pg_net/0.19.5";

// curl_easy_strerror() texts for the failures a fetch can report.
const curlErrors = {
  couldntConnect: "Couldn't connect to server",
  couldntResolve: "Couldn't resolve host name",
  unsupportedProtocol: "Unsupported protocol",
  malformedUrl: "URL using bad/illegal format or missing URL",
  recvError: "Failure when receiving data from the peer",
  sslConnect: "SSL connect error",
  peerVerification: "SSL peer certificate or SSH remote key was not OK",
  tooManyRedirects: "Number of redirects hit maximum amount",
};

function requestHeaders(lines: string[], hasBody: boolean): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const at = line.indexOf(":");
    if (at <= 0) continue;
    try {
      headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
    } catch { /* a name or value fetch cannot send; curl would send it garbled */ }
  }
  headers.append("user-agent", userAgent);
  if (hasBody && !headers.has("content-type")) {
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  return headers;
}

// Deno reports "fetch failed" and keeps the useful part (refused, dns, tls) in `cause`.
function causeText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = (e as Error).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(": ");
}

function curlMessage(err: unknown): string {
  const text = causeText(err);
  if (/connection refused|tcp connect error|os error 111|connect\)/i.test(text)) {
    return curlErrors.couldntConnect;
  }
  if (/dns error|failed to lookup|name or service not known|no such host/i.test(text)) {
    return curlErrors.couldntResolve;
  }
  if (/redirect/i.test(text)) return curlErrors.tooManyRedirects;
  if (/certificate|invalid peer|unknownissuer/i.test(text)) return curlErrors.peerVerification;
  if (/tls|ssl|handshake/i.test(text)) return curlErrors.sslConnect;
  return curlErrors.recvError;
}

// Upstream's detailed timeout text. fetch gives no DNS or handshake timings; on this stack's
// loopback addresses both are negligible, so the time is reported as request/response time.
function timeoutMessage(timeoutMs: number, totalMs: number): string {
  const f = (ms: number) => ms.toFixed(6);
  return `Timeout of ${timeoutMs} ms reached. Total time: ${f(totalMs)} ms ` +
    `(DNS time: ${f(0)} ms, TCP/SSL handshake time: ${f(0)} ms, ` +
    `HTTP Request/Response time: ${f(totalMs)} ms)`;
}

function failure(id: string, errorMsg: string): ResponseRow {
  return {
    id,
    status_code: null,
    content_type: null,
    headers: null,
    content: null,
    timed_out: null,
    error_msg: errorMsg,
  };
}

// curl hands the body to a C string: it ends at the first NUL byte, and an empty one is NULL.
function contentOf(bytes: Uint8Array): string | null {
  const end = bytes.indexOf(0);
  const text = new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
  return text === "" ? null : text;
}

function parseUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return curlErrors.malformedUrl;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return curlErrors.unsupportedProtocol;
  return url;
}

export async function deliver(req: QueuedRequest): Promise<Delivery> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const url = parseUrl(req.url);
  if (typeof url === "string") return { ms: elapsed(), row: failure(req.id, url) };
  const timeout = req.timeout_milliseconds;
  const signal = timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
  const timedOut = () =>
    signal?.aborted === true &&
    (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
  const method = req.method.toUpperCase();
  const body = method === "GET" ? null : req.body;
  try {
    const res = await fetch(url, {
      method,
      headers: requestHeaders(req.headers ?? [], body !== null),
      body,
      signal,
      redirect: "follow",
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return {
      ms: elapsed(),
      row: {
        id: req.id,
        status_code: res.status,
        content_type: res.headers.get("content-type"),
        headers: Object.fromEntries(res.headers),
        content: contentOf(bytes),
        timed_out: false,
        error_msg: null,
      },
    };
  } catch (err) {
    const ms = elapsed();
    const message = timedOut() ? timeoutMessage(timeout, ms) : curlMessage(err);
    return { ms, row: failure(req.id, message) };
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
  const outcome = row.status_code ?? `error: ${row.error_msg}`;
  return `${new Date().toISOString()} ${req.method.toUpperCase()} ${
    redactUrl(req.url)
  } ${outcome} ${Math.round(ms)}ms id=${req.id}`;
}
