// Headers and error bodies the gateway itself produces (before or instead of a function).
// Same CORS headers as shared/http.ts, so a browser sees one policy whoever answers.
export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers":
    "authorization, x-client-info, apikey, content-type, idempotency-key, x-request-id",
  "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
  "access-control-expose-headers": "x-request-id",
  "access-control-max-age": "86400",
};

export function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { ...CORS_HEADERS, "content-type": "application/json" },
  });
}
