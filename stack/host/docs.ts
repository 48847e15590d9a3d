// The local API reference: every function's own description (`GET /<name>/openapi.json`,
// generated from its route table) merged into one OpenAPI 3.1 document at /docs/openapi.json,
// and an interactive page at /docs that needs nothing from the network (no CDN is reachable
// here): it lists every operation with its parameters and schemas and sends requests with the
// token you paste. Hosted Supabase has no such page; each function's openapi.json is there.

type Spec = {
  paths?: Record<string, Record<string, Record<string, unknown>>>;
  components?: Record<string, Record<string, unknown>>;
};

/** Merges per-function specs; each operation is tagged with its function. */
export function mergeSpecs(specs: { name: string; spec: Spec }[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = {};
  for (const { name, spec } of specs) {
    for (const [path, ops] of Object.entries(spec.paths ?? {})) {
      paths[path] ??= {};
      for (const [method, op] of Object.entries(ops)) {
        paths[path][method] = { ...op, tags: [name, ...((op.tags as string[]) ?? [])] };
      }
    }
    for (const [kind, entries] of Object.entries(spec.components ?? {})) {
      components[kind] = { ...components[kind], ...entries };
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "MasStock API", version: "1" },
    servers: [{ url: "/functions/v1" }],
    tags: specs.map(({ name }) => ({ name })),
    security: [{ bearer: [] }],
    paths,
    components,
  };
}

const page = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>MasStock API</title>
<style>
body{font:14px system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ccc}details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code,pre,textarea{font:12px ui-monospace,monospace}pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:20rem}
.m{display:inline-block;width:4.5rem;font-weight:bold}.GET{color:#0a6}.POST{color:#06c}.PATCH{color:#a60}.DELETE{color:#c00}
input,textarea{width:100%;box-sizing:border-box}label{display:block;margin:.3rem 0}#token{font:12px monospace}
</style>
<h1>MasStock API <small id="v"></small></h1>
<p>Generated from each function's route table (<a href="/docs/openapi.json">openapi.json</a>). Requests go to this stack with the token below
(<code>deno task stack token collaborator@acme.test</code>).</p>
<label>Bearer token <input id="token" placeholder="eyJ…"></label>
<div id="ops">loading…</div>
<script>
const el = (t, p = {}, ...c) => { const e = document.createElement(t); Object.assign(e, p); e.append(...c); return e; };
const skeleton = (s, defs) => {
  if (!s) return null;
  if (s.$ref) return skeleton(defs[s.$ref.split("/").pop()], defs);
  if (s.type === "object" || s.properties) {
    const o = {}; for (const k of s.required ?? []) o[k] = skeleton(s.properties?.[k], defs); return o;
  }
  if (s.type === "array") return [];
  if (s.enum) return s.enum[0];
  if (s.type === "string") return s.format === "uuid" ? "00000000-0000-4000-8000-000000000000" : "";
  if (s.type === "number" || s.type === "integer") return 0;
  if (s.type === "boolean") return false;
  return null;
};
fetch("/docs/openapi.json").then((r) => r.json()).then((spec) => {
  document.getElementById("v").textContent = "v" + spec.info.version;
  const defs = spec.components?.schemas ?? {};
  const root = document.getElementById("ops"); root.textContent = "";
  for (const tag of spec.tags) {
    root.append(el("h2", { textContent: tag.name }));
    for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
      if (!op.tags.includes(tag.name) || op.tags[0] !== tag.name) continue;
      const params = op.parameters ?? [];
      const inputs = params.map((p) => { const i = el("input", { placeholder: p.name + (p.required ? " (required)" : "") }); i.dataset.name = p.name; i.dataset.in = p.in; return el("label", { textContent: p.in + " " + p.name }, i); });
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      const body = bodySchema ? el("textarea", { rows: 6, value: JSON.stringify(skeleton(bodySchema, defs), null, 2) }) : null;
      const out = el("pre");
      const send = el("button", { textContent: "Send", onclick: async () => {
        let url = path; const q = new URLSearchParams(); const headers = { authorization: "Bearer " + document.getElementById("token").value };
        for (const l of inputs) { const i = l.querySelector("input"); if (!i.value) continue;
          if (i.dataset.in === "path") url = url.replace(":" + i.dataset.name, encodeURIComponent(i.value)).replace("{" + i.dataset.name + "}", encodeURIComponent(i.value));
          else if (i.dataset.in === "query") q.set(i.dataset.name, i.value); else headers[i.dataset.name] = i.value; }
        if (body) headers["content-type"] = "application/json";
        const res = await fetch("/functions/v1" + url + (q.size ? "?" + q : ""), { method: method.toUpperCase(), headers, body: body ? body.value : undefined });
        out.textContent = res.status + "\\n" + JSON.stringify(await res.json().catch(() => null), null, 2);
      } });
      const resp = Object.entries(op.responses ?? {}).map(([s, r]) => s + " " + (r.description ?? "")).join("\\n");
      root.append(el("details", {}, el("summary", {}, el("span", { className: "m " + method.toUpperCase(), textContent: method.toUpperCase() }), el("code", { textContent: path }), " " + (op.summary ?? "")),
        ...inputs, ...(body ? [el("label", { textContent: "JSON body" }, body)] : []), send,
        el("pre", { textContent: "responses:\\n" + resp + (bodySchema ? "\\n\\nbody schema:\\n" + JSON.stringify(bodySchema, null, 2) : "") }), out));
    }
  }
}).catch((e) => { document.getElementById("ops").textContent = "could not load /docs/openapi.json: " + e; });
</script>
</html>`;

/** Answers /docs and /docs/openapi.json; null for any other path. */
export function docsRoutes(
  names: string[],
  specUrl: (name: string) => Promise<string | null>,
): (path: string) => Promise<Response> | null {
  return (path) => {
    if (path === "/docs" || path === "/docs/") {
      return Promise.resolve(new Response(page, { headers: { "content-type": "text/html" } }));
    }
    if (path !== "/docs/openapi.json") return null;
    return (async () => {
      const specs: { name: string; spec: Spec }[] = [];
      const missing: string[] = [];
      for (const name of names) {
        const url = await specUrl(name);
        const res = url ? await fetch(url).catch(() => null) : null;
        if (res?.ok) specs.push({ name, spec: await res.json() });
        else {
          await res?.body?.cancel();
          missing.push(name);
        }
      }
      const merged = { ...mergeSpecs(specs), ...(missing.length ? { "x-missing": missing } : {}) };
      return new Response(JSON.stringify(merged), {
        headers: { "content-type": "application/json" },
      });
    })();
  };
}
