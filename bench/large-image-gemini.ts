// A fake Gemini whose images are as large as real 2K ones (~2.3 MB PNG, ~3 MB as base64).
// tests/fakes/gemini.ts draws tiny PNGs (64 px at most) and has no size option, so the memory
// benchmark puts this proxy on the port the functions host calls: every request goes to the
// real fake (same protocol, markers, errors, latency), and in a successful answer the final,
// non-thought image part is replaced by a large PNG of incompressible pixels.
import { Buffer } from "node:buffer";
import { crc32, deflateSync } from "node:zlib";
import { type GeminiFake, startGeminiFake } from "../tests/fakes/gemini.ts";

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

/** A valid RGB PNG of random pixels (so deflate cannot shrink it): ~3·side² bytes. */
export function largePng(side: number): Uint8Array {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, side);
  hv.setUint32(4, side);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = new Uint8Array(side * (1 + side * 3));
  for (let i = 0; i < raw.length; i += 65536) {
    crypto.getRandomValues(raw.subarray(i, Math.min(i + 65536, raw.length)));
  }
  for (let y = 0; y < side; y++) raw[y * (1 + side * 3)] = 0;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw, { level: 1 }))),
    chunk("IEND", new Uint8Array(0)),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

export interface LargeImageGemini {
  fake: GeminiFake;
  /** Size of the base64 image each successful answer carries. */
  base64Bytes: number;
  close(): Promise<void>;
}

interface Part {
  thought?: boolean;
  inlineData?: { mimeType?: string; data?: string };
}

export function startLargeImageGemini(
  port: number,
  latencyMs: number,
  side = 880,
): LargeImageGemini {
  const fake = startGeminiFake({ port: 0, latencyMs });
  const data = Buffer.from(largePng(side)).toString("base64");
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const res = await fetch(`${fake.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : await req.arrayBuffer(),
    });
    const body = await res.json();
    const parts: Part[] = body?.candidates?.[0]?.content?.parts ?? [];
    const final = parts.filter((p) => !p.thought && p.inlineData).at(-1);
    if (res.ok && final?.inlineData) final.inlineData.data = data;
    return Response.json(body, { status: res.status });
  });
  return {
    fake,
    base64Bytes: data.length,
    close: async () => {
      await server.shutdown();
      await fake.close();
    },
  };
}
