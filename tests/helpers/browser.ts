// What the browser test needs: Debian's Chromium driven by playwright-core (the flags this
// machine kind needs: no sandbox as root, no GPU, no QUIC, and no background networking, whose
// connections the closed network refuses), with a fresh profile, and a tiny page served on an
// origin of its own that loads supabase-js's browser (UMD) build from the npm package itself.
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { chromiumPath } from "../../stack/packages.ts";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "browser-test-profile-" });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    page,
    close: async () => {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** supabase-js's UMD build, from the same npm package (and version) the project imports. */
async function supabaseJsUmd(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(info.stdout)) as { npmCache: string };
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const version = String(config.imports["@supabase/supabase-js"]).split("@").pop();
  const file = join(
    npmCache,
    "registry.npmjs.org/@supabase/supabase-js",
    String(version),
    "dist/umd/supabase.js",
  );
  return await Deno.readTextFile(file);
}

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves `/` (an empty page with window.supabase) and `/supabase.js` on its own port. */
export async function servePage(): Promise<PageServer> {
  const umd = await supabaseJsUmd();
  const html = `<!doctype html><meta charset="utf-8"><title>browser test</title>
<script src="/supabase.js"></script><p id="ready">ready</p>`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/supabase.js") {
      return new Response(umd, { headers: { "content-type": "text/javascript" } });
    }
    if (path === "/") return new Response(html, { headers: { "content-type": "text/html" } });
    return new Response("not found", { status: 404 });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** A server on yet another origin that sends no CORS headers: a browser must not read it. */
export function serveWithoutCors(): PageServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ secret: true }),
  );
  return { origin: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
