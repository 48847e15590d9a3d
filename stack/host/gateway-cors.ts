// CORS as Supabase's API gateway adds it in front of Storage and Auth: Kong's `cors` plugin
// with its default configuration (supabase/cli internal/start/templates/kong.yml puts
// `- name: cors` on /storage/v1/ and /auth/v1/; Storage itself leaves CORS to the gateway).
// With no configured origins, headers or methods that plugin:
// - answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) itself: 200, no
//   body, Allow-Origin *, Allow-Headers echoing Access-Control-Request-Headers, Allow-Methods
//   GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT, no Max-Age, no credentials;
// - adds Access-Control-Allow-Origin: * to every other answer, and exposes no headers.
// Edge Functions are different: there the preflight reaches the function (see
// functions-host.ts), which answers with the product's own CORS.

const KONG_DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT";

export function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers.has("origin") &&
    req.headers.has("access-control-request-method");
}

function preflightAnswer(req: Request): Response {
  const headers = new Headers({
    "access-control-allow-origin": "*",
    "access-control-allow-methods": KONG_DEFAULT_METHODS,
    "content-length": "0",
  });
  const requested = req.headers.get("access-control-request-headers");
  if (requested) headers.set("access-control-allow-headers", requested);
  return new Response(null, { status: 200, headers });
}

function withAllowOrigin(res: Response): Response {
  try {
    res.headers.set("access-control-allow-origin", "*");
    return res;
  } catch {
    // headers of a fetched Response are immutable: copy them
    const copy = new Response(res.body, res);
    copy.headers.set("access-control-allow-origin", "*");
    return copy;
  }
}

/** Runs `upstream` behind the gateway's CORS plugin. */
export async function withGatewayCors(
  req: Request,
  upstream: () => Promise<Response>,
): Promise<Response> {
  if (isPreflight(req)) return preflightAnswer(req);
  return withAllowOrigin(await upstream());
}
