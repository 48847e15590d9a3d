// A link's reference images: fetched ONCE per link (one Storage GET per stored image, none for
// inline ones, which came with the job) and kept for the link's lifetime as base64 bytes, the
// form every Gemini request streams them in (shared/gemini/reference-body.ts). What they cost
// is what the link's memory budget subtracts before sizing its slots (settings.ts).
import { ReferenceImageBytes } from "../gemini/gemini.ts";
import { downloadReference } from "../storage/reference-images.ts";
import type { Job } from "./ledger.ts";

const ATTEMPTS = 3;

export interface LinkReferences {
  images: ReferenceImageBytes[];
  /** Decoded bytes of all images. */
  bytes: number;
  /** Bytes the link holds for them (their base64). */
  heldBytes: number;
  /** Storage GETs it took. */
  downloads: number;
}

async function download(path: string): Promise<Uint8Array> {
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await downloadReference(path);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  throw last;
}

/**
 * The job's reference images as the link keeps them. Inline data is moved out of the job (the
 * job keeps only paths and types), so each image is held once.
 */
export async function loadReferences(job: Job): Promise<LinkReferences> {
  const images: ReferenceImageBytes[] = [];
  let downloads = 0;
  for (const ref of job.reference_images) {
    if ("path" in ref) {
      const bytes = await download(ref.path);
      downloads++;
      images.push(ReferenceImageBytes.fromBytes(ref.mime_type, bytes));
    } else {
      images.push(ReferenceImageBytes.fromBase64(ref.mime_type, ref.data));
    }
  }
  job.reference_images = job.reference_images.map((r) =>
    "path" in r ? r : { mime_type: r.mime_type, data: "" }
  );
  return {
    images,
    bytes: images.reduce((n, i) => n + i.bytes, 0),
    heldBytes: images.reduce((n, i) => n + i.base64.byteLength, 0),
    downloads,
  };
}
