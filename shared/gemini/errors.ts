// Turns what the Gemini API (through @google/genai) throws or answers without an image into the
// three outcomes the batch processor acts on: retry later, fail the item, or fail the execution.
import { ApiError, type GenerateContentResponse } from "@google/genai";

export type GenerateFailure =
  | { ok: false; kind: "transient"; message: string; retryAfterMs?: number }
  | { ok: false; kind: "permanent"; message: string }
  | { ok: false; kind: "fatal"; message: string; code?: "model_unavailable" };

interface GoogleStatus {
  code?: number;
  status?: string;
  message?: string;
  details?: { "@type"?: string; reason?: string; retryDelay?: string }[];
}

const transientStatuses = new Set([408, 429, 500, 502, 503, 504]);
const safetyReasons = new Set([
  "SAFETY",
  "IMAGE_SAFETY",
  "PROHIBITED_CONTENT",
  "IMAGE_PROHIBITED_CONTENT",
  "BLOCKLIST",
  "SPII",
]);
const recitationReasons = new Set(["RECITATION", "IMAGE_RECITATION"]);

function clip(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The SDK puts Google's JSON error body in ApiError.message; anything else is kept as text. */
function parseGoogleStatus(message: string): GoogleStatus {
  try {
    const body = JSON.parse(message);
    if (body && typeof body.error === "object" && body.error) return body.error;
  } catch {
    // not JSON: a proxy's HTML page or a bare message
  }
  return { message };
}

/** google.protobuf.Duration in JSON form ("15s", "1.5s") to whole milliseconds. */
export function parseRetryDelay(delay: string | undefined): number | undefined {
  const m = delay?.trim().match(/^(\d+(?:\.\d+)?)s$/);
  return m ? Math.ceil(Number(m[1]) * 1000) : undefined;
}

function retryAfter(error: GoogleStatus): number | undefined {
  const info = error.details?.find((d) => d["@type"]?.endsWith("google.rpc.RetryInfo"));
  const fromInfo = parseRetryDelay(info?.retryDelay);
  if (fromInfo !== undefined) return fromInfo;
  // Quota errors also say it in prose ("Please retry in 52.13s."); used only without RetryInfo.
  return parseRetryDelay(error.message?.match(/retry in (\d+(?:\.\d+)?s)/i)?.[1]);
}

function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError &&
    (err.cause !== undefined ||
      /fetch failed|error sending request|network|connect|socket|dns|ECONN|EAI_AGAIN/i.test(
        err.message,
      ));
}

function redact(text: string, apiKey: string): string {
  return apiKey.length >= 4 ? text.replaceAll(apiKey, "[redacted]") : text;
}

/** Classifies anything thrown by generateContent. The API key never appears in the message. */
export function classifyError(
  err: unknown,
  ctx: { apiKey: string; model: string; timeoutMs: number },
): GenerateFailure {
  const failure = classify(err, ctx);
  return { ...failure, message: redact(failure.message, ctx.apiKey) };
}

function classify(
  err: unknown,
  ctx: { model: string; timeoutMs: number },
): GenerateFailure {
  if (err instanceof ApiError) {
    const error = parseGoogleStatus(err.message);
    const label = `${err.status}${error.status ? ` ${error.status}` : ""}`;
    const detail = clip(error.message ?? "");
    if (transientStatuses.has(err.status)) {
      const retryAfterMs = retryAfter(error);
      return {
        ok: false,
        kind: "transient",
        message: `Gemini API unavailable (${label}): ${detail}`,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    const keyInvalid = error.details?.some((d) => d.reason === "API_KEY_INVALID") ||
      /API key not valid/i.test(error.message ?? "");
    if (keyInvalid) {
      return {
        ok: false,
        kind: "fatal",
        message: "The Gemini API key is invalid (API_KEY_INVALID)",
      };
    }
    if (err.status === 401 || err.status === 403) {
      return {
        ok: false,
        kind: "fatal",
        message: `The Gemini API key was refused (${label}): ${detail}`,
      };
    }
    // Google answers 404 NOT_FOUND for a model it shut down (or never had). The model comes
    // from the execution's snapshot, so every prompt would fail alike: stop at once.
    if (err.status === 404) {
      return {
        ok: false,
        kind: "fatal",
        code: "model_unavailable",
        message: `Gemini model ${ctx.model} is not available (${label}): ${detail}`,
      };
    }
    return {
      ok: false,
      kind: "permanent",
      message: `Gemini rejected the request (${label}): ${detail}`,
    };
  }
  const name = (err as { name?: string } | null)?.name;
  if (name === "AbortError" || name === "TimeoutError") {
    return {
      ok: false,
      kind: "transient",
      message: `Gemini did not answer within ${ctx.timeoutMs} ms`,
    };
  }
  if (isNetworkError(err)) {
    return {
      ok: false,
      kind: "transient",
      message: `Could not reach the Gemini API: ${clip((err as Error).message, 300)}`,
    };
  }
  // Anything else is thrown before or after the HTTP exchange (request validation in the SDK,
  // a malformed answer), so asking again would fail the same way.
  return {
    ok: false,
    kind: "permanent",
    message: `Gemini call failed: ${clip(err instanceof Error ? err.message : String(err), 300)}`,
  };
}

/** Why an answer without a usable image has none, as a message for the item's error. */
export function describeMissingImage(response: GenerateContentResponse): GenerateFailure {
  const block = response.promptFeedback?.blockReason;
  const candidate = response.candidates?.[0];
  if (block && !candidate) {
    const why = response.promptFeedback?.blockReasonMessage;
    return {
      ok: false,
      kind: "permanent",
      message: `Prompt blocked by safety filters (${block})${why ? `: ${clip(why, 300)}` : ""}`,
    };
  }
  if (!candidate) {
    return { ok: false, kind: "permanent", message: "The model returned no candidates" };
  }
  const reason = candidate.finishReason ?? "UNKNOWN";
  // SDK 3.1.0 drops finishMessage from Gemini API answers (Vertex keeps it); used when present.
  const why = candidate.finishMessage ? `: ${clip(candidate.finishMessage, 300)}` : "";
  const text = (candidate.content?.parts ?? [])
    .filter((p) => !p.thought && typeof p.text === "string")
    .map((p) => p.text)
    .join(" ");
  let message: string;
  if (safetyReasons.has(reason)) message = `Image blocked by safety filters (${reason})${why}`;
  else if (recitationReasons.has(reason)) {
    message = `Image blocked as recitation of protected content (${reason})${why}`;
  } else if (reason === "NO_IMAGE") {
    message = `The model did not generate an image (NO_IMAGE)${why}`;
  } else if (text.trim()) {
    message = `The model returned text instead of an image: ${clip(text, 300)}`;
  } else message = `The model returned no image (${reason})${why}`;
  return { ok: false, kind: "permanent", message };
}
