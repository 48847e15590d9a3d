// The link's reference images, without a stack: the memory budget (linkSlots) takes their
// bytes into account so any input the limits accept keeps a link within it, and a shared
// ReferenceImageBytes reaches Gemini byte for byte (streamed into the request in place of a
// token) with every call, mixed with inline images in order, also when the SDK retries.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateImage, ReferenceImageBytes } from "../../shared/gemini/gemini.ts";
import {
  itemMemoryMb,
  type LinkSettings,
  linkSlots,
  referenceMemoryMb,
} from "../../shared/batch/settings.ts";
import { maxReferenceTotalBytes } from "../../shared/validation.ts";
import { startGeminiFake } from "../fakes/gemini.ts";

const MB = 1024 * 1024;
const settings = (maxInFlightMb = 60): LinkSettings => ({
  budgetMs: 140_000,
  generateTimeoutMs: 60_000,
  uploadTimeoutMs: 15_000,
  claimStopMs: 75_000,
  maxInFlightMb,
  handoffLeadMs: 2000,
});

Deno.test("linkSlots: reference bytes come off the budget, once per link, plus a per-call cost", () => {
  // Without references, as before: 60 MB / 17 MB per 2K image.
  assert.equal(linkSlots(settings(), 10, "2K"), 3);
  assert.equal(linkSlots(settings(), 10, "2K", 0), 3);
  // 12 MiB of references (the most any model allows) are held as 16 MiB of base64.
  assert.deepEqual(referenceMemoryMb(maxReferenceTotalBytes), { shared: 16, perItem: 1 });
  assert.equal(linkSlots(settings(), 10, "2K", maxReferenceTotalBytes), 2); // (60-16)/18
  assert.equal(linkSlots(settings(), 10, "1K", maxReferenceTotalBytes), 7); // (60-16)/6
  assert.equal(linkSlots(settings(), 10, "512", maxReferenceTotalBytes), 10); // capped by concurrency
  assert.equal(linkSlots(settings(), 10, "1K"), 10); // 60/5 = 12 > 10
  // A small reference still costs its (rounded-up) share and the per-call MB.
  assert.equal(linkSlots(settings(), 20, "1K", 1), 9); // (60-1)/6
  // Never below one slot: a link always makes progress, even for 4K with the most references.
  assert.equal(linkSlots(settings(), 10, "4K", maxReferenceTotalBytes), 1);
  assert.equal(linkSlots(settings(10), 10, "2K", maxReferenceTotalBytes), 1);
});

Deno.test("linkSlots: every accepted input stays within the link's budget (one slot aside)", () => {
  for (const size of ["512", "1K", "2K", "4K", null]) {
    for (const refs of [0, 1, 100_000, 4 * MB, maxReferenceTotalBytes]) {
      for (const concurrency of [1, 3, 10, 50]) {
        const slots = linkSlots(settings(), concurrency, size, refs);
        const r = referenceMemoryMb(refs);
        const used = r.shared + slots * (itemMemoryMb(size) + r.perItem);
        assert.ok(slots >= 1 && slots <= concurrency);
        // Over the budget only when a single slot already is (then the link runs one item).
        assert.ok(used <= 60 || slots === 1, `${size} ${refs} ${concurrency}: ${used} MB`);
        // And one more slot would have been over it (the budget is used, not wasted).
        if (slots < concurrency) {
          assert.ok(r.shared + (slots + 1) * (itemMemoryMb(size) + r.perItem) > 60);
        }
      }
    }
  }
});

Deno.test("shared reference images reach Gemini byte for byte with every call", async () => {
  const fake = startGeminiFake({ retryDelay: "0.05s" });
  Deno.env.set("GOOGLE_GEMINI_BASE_URL", fake.url);
  try {
    // Big enough to span many 64 KiB stream chunks.
    const big = crypto.getRandomValues(new Uint8Array(60_000)).map((b, i) => (b + i) & 0xff);
    const bytes = new Uint8Array(300_000);
    for (let i = 0; i < bytes.length; i += 60_000) bytes.set(big.subarray(0, 60_000), i);
    const shared = ReferenceImageBytes.fromBytes("image/png", bytes);
    const small = ReferenceImageBytes.fromBase64("image/webp", "UklGRg==");
    assert.equal(shared.bytes, bytes.byteLength);
    assert.equal(small.bytes, 4); // "RIFF"
    for (let call = 0; call < 3; call++) {
      const result = await generateImage({
        apiKey: "AIzaSyTEST-not-a-real-key-0123456789",
        model: "gemini-3.1-flash-image",
        // The flaky marker makes the SDK's first attempt fail once: the retry re-sends them too.
        prompt: call === 2 ? "refs [fake:flaky:1]" : `refs ${call}`,
        referenceImages: [shared, { mimeType: "image/jpeg", data: "/9j/4AAQ" }, small],
        timeoutMs: 5000,
      });
      if (call === 2 && !result.ok) continue; // (the SDK may leave the retry to the caller)
      assert.ok(result.ok, JSON.stringify(result));
    }
    const expected = [Buffer.from(bytes).toString("base64"), "/9j/4AAQ", "UklGRg=="];
    assert.ok(fake.calls.length >= 3);
    for (const call of fake.calls) {
      const parts = (call.body as { contents: { parts: Record<string, unknown>[] }[] }).contents[0]
        .parts;
      const sent = parts.filter((p) => p.inlineData).map((p) =>
        (p.inlineData as { data: string }).data
      );
      assert.deepEqual(sent, expected);
      assert.deepEqual(call.inlineImageMimeTypes, ["image/png", "image/jpeg", "image/webp"]);
    }
  } finally {
    await fake.close();
  }
});
