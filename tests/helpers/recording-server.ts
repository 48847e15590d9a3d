// A local HTTP server that records every request it receives (method, path, query, headers,
// body, arrival time), for contract tests of what pg_net actually sends. Paths choose the
// answer: /slow/... holds the answer until close(), /empty/... answers 204 without a body or
// content type, /redirect/<rest> answers 302 to /<rest>; anything else answers 201 JSON.
export interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface RecordingServer {
  base: string;
  seen: Seen[];
  at(path: string): Seen[];
  close(): Promise<void>;
}

export function startRecordingServer(): RecordingServer {
  const seen: Seen[] = [];
  const release: (() => void)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const at = performance.now();
      const url = new URL(req.url);
      const body = await req.text();
      seen.push({
        method: req.method,
        path: url.pathname,
        search: url.search,
        headers: req.headers,
        body,
        at,
      });
      if (url.pathname.startsWith("/slow/")) {
        await new Promise<void>((resolve) => release.push(resolve));
        return new Response("too late");
      }
      if (url.pathname.startsWith("/empty/")) return new Response(null, { status: 204 });
      if (url.pathname.startsWith("/redirect/")) {
        return new Response(null, {
          status: 302,
          headers: { location: url.pathname.slice("/redirect".length) },
        });
      }
      return new Response(JSON.stringify({ ok: true, path: url.pathname }), {
        status: 201,
        headers: { "content-type": "application/json", "x-reply": "yes" },
      });
    },
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    seen,
    at: (path) => seen.filter((s) => s.path === path),
    close: async () => {
      release.forEach((resolve) => resolve());
      await server.shutdown();
    },
  };
}
