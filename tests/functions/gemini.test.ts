// shared/gemini/gemini.ts against the Gemini fake, through the real @google/genai SDK (base URL from
// GOOGLE_GEMINI_BASE_URL). Standalone: `deno test -A tests/functions/gemini.test.ts`.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { crc32, deflateSync, inflateSync } from "node:zlib";
import {
  GEMINI_API_VERSION,
  generateImage,
  type GenerateImageInput,
} from "../../shared/gemini/gemini.ts";
import { parseRetryDelay } from "../../shared/gemini/errors.ts";
import {
  type GeminiFake,
  type GeminiFakeOptions,
  retiredGeminiModels,
  startGeminiFake,
} from "../fakes/gemini.ts";
import { makePng, pngSize, readPngSize } from "../fakes/gemini-png.ts";

const flash = "gemini-3.1-flash-image";
const pro = "gemini-3-pro-image";
const apiKey = "AIzaSyTEST-not-a-real-key-0123456789";

function withFake(
  fn: (fake: GeminiFake) => Promise<void>,
  options: GeminiFakeOptions = {},
): () => Promise<void> {
  return async () => {
    const fake = startGeminiFake(options);
    Deno.env.set("GOOGLE_GEMINI_BASE_URL", fake.url);
    try {
      await fn(fake);
    } finally {
      await fake.close();
    }
  };
}

const gen = (over: Partial<GenerateImageInput> = {}) =>
  generateImage({ apiKey, model: flash, prompt: "a red fox", timeoutMs: 5000, ...over });

/** Walks the chunks, checks every CRC and inflates IDAT to exactly the pixel rows IHDR promises. */
function assertValidPng(bytes: Uint8Array): { width: number; height: number } {
  const size = readPngSize(bytes);
  assert.ok(size, "PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let offset = 8;
  let last = "";
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    const crc = view.getUint32(offset + 8 + length);
    assert.equal(crc32(bytes.subarray(offset + 4, offset + 8 + length)) >>> 0, crc, `${type} CRC`);
    if (type === "IDAT") idat.push(bytes.subarray(offset + 8, offset + 8 + length));
    last = type;
    offset += 12 + length;
  }
  assert.equal(last, "IEND");
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, size.height * (1 + size.width * 3));
  return size;
}

Deno.test(
  "success: the non-thought PNG, usage, and the request the SDK really sent",
  withFake(
    async (fake) => {
      const refs = [
        { mimeType: "image/png", data: btoa("ref-one") },
        { mimeType: "image/jpeg", data: btoa("ref-two") },
      ];
      const prompt = "a lighthouse at dusk";
      const result = await gen({
        model: pro,
        prompt,
        aspectRatio: "16:9",
        imageSize: "2K",
        referenceImages: refs,
      });
      assert.ok(result.ok);
      assert.equal(result.mimeType, "image/png");
      assert.deepEqual(assertValidPng(result.bytes), pngSize("16:9", "2K"));
      const { width, height } = pngSize("16:9", "2K");
      assert.deepEqual(result.bytes, makePng(`${pro}|${prompt}`, width, height));
      assert.notDeepEqual(result.bytes, makePng(`thought|${pro}|${prompt}`, 8, 8));
      assert.deepEqual(result.usage, {
        promptTokenCount: Math.ceil(prompt.length / 4) + 2 * 258,
        candidatesTokenCount: 1128,
        thoughtsTokenCount: 180,
        totalTokenCount: Math.ceil(prompt.length / 4) + 2 * 258 + 1128 + 180,
      });

      assert.equal(fake.calls.length, 1);
      const call = fake.calls[0];
      assert.equal(call.apiVersion, GEMINI_API_VERSION);
      assert.equal(call.model, pro);
      assert.equal(call.apiKey, apiKey);
      assert.equal(call.prompt, prompt);
      assert.equal(call.aspectRatio, "16:9");
      assert.equal(call.imageSize, "2K");
      assert.deepEqual(call.responseModalities, ["IMAGE"]);
      assert.equal(call.inlineImages, 2);
      assert.deepEqual(call.inlineImageMimeTypes, ["image/png", "image/jpeg"]);
      assert.deepEqual(call.body, {
        contents: [{
          role: "user",
          parts: [{ text: prompt }, { inlineData: refs[0] }, { inlineData: refs[1] }],
        }],
        generationConfig: {
          responseModalities: ["IMAGE"],
          imageConfig: { aspectRatio: "16:9", imageSize: "2K" },
        },
      });
    },
  ),
);

Deno.test(
  "different prompts give different images",
  withFake(async () => {
    const a = await gen({ prompt: "a cat" });
    const b = await gen({ prompt: "a dog" });
    assert.ok(a.ok && b.ok);
    assertValidPng(a.bytes);
    assertValidPng(b.bytes);
    assert.notDeepEqual(a.bytes, b.bytes);
  }),
);

/** Within 1% of the size asked for, and noise: deflate cannot shrink it. */
function assertLargeNoise(bytes: Uint8Array, about: number): void {
  assertValidPng(bytes);
  assert.ok(Math.abs(bytes.length - about) <= about / 100, `${bytes.length} bytes, not ~${about}`);
  assert.ok(deflateSync(bytes).length > bytes.length * 0.99, "random pixels do not compress");
}

Deno.test(
  "[fake:bytes:N]: the final image is a fresh random-pixel PNG of about N bytes",
  withFake(async (fake) => {
    const prompt = "a crowded market [fake:bytes:300000]";
    const a = await gen({ prompt });
    const b = await gen({ prompt });
    assert.ok(a.ok && b.ok);
    assertLargeNoise(a.bytes, 300_000);
    assertLargeNoise(b.bytes, 300_000);
    assert.notDeepEqual(a.bytes, b.bytes, "fresh pixels per answer");
    assert.deepEqual(fake.calls.map((c) => c.outcome), ["image", "image"]);
    // Other prompts keep their tiny deterministic gradients.
    const small = await gen({ prompt: "a quiet street" });
    assert.ok(small.ok);
    assert.deepEqual(small.bytes, makePng(`${flash}|a quiet street`, 32, 32));
  }),
);

Deno.test(
  "imageBytes option: every final image is large, a prompt's marker wins, failures stay failures",
  withFake(async (fake) => {
    const plain = await gen({ prompt: "a harbour" });
    assert.ok(plain.ok);
    assertLargeNoise(plain.bytes, 120_000);
    const marked = await gen({ prompt: "a harbour [fake:bytes:30000]" });
    assert.ok(marked.ok);
    assertLargeNoise(marked.bytes, 30_000);
    const text = await gen({ prompt: "a harbour [fake:text]" });
    assert.equal(text.ok, false);
    assert.deepEqual(fake.calls.map((c) => c.outcome), ["image", "image", "text"]);
  }, { imageBytes: 120_000 }),
);

Deno.test(
  "imageSize is sent as asked: 512 on 3.1 Flash Image; a size the model lacks is refused",
  withFake(async (fake) => {
    const small = await gen({ model: flash, aspectRatio: "1:8", imageSize: "512" });
    assert.ok(small.ok);
    assert.deepEqual(readPngSize(small.bytes), pngSize("1:8", "512"));
    assert.deepEqual(
      (fake.calls[0].body as { generationConfig: unknown }).generationConfig,
      { responseModalities: ["IMAGE"], imageConfig: { aspectRatio: "1:8", imageSize: "512" } },
    );
    assert.equal(fake.calls[0].inlineImages, 0);
    // 3 Pro Image has neither 512 nor 1:8 (the database refuses such a start first).
    for (const over of [{ imageSize: "512" }, { aspectRatio: "1:8" }]) {
      const refused = await gen({ model: pro, ...over });
      assert.ok(!refused.ok && refused.kind === "permanent", JSON.stringify(refused));
      assert.match(refused.message, /^Gemini rejected the request \(400 INVALID_ARGUMENT\)/);
    }
  }),
);

Deno.test(
  "retired model ids: Google's 404 NOT_FOUND, classified fatal model_unavailable through the SDK",
  withFake(async (fake) => {
    for (const model of [...retiredGeminiModels, "gemini-9-imaginary"]) {
      // On the wire: exactly Google's status and body.
      const res = await fetch(`${fake.url}/v1beta/models/${model}:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": apiKey },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "x" }] }] }),
      });
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), {
        error: {
          code: 404,
          message:
            `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
          status: "NOT_FOUND",
        },
      });
      // Through the SDK: one call, no retry, the model named.
      const before = fake.calls.length;
      const result = await gen({ model });
      assert.equal(fake.calls.length, before + 1);
      assert.deepEqual(result, {
        ok: false,
        kind: "fatal",
        code: "model_unavailable",
        message:
          `Gemini model ${model} is not available (404 NOT_FOUND): models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      });
    }
    assert.ok((await gen({ model: flash })).ok, "the current ids are served");
    assert.ok((await gen({ model: pro })).ok, "the current ids are served");
  }),
);

Deno.test(
  "no imageConfig at all when neither ratio nor size is asked",
  withFake(async (fake) => {
    assert.ok((await gen()).ok);
    assert.deepEqual(
      (fake.calls[0].body as { generationConfig: unknown }).generationConfig,
      { responseModalities: ["IMAGE"] },
    );
  }),
);

Deno.test(
  "permanent: text-only answer, safety finish reasons, blocked prompts",
  withFake(
    async () => {
      const textPrompt = "draw nothing [fake:text]";
      assert.deepEqual(await gen({ prompt: textPrompt }), {
        ok: false,
        kind: "permanent",
        message:
          `The model returned text instead of an image: I can't draw that, but here is a description: ${textPrompt}`,
      });
      assert.deepEqual(await gen({ prompt: "x [fake:safety]" }), {
        ok: false,
        kind: "permanent",
        // The fake sends finishMessage like Google; SDK 3.1.0 drops it for the Gemini API.
        message: "Image blocked by safety filters (IMAGE_SAFETY)",
      });
      const finishes: [string, string][] = [
        ["IMAGE_PROHIBITED_CONTENT", "Image blocked by safety filters (IMAGE_PROHIBITED_CONTENT)"],
        ["NO_IMAGE", "The model did not generate an image (NO_IMAGE)"],
        ["IMAGE_OTHER", "The model returned no image (IMAGE_OTHER)"],
        [
          "IMAGE_RECITATION",
          "Image blocked as recitation of protected content (IMAGE_RECITATION)",
        ],
      ];
      for (const [reason, message] of finishes) {
        assert.deepEqual(await gen({ prompt: `x [fake:finish:${reason}]` }), {
          ok: false,
          kind: "permanent",
          message,
        });
      }
      assert.deepEqual(await gen({ prompt: "x [fake:blocked]" }), {
        ok: false,
        kind: "permanent",
        message: "Prompt blocked by safety filters (SAFETY)",
      });
      assert.deepEqual(await gen({ prompt: "x [fake:blocked:PROHIBITED_CONTENT]" }), {
        ok: false,
        kind: "permanent",
        message: "Prompt blocked by safety filters (PROHIBITED_CONTENT)",
      });
    },
  ),
);

Deno.test(
  "permanent: a request the API rejects (400 INVALID_ARGUMENT)",
  withFake(async () => {
    assert.deepEqual(await gen({ prompt: "x [fake:400]" }), {
      ok: false,
      kind: "permanent",
      message:
        "Gemini rejected the request (400 INVALID_ARGUMENT): Request contains an invalid argument.",
    });
    assert.deepEqual(await gen({ aspectRatio: "7:3" }), {
      ok: false,
      kind: "permanent",
      message:
        "Gemini rejected the request (400 INVALID_ARGUMENT): Request contains an invalid argument.",
    });
  }),
);

Deno.test(
  "transient: 429 with RetryInfo, 500, 503",
  withFake(async (fake) => {
    const limited = await gen({ prompt: "x [fake:429]" });
    assert.equal(limited.ok, false);
    assert.ok(!limited.ok && limited.kind === "transient");
    assert.equal(limited.retryAfterMs, 2000);
    assert.match(
      limited.message,
      /^Gemini API unavailable \(429 RESOURCE_EXHAUSTED\): You exceeded/,
    );

    const precise = await gen({ prompt: "x [fake:429:1.5s]" });
    assert.ok(!precise.ok && precise.kind === "transient");
    assert.equal(precise.retryAfterMs, 1500);

    fake.setRetryDelay("15s");
    const configured = await gen({ prompt: "x [fake:429]" });
    assert.ok(!configured.ok && configured.kind === "transient");
    assert.equal(configured.retryAfterMs, 15000);

    assert.deepEqual(await gen({ prompt: "x [fake:500]" }), {
      ok: false,
      kind: "transient",
      message:
        "Gemini API unavailable (500 INTERNAL): An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    });
    assert.deepEqual(await gen({ prompt: "x [fake:503]" }), {
      ok: false,
      kind: "transient",
      message:
        "Gemini API unavailable (503 UNAVAILABLE): The model is overloaded. Please try again later.",
    });
  }),
);

Deno.test(
  "transient: timeout on a slow answer, and it does not wait it out",
  withFake(
    async (fake) => {
      const started = performance.now();
      assert.deepEqual(await gen({ prompt: "x [fake:slow:3000]", timeoutMs: 150 }), {
        ok: false,
        kind: "transient",
        message: "Gemini did not answer within 150 ms",
      });
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 140 && elapsed < 1500, `elapsed ${elapsed}`);
      assert.equal(fake.calls.length, 1);
      // A slow answer within the budget still succeeds.
      assert.ok((await gen({ prompt: "y [fake:slow:50]", timeoutMs: 2000 })).ok);
    },
  ),
);

Deno.test("transient: connection refused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  Deno.env.set("GOOGLE_GEMINI_BASE_URL", `http://127.0.0.1:${port}`);
  const result = await gen();
  assert.ok(!result.ok && result.kind === "transient", JSON.stringify(result));
  assert.match(result.message, /^Could not reach the Gemini API: /);
  assert.equal(result.retryAfterMs, undefined);
  assert.ok(!result.message.includes(apiKey));
});

Deno.test(
  "fatal: invalid key, refused key, missing model; the key never leaks",
  withFake(
    async (fake) => {
      const bad = await gen({ apiKey: "bad-key" });
      assert.deepEqual(bad, {
        ok: false,
        kind: "fatal",
        message: "The Gemini API key is invalid (API_KEY_INVALID)",
      });
      assert.equal(fake.calls[0].status, 400);
      assert.deepEqual(await gen({ apiKey: "denied-key" }), {
        ok: false,
        kind: "fatal",
        message:
          "The Gemini API key was refused (403 PERMISSION_DENIED): Your API key was reported as leaked. Please use another API key.",
      });
      const forbidden = await gen({ prompt: "x [fake:403]" });
      assert.ok(!forbidden.ok && forbidden.kind === "fatal");
      assert.ok(!forbidden.message.includes(apiKey));
      const missing = await gen({ model: "imagen-nope" });
      assert.ok(!missing.ok && missing.kind === "fatal");
      assert.match(missing.message, /^Gemini model imagen-nope is not available \(404 NOT_FOUND\)/);
    },
  ),
);

Deno.test(
  "flaky prompts: transient failures first, then success, counted per prompt",
  withFake(
    async (fake) => {
      const prompt = "a boat [fake:flaky:2]";
      const first = await gen({ prompt });
      const second = await gen({ prompt });
      assert.ok(!first.ok && first.kind === "transient");
      assert.ok(!second.ok && second.kind === "transient");
      assert.ok((await gen({ prompt: "another prompt" })).ok);
      assert.ok((await gen({ prompt })).ok);
      assert.deepEqual(
        fake.calls.map((c) => [c.prompt, c.status]),
        [[prompt, 503], [prompt, 503], ["another prompt", 200], [prompt, 200]],
      );

      const rateLimited = "a bird [fake:flaky:1:429]";
      const limited = await gen({ prompt: rateLimited });
      assert.ok(!limited.ok && limited.kind === "transient");
      assert.equal(limited.retryAfterMs, 2000);
      assert.ok((await gen({ prompt: rateLimited })).ok);

      // A flaky prompt that is permanently bad once the transient errors pass.
      const mixed = "a tank [fake:flaky:1] [fake:safety]";
      const before = await gen({ prompt: mixed });
      assert.ok(!before.ok && before.kind === "transient");
      const after = await gen({ prompt: mixed });
      assert.ok(!after.ok && after.kind === "permanent");
    },
  ),
);

Deno.test(
  "outage switch over HTTP and fixed latency",
  withFake(async (fake) => {
    const on = await fetch(`${fake.url}/__fake/outage`, {
      method: "POST",
      body: JSON.stringify({ on: true }),
    });
    assert.deepEqual(await on.json(), { outage: true, latencyMs: 0 });
    const down = await gen();
    assert.ok(!down.ok && down.kind === "transient");
    assert.match(down.message, /503 UNAVAILABLE/);
    await (await fetch(`${fake.url}/__fake/outage`, {
      method: "POST",
      body: JSON.stringify({ on: false }),
    })).body?.cancel();
    assert.ok((await gen()).ok);

    fake.setLatency(120);
    const started = performance.now();
    assert.ok((await gen()).ok);
    assert.ok(performance.now() - started >= 115);

    const listed = await (await fetch(`${fake.url}/__fake/calls`)).json();
    assert.deepEqual(listed.map((c: { status: number }) => c.status), [503, 200, 200]);
  }),
);

Deno.test("parseRetryDelay reads google.protobuf.Duration strings", () => {
  assert.equal(parseRetryDelay("15s"), 15000);
  assert.equal(parseRetryDelay("1.5s"), 1500);
  assert.equal(parseRetryDelay("52.137000001s"), 52138);
  assert.equal(parseRetryDelay("0s"), 0);
  assert.equal(parseRetryDelay("15"), undefined);
  assert.equal(parseRetryDelay(undefined), undefined);
});
