/**
 * Local fake of the Gemini REST API (generativelanguage.googleapis.com), as spoken by the real
 * @google/genai SDK: `POST /{v1|v1beta}/models/{model}:generateContent`, key in the
 * `x-goog-api-key` header (or `?key=`), camelCase body with `contents` and `generationConfig`
 * (`responseModalities`, `imageConfig { aspectRatio, imageSize }`). Point the SDK at it with
 * `GOOGLE_GEMINI_BASE_URL=<url>`.
 *
 * Behaviour is chosen by markers in the prompt text (several may be combined):
 *   (none)                   success: a thought text part, a `thought: true` PNG, a text part,
 *                            then the final PNG (different bytes, derived from the prompt), STOP
 *   [fake:text]              STOP with a text part only (no image)
 *   [fake:safety]            candidate with finishReason IMAGE_SAFETY and no content
 *   [fake:finish:REASON]     same with any finish reason (NO_IMAGE, IMAGE_OTHER, IMAGE_RECITATION,
 *                            IMAGE_PROHIBITED_CONTENT, MAX_TOKENS, ...)
 *   [fake:blocked]           no candidates, promptFeedback.blockReason SAFETY
 *   [fake:blocked:REASON]    same with another block reason (PROHIBITED_CONTENT, OTHER, ...)
 *   [fake:429]               429 RESOURCE_EXHAUSTED with QuotaFailure, Help and RetryInfo
 *                            (retryDelay = the fake's retryDelay option, default "2s")
 *   [fake:429:DELAY]         same with that retryDelay, e.g. [fake:429:1.5s]
 *   [fake:500] [fake:503]    500 INTERNAL / 503 UNAVAILABLE
 *   [fake:400]               400 INVALID_ARGUMENT (a request the API rejects)
 *   [fake:403]               403 PERMISSION_DENIED
 *   [fake:slow:MS]           answer after MS milliseconds (on top of the global latency)
 *   [fake:flaky:N]           the first N calls with this exact prompt text get 503, then the
 *   [fake:flaky:N:CODE]      prompt's other markers apply; CODE may be 429, 500 or 503
 *   [fake:bytes:N]           success whose final image is a random-pixel PNG of about N bytes
 *                            (a real 2K image is ~2-3 MB); the `imageBytes` option does the
 *                            same for every prompt without the marker
 * Per API key: `bad-key` -> 400 INVALID_ARGUMENT / ErrorInfo reason API_KEY_INVALID,
 * `denied-key` -> 403 PERMISSION_DENIED, no key -> 403 PERMISSION_DENIED (unregistered caller).
 * Per model, as Google serves them on 2026-12-01 (`geminiFakeModels`; the `models` option adds
 * more): any other id, the retired ones included (`retiredGeminiModels`), -> 404 NOT_FOUND with
 * Google's body `{"error":{"code":404,"message":"models/<id> is not found for API version
 * <v>, or is not supported for generateContent. Call ListModels …","status":"NOT_FOUND"}}`.
 * Stricter than Google on purpose: an aspect ratio or image size the model does not offer
 * -> 400 INVALID_ARGUMENT.
 *
 * Faults for the whole fake: `setOutage(true)` or `POST /__fake/outage {"on":true}` answers every
 * generateContent with 503 until switched off; `setLatency(ms)` / `POST /__fake/latency {"ms":n}`
 * delays every answer (default 0, or --latency / GEMINI_FAKE_LATENCY_MS). Calls are recorded in
 * `calls` (the last 10,000).
 * `GET /__fake/calls` lists recorded calls, `POST /__fake/reset` clears calls and flaky counters.
 *
 * CLI: `deno run -A tests/fakes/gemini.ts [--port 8787] [--hostname 127.0.0.1] [--latency 0]`
 * prints the base URL on stdout and serves until killed.
 */
import { Buffer } from "node:buffer";
import * as errors from "./gemini-errors.ts";
import { makePng, noisePngOfAbout, pngSize } from "./gemini-png.ts";

export interface GeminiCall {
  apiVersion: string;
  model: string;
  apiKey: string | null;
  prompt: string;
  aspectRatio?: string;
  imageSize?: string;
  responseModalities?: string[];
  inlineImages: number;
  inlineImageMimeTypes: string[];
  /** HTTP status the fake answered with (0 while the answer is pending). */
  status: number;
  /** What the fake did: "image", "text", "finish:X", "blocked:X", "error:STATUS", "closed". */
  outcome: string;
  body: unknown;
  /** Date.now() when the request arrived, and when its answer was built (benchmarks' timing). */
  receivedAt?: number;
  answeredAt?: number;
}

export interface FakeModel {
  aspectRatios: readonly string[];
  imageSizes: readonly string[];
}

const standardRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

/** The image models Google serves (deprecations page, 2026-12-01). */
export const geminiFakeModels: Record<string, FakeModel> = {
  "gemini-3.1-flash-image": {
    aspectRatios: [...standardRatios, "1:4", "4:1", "1:8", "8:1"],
    imageSizes: ["512", "1K", "2K", "4K"],
  },
  "gemini-3-pro-image": { aspectRatios: standardRatios, imageSizes: ["1K", "2K", "4K"] },
};

/** Image model ids Google shut down: it answers them 404 NOT_FOUND like any unknown id. */
export const retiredGeminiModels = [
  "gemini-2.5-flash-image",
  "gemini-3-pro-image-preview",
  "gemini-3.1-flash-image-preview",
] as const;

export interface GeminiFakeOptions {
  port?: number;
  hostname?: string;
  latencyMs?: number;
  /** retryDelay put in RetryInfo of 429 answers without an explicit delay (default "2s"). */
  retryDelay?: string;
  /**
   * Final images become random-pixel PNGs of about this many bytes (fresh pixels per answer)
   * instead of tiny gradients; a prompt's [fake:bytes:N] marker wins. Thought images stay tiny.
   */
  imageBytes?: number;
  /** Extra models to serve besides geminiFakeModels (e.g. a test-only id). */
  models?: Record<string, FakeModel>;
}

export interface GeminiFake {
  url: string;
  port: number;
  calls: GeminiCall[];
  setLatency(ms: number): void;
  setOutage(on: boolean): void;
  setRetryDelay(delay: string): void;
  reset(): void;
  close(): Promise<void>;
}

const json = { "content-type": "application/json; charset=UTF-8" };

interface Part {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType?: string; data?: string };
}
interface Content {
  role?: string;
  parts?: Part[];
}
interface RequestBody {
  contents?: Content[];
  generationConfig?: {
    responseModalities?: string[];
    imageConfig?: { aspectRatio?: string; imageSize?: string };
  };
}

function markers(prompt: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const m of prompt.matchAll(/\[fake:([a-z0-9]+)((?::[^\]:]+)*)\]/gi)) {
    found.set(m[1].toLowerCase(), m[2] ? m[2].slice(1).split(":") : []);
  }
  return found;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function startGeminiFake(opts: GeminiFakeOptions = {}): GeminiFake {
  let latencyMs = opts.latencyMs ?? (Number(Deno.env.get("GEMINI_FAKE_LATENCY_MS")) || 0);
  let retryDelay = opts.retryDelay ?? "2s";
  let outage = false;
  let responseSeq = 0;
  const calls: GeminiCall[] = [];
  const flakyCounts = new Map<string, number>();
  const closing = new AbortController();
  const models: Record<string, FakeModel> = { ...geminiFakeModels, ...opts.models };

  // Resolves early (false) when the fake is closing, so close() never waits on a slow answer.
  // Deliberately not tied to req.signal: in Deno 2.9 touching it makes Deno.serve warn about its
  // legacy abort-on-success behaviour, and a client that gave up just never reads the answer.
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (ms <= 0) return resolve(true);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      closing.signal.addEventListener("abort", onAbort);
    });

  async function admin(req: Request, path: string): Promise<Response> {
    const body = req.method === "POST" ? await req.json().catch(() => ({})) : {};
    if (path === "/__fake/outage" && req.method === "POST") outage = body.on !== false;
    else if (path === "/__fake/latency" && req.method === "POST") latencyMs = Number(body.ms) || 0;
    else if (path === "/__fake/reset" && req.method === "POST") reset();
    else if (path === "/__fake/calls" && req.method === "GET") {
      return new Response(JSON.stringify(calls), { headers: json });
    } else return errors.errorResponse(errors.notFound(path));
    return new Response(JSON.stringify({ outage, latencyMs }), { headers: json });
  }

  function reset() {
    calls.length = 0;
    flakyCounts.clear();
  }

  function imageAnswer(call: GeminiCall, textOnly: boolean, imageBytes?: number): Response {
    const seq = ++responseSeq;
    const promptTokens = Math.max(1, Math.ceil(call.prompt.length / 4)) + call.inlineImages * 258;
    const imageTokens = call.imageSize === "4K" ? 2000 : call.imageSize === "512" ? 747 : 1120;
    let parts: Record<string, unknown>[];
    let candidatesTokens: number;
    let thoughtsTokens = 0;
    if (textOnly) {
      parts = [{ text: `I can't draw that, but here is a description: ${call.prompt}` }];
      candidatesTokens = 24;
      call.outcome = "text";
    } else {
      const { width, height } = pngSize(call.aspectRatio, call.imageSize);
      const seed = `${call.model}|${call.prompt}`;
      const image = imageBytes ? noisePngOfAbout(imageBytes) : makePng(seed, width, height);
      parts = [
        { text: "**Composing the scene**\nPlanning layout and lighting.", thought: true },
        {
          inlineData: { mimeType: "image/png", data: toBase64(makePng(`thought|${seed}`, 8, 8)) },
          thought: true,
        },
        { text: "Here is the image you asked for." },
        {
          inlineData: { mimeType: "image/png", data: toBase64(image) },
          thoughtSignature: btoa(`sig-${seq}`),
        },
      ];
      candidatesTokens = imageTokens + 8;
      thoughtsTokens = 180;
      call.outcome = "image";
    }
    call.status = 200;
    call.answeredAt = Date.now();
    return Response.json({
      candidates: [{ content: { parts, role: "model" }, finishReason: "STOP", index: 0 }],
      usageMetadata: {
        promptTokenCount: promptTokens,
        candidatesTokenCount: candidatesTokens,
        totalTokenCount: promptTokens + candidatesTokens + thoughtsTokens,
        ...(thoughtsTokens ? { thoughtsTokenCount: thoughtsTokens } : {}),
        promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
        candidatesTokensDetails: [{
          modality: textOnly ? "TEXT" : "IMAGE",
          tokenCount: candidatesTokens,
        }],
      },
      modelVersion: call.model,
      responseId: `fake-${seq}`,
    }, { headers: json });
  }

  function plain(call: GeminiCall, status: number, body: unknown, outcome: string): Response {
    call.status = status;
    call.outcome = outcome;
    return Response.json(body, { status, headers: json });
  }

  function fail(call: GeminiCall, error: errors.GoogleError): Response {
    call.status = error.code;
    call.outcome = `error:${error.status}`;
    return errors.errorResponse(error);
  }

  function transientError(code: string | undefined, call: GeminiCall, delay?: string) {
    if (code === "429") return errors.resourceExhausted(call.model, delay ?? retryDelay);
    if (code === "500") return errors.internal();
    return errors.unavailable();
  }

  async function generate(
    req: Request,
    apiVersion: string,
    model: string,
    url: URL,
  ): Promise<Response> {
    const receivedAt = Date.now();
    const raw = await req.text();
    let body: RequestBody;
    try {
      body = JSON.parse(raw);
    } catch {
      body = {};
    }
    const contents = Array.isArray(body.contents) ? body.contents : [];
    const parts = contents.flatMap((c) => (Array.isArray(c.parts) ? c.parts : []));
    const inline = parts.filter((p) => p.inlineData);
    const imageConfig = body.generationConfig?.imageConfig;
    const call: GeminiCall = {
      apiVersion,
      model,
      apiKey: req.headers.get("x-goog-api-key") ?? url.searchParams.get("key"),
      prompt: parts.filter((p) => typeof p.text === "string").map((p) => p.text).join("\n"),
      aspectRatio: imageConfig?.aspectRatio,
      imageSize: imageConfig?.imageSize,
      responseModalities: body.generationConfig?.responseModalities,
      inlineImages: inline.length,
      inlineImageMimeTypes: inline.map((p) => p.inlineData?.mimeType ?? ""),
      status: 0,
      outcome: "pending",
      body,
      receivedAt,
    };
    calls.push(call);
    // Bounded so a long-running demo stack does not keep every reference image forever.
    if (calls.length > 10_000) calls.splice(0, calls.length - 10_000);

    const found = markers(call.prompt);
    const slow = Number(found.get("slow")?.[0] ?? 0);
    if (!(await sleep(latencyMs + slow))) {
      call.outcome = "closed";
      return new Response(null, { status: 503 });
    }

    if (!call.apiKey) return fail(call, errors.unregisteredCaller());
    if (call.apiKey === "bad-key") return fail(call, errors.apiKeyInvalid());
    if (call.apiKey === "denied-key") return fail(call, errors.permissionDenied());
    if (outage) return fail(call, errors.unavailable());
    const served = Object.hasOwn(models, model) ? models[model] : undefined;
    if (!served) return fail(call, errors.modelNotFound(model, apiVersion));
    if (contents.length === 0 || parts.length === 0) {
      return fail(
        call,
        errors.invalidArgument("* GenerateContentRequest.contents: contents is not specified"),
      );
    }
    if (inline.some((p) => !p.inlineData?.data || !p.inlineData?.mimeType)) {
      return fail(
        call,
        errors.invalidArgument(
          "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
        ),
      );
    }
    if (call.aspectRatio !== undefined && !served.aspectRatios.includes(call.aspectRatio)) {
      return fail(call, errors.invalidArgument("Request contains an invalid argument."));
    }
    if (call.imageSize !== undefined && !served.imageSizes.includes(call.imageSize)) {
      return fail(call, errors.invalidArgument("Request contains an invalid argument."));
    }

    const flaky = found.get("flaky");
    if (flaky) {
      const seen = flakyCounts.get(call.prompt) ?? 0;
      flakyCounts.set(call.prompt, seen + 1);
      if (seen < Number(flaky[0] ?? 1)) return fail(call, transientError(flaky[1] ?? "503", call));
    }
    if (found.has("429")) return fail(call, transientError("429", call, found.get("429")?.[0]));
    if (found.has("500")) return fail(call, errors.internal());
    if (found.has("503")) return fail(call, errors.unavailable());
    if (found.has("400")) {
      return fail(call, errors.invalidArgument("Request contains an invalid argument."));
    }
    if (found.has("403")) return fail(call, errors.permissionDenied());

    const usage = {
      promptTokenCount: Math.max(1, Math.ceil(call.prompt.length / 4)),
      totalTokenCount: Math.max(1, Math.ceil(call.prompt.length / 4)),
    };
    if (found.has("blocked")) {
      const reason = found.get("blocked")?.[0] ?? "SAFETY";
      return plain(call, 200, {
        promptFeedback: { blockReason: reason },
        usageMetadata: usage,
        modelVersion: model,
        responseId: `fake-${++responseSeq}`,
      }, `blocked:${reason}`);
    }
    const finish = found.has("safety") ? "IMAGE_SAFETY" : found.get("finish")?.[0];
    if (finish) {
      return plain(call, 200, {
        candidates: [{
          finishReason: finish,
          ...(finish === "IMAGE_SAFETY"
            ? {
              finishMessage:
                "Unable to show the generated image. The image was filtered out because it violated Google's Generative AI Prohibited Use policy.",
            }
            : {}),
          index: 0,
        }],
        usageMetadata: usage,
        modelVersion: model,
        responseId: `fake-${++responseSeq}`,
      }, `finish:${finish}`);
    }
    const wantsImage = !call.responseModalities || call.responseModalities.includes("IMAGE");
    const bytes = found.has("bytes") ? Number(found.get("bytes")?.[0]) : opts.imageBytes;
    return imageAnswer(call, found.has("text") || !wantsImage, bytes);
  }

  const server = Deno.serve({
    port: opts.port ?? 0,
    hostname: opts.hostname ?? "127.0.0.1",
    onListen: () => {},
  }, (req) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/__fake/")) return admin(req, url.pathname);
    const m = url.pathname.match(/^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/);
    if (!m || req.method !== "POST") {
      return errors.errorResponse(errors.notFound(url.pathname));
    }
    return generate(req, m[1], decodeURIComponent(m[2]), url);
  });

  const { hostname, port } = server.addr;
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    calls,
    setLatency: (ms) => void (latencyMs = ms),
    setOutage: (on) => void (outage = on),
    setRetryDelay: (delay) => void (retryDelay = delay),
    reset,
    close: async () => {
      closing.abort();
      await server.shutdown();
    },
  };
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: Deno.env.get("GEMINI_FAKE_PORT") ?? "8787" },
      hostname: { type: "string", default: "127.0.0.1" },
      latency: { type: "string", default: Deno.env.get("GEMINI_FAKE_LATENCY_MS") ?? "0" },
      "retry-delay": { type: "string", default: "2s" },
    },
  });
  const fake = startGeminiFake({
    port: Number(values.port),
    hostname: values.hostname,
    latencyMs: Number(values.latency),
    retryDelay: values["retry-delay"],
  });
  console.log(fake.url);
  Deno.addSignalListener("SIGTERM", () => fake.close().then(() => Deno.exit(0)));
}
