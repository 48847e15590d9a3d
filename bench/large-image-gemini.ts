// A fake Gemini whose images are as large as real 2K ones (~2.3 MB PNG, ~3 MB as base64).
// The memory benchmark puts this proxy on the port the functions host calls: every request goes
// to the real fake (same protocol, markers, errors, latency), and in a successful answer the
// final, non-thought image part is replaced by one large PNG of incompressible pixels, encoded
// once. (The fake itself can now do this per answer: imageBytes option / [fake:bytes:N].)
import { Buffer } from "node:buffer";
import { type GeminiFake, startGeminiFake } from "../tests/fakes/gemini.ts";
import { noisePng } from "../tests/fakes/gemini-png.ts";

export interface LargeImageGemini {
  fake: GeminiFake;
  /** Size of the base64 image each successful answer carries. */
  base64Bytes: number;
  /** Every inline image the proxy received (its base64 length and first characters). */
  received: { base64Length: number; head: string }[];
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
  const data = Buffer.from(noisePng(side)).toString("base64");
  const received: { base64Length: number; head: string }[] = [];
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    let reqBody: string | undefined = req.method === "GET" ? undefined : await req.text();
    // Reference images (up to 16 MiB of base64 per request) would pile up in the fake's call
    // record: the proxy keeps their size and hash and forwards a short stand-in instead.
    if (reqBody && reqBody.includes('"inlineData"')) {
      try {
        const parsed = JSON.parse(reqBody);
        for (const content of parsed?.contents ?? []) {
          for (const part of content?.parts ?? []) {
            const data = part?.inlineData?.data;
            if (typeof data === "string") {
              received.push({ base64Length: data.length, head: data.slice(0, 16) });
              part.inlineData.data = "QUJD";
            }
          }
        }
        reqBody = JSON.stringify(parsed);
      } catch { /* forwarded as it is */ }
    }
    const headers = new Headers(req.headers);
    headers.delete("content-length");
    headers.delete("transfer-encoding");
    const res = await fetch(`${fake.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: reqBody,
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
    received,
    close: async () => {
      await server.shutdown();
      await fake.close();
    },
  };
}
