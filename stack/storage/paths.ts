// Object keys and where their bytes live on disk. Keys follow Supabase's allowed character
// set; anything that could escape `${stackDir}/storage/<bucket>/` (dot segments, absolute
// paths, backslashes, NUL/control characters, empty segments) is refused before any I/O.
import { join, resolve, sep } from "node:path";
import { errors } from "./errors.ts";

// Supabase Storage's key character class (mustBeValidKey), minus nothing: it already
// excludes backslash and control characters.
const keyChars = /^(\w|\/|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/u;
const bucketChars = /^(\w|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)+$/u;

export function validKey(key: string): string {
  const segments = key.split("/");
  const bad = key.length === 0 || key.length > 1024 || !keyChars.test(key) ||
    segments.some((s) => s === "" || s === "." || s === "..");
  if (bad) throw errors.invalidKey(key);
  return key;
}

export function validBucket(bucket: string): string {
  if (!bucketChars.test(bucket) || bucket === "." || bucket === "..") {
    throw errors.invalidRequest("Bucket name invalid");
  }
  return bucket;
}

export function storageRoot(stackDir: string): string {
  return resolve(stackDir, "storage");
}

// Resolves the file of an object and re-checks containment, so a validation gap can never
// turn into a write outside the storage root.
export function objectFile(stackDir: string, bucket: string, key: string): string {
  const root = storageRoot(stackDir);
  const file = resolve(join(root, validBucket(bucket), validKey(key)));
  if (!file.startsWith(root + sep)) throw errors.invalidKey(key);
  return file;
}
