// Environment the execution functions need on a local stack, added to the functions host's
// env by stack.ts:
// - GEMINI_KEY_ENCRYPTION_KEY: the secret that encrypts clients' Gemini keys, generated once
//   per stack folder (on Supabase it is a function secret: `supabase secrets set`).
// - Gemini's endpoint. The test and bench stacks always talk to the local fake
//   (tests/fakes/gemini.ts), on a port chosen once per stack and written to
//   <stack>/gemini-fake.json, so the test process can bind it before any call arrives. The dev
//   stack uses Google when GEMINI_API_KEY is set and GOOGLE_GEMINI_BASE_URL is not; otherwise
//   the fake too (started by the demo in stack/start.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import type { StackPaths } from "./paths.ts";

export const FAKE_GEMINI_KEY = "fake-gemini-key";
/** The SDK's default endpoint when neither the fake nor GOOGLE_GEMINI_BASE_URL is used. */
export const GOOGLE_GEMINI_API = "https://generativelanguage.googleapis.com";
/** Latency of the fake started by `stack up` / `task start`: progress stays visible. */
export const FAKE_SERVICE_LATENCY_MS = 600;

export interface GeminiFakeInfo {
  port: number;
  url: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function encryptionKey(paths: StackPaths): string {
  const file = join(paths.dir, "gemini-key-encryption.key");
  if (existsSync(file)) return Deno.readTextFileSync(file).trim();
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  Deno.writeTextFileSync(file, key + "\n", { mode: 0o600 });
  return key;
}

/** Where this stack's fake Gemini listens (chosen once, kept in the stack folder). */
export function geminiFakeInfo(paths: StackPaths): GeminiFakeInfo {
  const file = join(paths.dir, "gemini-fake.json");
  if (existsSync(file)) return JSON.parse(Deno.readTextFileSync(file));
  const port = freePort();
  const info = { port, url: `http://127.0.0.1:${port}` };
  Deno.writeTextFileSync(file, JSON.stringify(info, null, 2) + "\n");
  return info;
}

/** True when this stack's functions talk to the local fake rather than Google. */
export function usesGeminiFake(paths: StackPaths): boolean {
  if (paths.instance !== "dev") return true;
  const base = Deno.env.get("GOOGLE_GEMINI_BASE_URL");
  if (base) return base === geminiFakeInfo(paths).url;
  return !Deno.env.get("GEMINI_API_KEY");
}

/** Where Gemini calls of this stack's functions go: the fake, a proxy, or Google. */
export function geminiBaseUrl(paths: StackPaths): string {
  if (usesGeminiFake(paths)) return geminiFakeInfo(paths).url;
  return Deno.env.get("GOOGLE_GEMINI_BASE_URL") || GOOGLE_GEMINI_API;
}

/** The fake's own environment when it runs as a stack service (tests/fakes/gemini.ts CLI). */
export function geminiFakeServiceEnv(paths: StackPaths): Record<string, string> {
  return {
    ...Deno.env.toObject(),
    GEMINI_FAKE_PORT: String(geminiFakeInfo(paths).port),
    GEMINI_FAKE_LATENCY_MS: String(FAKE_SERVICE_LATENCY_MS),
  };
}

export function geminiEnv(paths: StackPaths): Record<string, string> {
  const env: Record<string, string> = {
    GEMINI_KEY_ENCRYPTION_KEY: Deno.env.get("GEMINI_KEY_ENCRYPTION_KEY") || encryptionKey(paths),
  };
  if (usesGeminiFake(paths)) {
    env.GOOGLE_GEMINI_BASE_URL = geminiFakeInfo(paths).url;
    env.GEMINI_API_KEY = paths.instance === "dev"
      ? Deno.env.get("GEMINI_API_KEY") || FAKE_GEMINI_KEY
      : FAKE_GEMINI_KEY;
  }
  return env;
}
