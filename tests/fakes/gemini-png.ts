// Tiny PNG encoder for the Gemini fake: real, decodable images whose pixels derive from a seed,
// so two prompts never yield the same bytes and tests can tell images apart; and random-pixel
// images of a chosen size for memory tests and benchmarks.
import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeAndData = out.subarray(4, 8 + data.length);
  typeAndData.set(new TextEncoder().encode(type), 0);
  typeAndData.set(data, 4);
  view.setUint32(8 + data.length, crc32(typeAndData) >>> 0);
  return out;
}

/** Pixel size for an aspect ratio ("16:9") and Gemini image size, kept tiny on purpose. */
export function pngSize(aspectRatio = "1:1", imageSize = "1K"): { width: number; height: number } {
  const [w, h] = aspectRatio.split(":").map(Number);
  const longSide = imageSize === "4K"
    ? 64
    : imageSize === "2K"
    ? 48
    : imageSize === "512"
    ? 16
    : 32;
  if (!(w > 0 && h > 0)) return { width: longSide, height: longSide };
  return w >= h
    ? { width: longSide, height: Math.max(1, Math.round((longSide * h) / w)) }
    : { width: Math.max(1, Math.round((longSide * w) / h)), height: longSide };
}

function encodeRgbPng(width: number, height: number, raw: Uint8Array, level?: number): Uint8Array {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  const parts = [
    Uint8Array.from(signature),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw, level === undefined ? {} : { level }))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** An RGB PNG whose gradient colours come from sha256(seed). */
export function makePng(seed: string, width = 32, height = 32): Uint8Array {
  const digest = createHash("sha256").update(seed).digest();
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 0; // filter type None
    for (let x = 0; x < width; x++) {
      const p = row + 1 + x * 3;
      raw[p] = (digest[0] + x * digest[3]) & 0xff;
      raw[p + 1] = (digest[1] + y * digest[4]) & 0xff;
      raw[p + 2] = (digest[2] + (x ^ y) * digest[5]) & 0xff;
    }
  }
  return encodeRgbPng(width, height, raw);
}

/**
 * A valid RGB PNG of random pixels, side × side: deflate cannot shrink noise, so the file is
 * ~3·side² bytes, as large as a real photo-like image of that size. Stored without
 * compression effort (level 0): compressing noise would only burn time.
 */
export function noisePng(side: number): Uint8Array {
  const raw = new Uint8Array(side * (1 + side * 3));
  for (let i = 0; i < raw.length; i += 65536) {
    crypto.getRandomValues(raw.subarray(i, Math.min(i + 65536, raw.length)));
  }
  for (let y = 0; y < side; y++) raw[y * (1 + side * 3)] = 0; // filter type None
  return encodeRgbPng(side, side, raw, 0);
}

/** A random-pixel PNG of about `bytes` bytes (a real 2K Gemini image is ~2-3 MB). */
export function noisePngOfAbout(bytes: number): Uint8Array {
  return noisePng(Math.max(1, Math.round(Math.sqrt(Math.max(0, bytes) / 3))));
}

/** Width and height from a PNG's IHDR, or null when the bytes are not a PNG. */
export function readPngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
