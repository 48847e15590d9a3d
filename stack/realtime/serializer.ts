// Phoenix channel framing as Supabase Realtime speaks it, per socket `vsn`:
//   1.0.0 (also when vsn is absent): every frame is a JSON object {join_ref?, ref, topic, event,
//         payload}.
//   2.0.0 (realtime-js's default): text frames are JSON arrays [join_ref, ref, topic, event,
//         payload]; broadcasts to the client are binary "user broadcast" frames (kind 4) and a
//         client's own broadcasts may arrive as binary "user broadcast push" frames (kind 3).
// Binary layouts (byte lengths are uint8, strings UTF-8, encoding 0 = raw bytes, 1 = JSON):
//   kind 3: [3, joinRefLen, refLen, topicLen, eventLen, metaLen, encoding, joinRef, ref, topic,
//           event, meta, payload]
//   kind 4: [4, topicLen, eventLen, metaLen, encoding, topic, event, meta, payload]

export type Vsn = "1.0.0" | "2.0.0";

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A broadcast as channels receive it: {type: "broadcast", event, payload, meta?}. */
export interface BroadcastMessage {
  event: string;
  payload: unknown;
  meta?: Record<string, unknown>;
}

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const BINARY_ENCODING = 0;
const JSON_ENCODING = 1;

export class FrameError extends Error {}

export function parseVsn(value: string | null): Vsn | null {
  if (value === null || value === "1.0.0") return "1.0.0";
  if (value === "2.0.0") return "2.0.0";
  return null;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : value == null ? null : String(value);
}

export function decodeFrame(vsn: Vsn, data: string | ArrayBuffer): Frame {
  if (typeof data !== "string") return decodeBinary(new Uint8Array(data));
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new FrameError("frame is not JSON");
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5) {
      throw new FrameError("a 2.0.0 frame is [join_ref, ref, topic, event, payload]");
    }
    const [joinRef, ref, topic, event, payload] = parsed;
    if (typeof topic !== "string" || typeof event !== "string") {
      throw new FrameError("topic and event must be strings");
    }
    return { joinRef: str(joinRef), ref: str(ref), topic, event, payload };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FrameError("a 1.0.0 frame is a JSON object");
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o.topic !== "string" || typeof o.event !== "string") {
    throw new FrameError("topic and event must be strings");
  }
  return {
    joinRef: str(o.join_ref),
    ref: str(o.ref),
    topic: o.topic,
    event: o.event,
    payload: o.payload,
  };
}

function decodeBinary(bytes: Uint8Array): Frame {
  if (bytes[0] !== USER_BROADCAST_PUSH || bytes.length < 7) {
    throw new FrameError(`unsupported binary frame kind ${bytes[0]}`);
  }
  const decoder = new TextDecoder();
  const lengths = [bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]];
  const encoding = bytes[6];
  let offset = 7;
  const parts = lengths.map((n) => {
    const part = bytes.subarray(offset, offset + n);
    offset += n;
    return decoder.decode(part);
  });
  if (offset > bytes.length) throw new FrameError("binary frame shorter than its header");
  const [joinRef, ref, topic, event, meta] = parts;
  const body = bytes.subarray(offset);
  let payload: unknown = body.slice().buffer;
  if (encoding === JSON_ENCODING) {
    try {
      payload = JSON.parse(decoder.decode(body));
    } catch {
      throw new FrameError("broadcast payload is not JSON");
    }
  }
  let metaObject: Record<string, unknown> = {};
  if (meta) {
    try {
      metaObject = JSON.parse(meta);
    } catch {
      throw new FrameError("broadcast metadata is not JSON");
    }
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: "broadcast",
    payload: { type: "broadcast", event, payload, ...metaObject },
  };
}

/** A frame the server sends (reply, system, close, ...). */
export function encodeFrame(vsn: Vsn, frame: Frame): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
  }
  const o: Record<string, unknown> = {
    event: frame.event,
    payload: frame.payload,
    ref: frame.ref,
    topic: frame.topic,
  };
  if (frame.joinRef !== null) o.join_ref = frame.joinRef;
  return JSON.stringify(o);
}

/** A broadcast delivered to a channel: binary kind 4 in 2.0.0, a JSON object in 1.0.0. */
export function encodeBroadcast(
  vsn: Vsn,
  topic: string,
  message: BroadcastMessage,
): string | Uint8Array | null {
  const raw = message.payload instanceof ArrayBuffer;
  if (vsn === "1.0.0") {
    // A 1.0.0 socket cannot carry binary payloads; Realtime skips them too.
    if (raw) return null;
    const payload: Record<string, unknown> = { event: message.event };
    if (message.meta) payload.meta = message.meta;
    payload.payload = message.payload;
    payload.type = "broadcast";
    return JSON.stringify({ event: "broadcast", payload, ref: null, topic });
  }
  const encoder = new TextEncoder();
  const topicBytes = encoder.encode(topic);
  const eventBytes = encoder.encode(message.event);
  const metaBytes = encoder.encode(message.meta ? JSON.stringify(message.meta) : "");
  const body = raw
    ? new Uint8Array(message.payload as ArrayBuffer)
    : encoder.encode(JSON.stringify(message.payload ?? null));
  for (const [name, part] of [["topic", topicBytes], ["event", eventBytes], ["meta", metaBytes]]) {
    if ((part as Uint8Array).length > 255) {
      throw new FrameError(`${name} longer than 255 bytes cannot be framed`);
    }
  }
  const header = 5;
  const out = new Uint8Array(
    header + topicBytes.length + eventBytes.length + metaBytes.length + body.length,
  );
  out.set([
    USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    raw ? BINARY_ENCODING : JSON_ENCODING,
  ]);
  let offset = header;
  for (const part of [topicBytes, eventBytes, metaBytes, body]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
