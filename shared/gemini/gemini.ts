// One image from a Gemini image model, through the official SDK so that production, tests and
// the offline demo all run the same code path; only the base URL differs (GOOGLE_GEMINI_BASE_URL
// points it at tests/fakes/gemini.ts locally).
import { Buffer } from "node:buffer";
import { GoogleGenAI, type Part } from "@google/genai";
import { classifyError, describeMissingImage, type GenerateFailure } from "./errors.ts";
import { InlineDataStore } from "./inline-data.ts";
import { ReferenceImageBytes, ReferenceTokens } from "./reference-body.ts";

export { ReferenceImageBytes } from "./reference-body.ts";

export type { GenerateFailure } from "./errors.ts";

// Pinned rather than left to the SDK, whose default moved from v1beta (2.x) to v1 (3.x).
// v1beta is the version Google documents and ships image generation on first: imageConfig
// (aspectRatio, imageSize) and the preview image models appear there before v1, if ever.
export const GEMINI_API_VERSION = "v1beta";

/** imageConfig.imageSize ("512", "1K", "2K", "4K"); which ones a model takes is the catalogue's call. */
export type ImageSize = string;

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export type GenerateResult =
  | { ok: true; mimeType: string; bytes: Uint8Array; usage?: GeminiUsage }
  | GenerateFailure;

export interface GenerateImageInput {
  apiKey: string;
  model: string;
  prompt: string;
  /**
   * Base64 image data (no data: URL prefix), or a link's shared ReferenceImageBytes (streamed
   * into the request without a per-call copy; see reference-body.ts).
   */
  referenceImages?: ({ mimeType: string; data: string } | ReferenceImageBytes)[];
  aspectRatio?: string;
  imageSize?: ImageSize;
  timeoutMs: number;
}

function decodeBase64(data: string): Uint8Array {
  const buf = Buffer.from(data, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Generates one image. Never throws for provider or network trouble: the result says whether to
 * retry (transient, with Google's RetryInfo delay when given), fail this prompt (permanent) or
 * stop the whole execution (fatal: the key or model cannot work for any prompt).
 */
export async function generateImage(input: GenerateImageInput): Promise<GenerateResult> {
  // A client per call: construction measured at ~15 µs (deno bench), nothing next to the call
  // itself, and it avoids keeping API keys in a module-level cache.
  // Image bytes bypass the SDK's JSON parse (see gemini-inline-data.ts): the answer's data
  // values arrive decoded in `inline`, and the parsed response carries tokens in their place.
  const inline = new InlineDataStore();
  const shared = (input.referenceImages ?? []).filter((i): i is ReferenceImageBytes =>
    i instanceof ReferenceImageBytes
  );
  const tokens = new ReferenceTokens(shared);
  const ai = new GoogleGenAI({
    apiKey: input.apiKey,
    apiVersion: GEMINI_API_VERSION,
    httpOptions: {
      baseUrl: Deno.env.get("GOOGLE_GEMINI_BASE_URL") || undefined,
      timeout: input.timeoutMs,
      fetch: inline.fetch((init) => tokens.prepare(init)),
    },
  });
  const parts: Part[] = [{ text: input.prompt }];
  let sharedIndex = 0;
  for (const image of input.referenceImages ?? []) {
    const data = image instanceof ReferenceImageBytes ? tokens.token(sharedIndex++) : image.data;
    parts.push({ inlineData: { mimeType: image.mimeType, data } });
  }
  const imageConfig: { aspectRatio?: string; imageSize?: string } = {};
  if (input.aspectRatio) imageConfig.aspectRatio = input.aspectRatio;
  // Sent as asked: the start was refused unless the model catalogue says the model offers it.
  if (input.imageSize) imageConfig.imageSize = input.imageSize;

  try {
    const response = await ai.models.generateContent({
      model: input.model,
      contents: [{ role: "user", parts }],
      config: {
        responseModalities: ["IMAGE"],
        ...(Object.keys(imageConfig).length ? { imageConfig } : {}),
      },
    });
    // Thought parts carry draft images; response.data would concatenate them with the answer.
    const image = (response.candidates?.[0]?.content?.parts ?? [])
      .filter((p) =>
        !p.thought && p.inlineData?.data && p.inlineData.mimeType?.startsWith("image/")
      )
      .at(-1)?.inlineData;
    if (!image?.data) return describeMissingImage(response);
    const bytes = inline.take(image.data) ?? decodeBase64(image.data);
    if (bytes.byteLength === 0) return describeMissingImage(response);
    const u = response.usageMetadata;
    return {
      ok: true,
      mimeType: image.mimeType ?? "image/png",
      bytes,
      ...(u
        ? {
          usage: {
            promptTokenCount: u.promptTokenCount,
            candidatesTokenCount: u.candidatesTokenCount,
            thoughtsTokenCount: u.thoughtsTokenCount,
            totalTokenCount: u.totalTokenCount,
          },
        }
        : {}),
    };
  } catch (err) {
    return classifyError(err, input);
  } finally {
    inline.clear(); // thought images and anything else not taken
  }
}
