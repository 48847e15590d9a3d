// Headers and error bodies the gateway itself produces (instead of a function: unknown
// function, boot error, failed verify_jwt). Preflights are not answered here: they reach the
// function, whose own CORS (shared/http/app.ts) decides, as on Supabase.
export const GATEWAY_ERROR_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "content-type": "application/json",
};

export function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: GATEWAY_ERROR_HEADERS,
  });
}
