// A frontend that follows executions only through Realtime, for the browser test: Debian's
// Chromium driven by playwright-core, on a page of its own origin that loads supabase-js's
// browser (UMD) build from the npm package the project imports. The page listens on the
// client's topic for `started`, joins that execution's private topic, draws the progress bar
// from `progress` messages and shows an <img> per item a message announces, taking its stable
// signed URL from GET start-execution/:id, fetched once per message that announces items (never
// on a timer), and marks itself done at `finished`.
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
// Root needs --no-sandbox; the closed network refuses background and QUIC connections.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function supabaseUmd(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(info.stdout)) as { npmCache: string };
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const version = String(config.imports["@supabase/supabase-js"]).split("@").pop();
  return await Deno.readTextFile(
    join(
      npmCache,
      "registry.npmjs.org/@supabase/supabase-js",
      String(version),
      "dist/umd/supabase.js",
    ),
  );
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>live progress</title>
<script src="/supabase.js"></script>
<div id="status">idle</div>
<div id="bar" data-done="0" data-total="0"></div>
<div id="images"></div>
<script>
window.live = { history: [], joined: [], errors: [] };
window.follow = async ({ apiUrl, apiKey, token, clientId }) => {
  const supabase = window.supabase.createClient(apiUrl, apiKey, { accessToken: async () => token });
  await supabase.realtime.setAuth();
  const bar = document.getElementById("bar");
  const images = document.getElementById("images");
  const status = document.getElementById("status");
  const render = (p) => {
    if (p.done < Number(bar.dataset.done)) return;
    bar.dataset.done = p.done;
    bar.dataset.total = p.total;
    bar.textContent = p.done + "/" + p.total;
    window.live.history.push(p.done);
  };
  const srcs = {};
  const addImages = async (id, items) => {
    const announced = items.filter((i) => i.storage_path);
    if (announced.length === 0) return;
    const { data, error } = await supabase.functions.invoke("start-execution/" + id, { method: "GET" });
    if (error) { window.live.errors.push(String(error.message)); return; }
    for (const item of announced) {
      const result = data.execution.results.find((r) => r.batch_index === item.batch_index);
      if (!result || !result.signed_url) { window.live.errors.push("no URL for " + item.batch_index); continue; }
      let img = images.querySelector('img[data-index="' + item.batch_index + '"]');
      if (!img) {
        img = document.createElement("img");
        img.dataset.index = item.batch_index;
        images.appendChild(img);
      }
      img.src = result.signed_url;
    }
    // Every URL the page ever saw, per index: stable URLs mean one each.
    for (const r of data.execution.results) {
      if (!r.signed_url) continue;
      (srcs[r.batch_index] ??= new Set()).add(r.signed_url);
      window.live.urlsPerIndex = Object.values(srcs).map((set) => set.size);
    }
  };
  const watchExecution = (id) => {
    const channel = supabase.channel("execution:" + id, { config: { private: true } })
      .on("broadcast", { event: "progress" }, ({ payload }) => {
        render(payload.progress);
        addImages(id, payload.items);
      })
      .on("broadcast", { event: "finished" }, async ({ payload }) => {
        render(payload.progress);
        await addImages(id, payload.items);
        status.textContent = "finished:" + payload.status;
        await supabase.removeChannel(channel);
      })
      .subscribe((s, err) => window.live.joined.push(s + (err ? " " + err.message : "")));
  };
  await new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error("client topic not joined: " + window.live.joined.join(", "))), 20000);
    supabase.channel("client:" + clientId, { config: { private: true } })
      .on("broadcast", { event: "started" }, ({ payload }) => {
        status.textContent = "running:" + payload.execution_id;
        watchExecution(payload.execution_id);
      })
      .subscribe((s) => { window.live.joined.push("client " + s); if (s === "SUBSCRIBED") resolve(); });
  });
  status.textContent = "listening";
};
</script>`;

export interface LivePage {
  page: Page;
  origin: string;
  /** Every request the page made, as "METHOD url". */
  requests: string[];
  /** URLs of the websockets the page opened. */
  sockets: string[];
  close(): Promise<void>;
}

export async function openLivePage(): Promise<LivePage> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (Debian's package)`);
  }
  const umd = await supabaseUmd();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/supabase.js") {
      return new Response(umd, { headers: { "content-type": "text/javascript" } });
    }
    if (path === "/") return new Response(PAGE, { headers: { "content-type": "text/html" } });
    return new Response("not found", { status: 404 });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const profile = await Deno.makeTempDir({ prefix: "live-progress-profile-" });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(`${r.method()} ${r.url()}`));
  const sockets: string[] = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  await page.goto(origin + "/");
  return {
    page,
    origin,
    requests,
    sockets,
    close: async () => {
      await context.close();
      await server.shutdown();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
