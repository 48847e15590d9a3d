// The streaming scanner behind shared/gemini/gemini.ts's custom fetch: whatever the chunking of the
// answer, every `"data": "<base64>"` string comes out as exactly its decoded bytes, JSON
// escapes included, everything else of the JSON is untouched, and failed answers pass through.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { InlineDataStore } from "../../shared/gemini/inline-data.ts";

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

// Google escapes nothing in base64, but JSON allows `\/` and `\u003d`: the scanner must too.
function escaped(base64: string): string {
  return base64.replaceAll("/", "\\/").replace(/=/g, "\\u003d");
}

function serveChunked(body: string, chunk: number, status = 200) {
  const bytes = new TextEncoder().encode(body);
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += chunk) {
            controller.enqueue(bytes.slice(i, i + chunk));
          }
          controller.close();
        },
      }),
      { status, headers: { "content-type": "application/json" } },
    ));
}

Deno.test("inline data is lifted out exactly, whatever the chunking", async () => {
  const images = [randomBytes(70_001), randomBytes(3), randomBytes(1)];
  const b64 = images.map((b) => Buffer.from(b).toString("base64"));
  const answer = JSON.stringify({
    candidates: [{
      content: {
        parts: [
          { text: 'a "data": "not this" inside text' },
          { inlineData: { mimeType: "image/png", data: "@0" } },
          { thought: true, inlineData: { mimeType: "image/png", data: "@1" } },
          { inlineData: { mimeType: "image/png", data: "@2" } },
        ],
      },
    }],
    data: 42,
    usageMetadata: { totalTokenCount: 7 },
  })
    .replace('"@0"', `"${b64[0]}"`)
    .replace('"@1"', `"${escaped(b64[1])}"`)
    .replace('"@2"', `"${b64[2]}"`);
  for (const chunk of [1, 2, 3, 7, 64, 4096, 1 << 20]) {
    const server = serveChunked(answer, chunk);
    try {
      const store = new InlineDataStore();
      const res = await store.fetch()(`http://127.0.0.1:${server.addr.port}/`);
      const json = await res.json();
      const parts = json.candidates[0].content.parts;
      assert.equal(parts[0].text, 'a "data": "not this" inside text', `chunk ${chunk}`);
      assert.equal(json.data, 42);
      assert.equal(json.usageMetadata.totalTokenCount, 7);
      for (const [i, index] of [[0, 1], [1, 2], [2, 3]]) {
        const token = parts[index].inlineData.data;
        assert.ok(token.length < 64, `chunk ${chunk}: data ${i} was replaced by a token`);
        assert.deepEqual(store.take(token), images[i], `chunk ${chunk}: image ${i}`);
        assert.equal(store.take(token), null, "a token is taken once");
      }
      assert.equal(store.take(b64[2]), null, "real base64 is not a token");
    } finally {
      await server.shutdown();
    }
  }
});

Deno.test("failed answers pass through untouched", async () => {
  const body = JSON.stringify({ error: { code: 429, data: "QUJD", message: "slow down" } });
  const server = serveChunked(body, 5, 429);
  try {
    const store = new InlineDataStore();
    const res = await store.fetch()(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(res.status, 429);
    assert.equal(await res.text(), body);
  } finally {
    await server.shutdown();
  }
});
