// Loads one function's entrypoint into this process (an edge worker, see edge-worker.ts). A
// Supabase function registers its handler with a top-level `Deno.serve(...)` (or `export
// default { fetch }`), so while importing it we swap Deno.serve for a capture that records the
// handler instead of opening a port. Runs on Deno 2.1 under the function's import map: no bare
// imports here.
export type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

export interface LoadedFunction {
  name: string;
  handler?: Handler;
  /** Why the function could not be loaded (import threw, or it registered no handler). */
  bootError?: string;
}

type ServeArgs = [unknown?, unknown?];

function handlerFrom(args: ServeArgs): Handler | undefined {
  const [first, second] = args;
  if (typeof first === "function") return first as Handler;
  if (typeof second === "function") return second as Handler;
  const fromOptions = (first as { handler?: unknown } | undefined)?.handler;
  return typeof fromOptions === "function" ? fromOptions as Handler : undefined;
}

// What Deno.serve returns; functions rarely touch it, but it must not throw if they do.
function fakeServer(): Deno.HttpServer {
  return {
    finished: new Promise<void>(() => {}),
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    shutdown: () => Promise.resolve(),
    ref() {},
    unref() {},
    [Symbol.asyncDispose]: () => Promise.resolve(),
  } as unknown as Deno.HttpServer;
}

export async function loadFunction(name: string, entry: URL): Promise<LoadedFunction> {
  const realServe = Deno.serve;
  let captured: Handler | undefined;
  (Deno as { serve: unknown }).serve = (...args: ServeArgs) => {
    captured = handlerFrom(args);
    return fakeServer();
  };
  try {
    const mod = await import(entry.href);
    const fetch = mod?.default?.fetch;
    if (!captured && typeof fetch === "function") captured = fetch.bind(mod.default);
    if (!captured) return { name, bootError: "module registered no Deno.serve handler" };
    return { name, handler: captured };
  } catch (err) {
    return { name, bootError: String((err as Error)?.stack ?? err) };
  } finally {
    (Deno as { serve: unknown }).serve = realServe;
  }
}

/** Lists folders of `functionsDir` holding an index.ts (skipping `_shared`-style folders). */
export async function discoverFunctions(functionsDir: URL): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    try {
      const stat = await Deno.stat(new URL(`${entry.name}/index.ts`, functionsDir));
      if (stat.isFile) names.push(entry.name);
    } catch {
      // a folder without index.ts is not a function (Supabase skips it too)
    }
  }
  return names.sort();
}
