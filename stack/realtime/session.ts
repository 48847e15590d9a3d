// One Realtime websocket: Phoenix's socket and channel protocol as Supabase Realtime answers
// supabase-js (realtime-js). Heartbeats on topic "phoenix"; phx_join / phx_leave; a channel's
// access_token and broadcast pushes; replies, system messages and phx_close with Realtime's
// texts. A refused join is answered only after CHANNEL_ERROR_BACKOFF_MS (Realtime's default
// 5 s), and a socket that sends nothing for 60 s is closed, as Phoenix's transport does.
import type postgres from "postgres";
import { Channel, type ChannelHost, JoinRefused } from "./channel.ts";
import type { Hub } from "./hub.ts";
import {
  type BroadcastMessage,
  decodeFrame,
  encodeBroadcast,
  encodeFrame,
  type Frame,
  FrameError,
  type Vsn,
} from "./serializer.ts";
import type { Claims } from "./tokens.ts";

const IDLE_TIMEOUT_MS = 60_000;

export interface SessionOptions {
  db: postgres.Sql;
  hub: Hub;
  vsn: Vsn;
  tenantToken: string;
  headers: Record<string, string>;
  channelErrorBackoffMs: number;
  verify(token: string): Promise<Claims>;
  log(fields: Record<string, unknown>): void;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

export class Session implements ChannelHost {
  readonly db: postgres.Sql;
  readonly hub: Hub;
  readonly headers: Record<string, string>;
  tenantToken: string;
  #channels = new Map<string, Channel>();
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly ws: WebSocket, readonly options: SessionOptions) {
    this.db = options.db;
    this.hub = options.hub;
    this.headers = options.headers;
    this.tenantToken = options.tenantToken;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => this.#onMessage(event.data);
    ws.onclose = () => this.#teardown();
    ws.onerror = () => this.#teardown();
    this.#touch();
  }

  verify(token: string): Promise<Claims> {
    return this.options.verify(token);
  }

  log(fields: Record<string, unknown>): void {
    this.options.log(fields);
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.ws.close(1000), IDLE_TIMEOUT_MS);
  }

  #teardown(): void {
    clearTimeout(this.#idle);
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
  }

  #write(data: string | Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  #push(frame: Frame): void {
    this.#write(encodeFrame(this.options.vsn, frame));
  }

  #reply(frame: Frame, status: "ok" | "error", response: Record<string, unknown>): void {
    this.#push({
      joinRef: frame.joinRef,
      ref: frame.ref,
      topic: frame.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  send(channel: Channel, message: BroadcastMessage): void {
    try {
      const data = encodeBroadcast(this.options.vsn, channel.topic, message);
      if (data !== null) this.#write(data);
    } catch (error) {
      this.log({ level: "warn", msg: "broadcast not framed", error: String(error) });
    }
  }

  #close(channel: Channel): void {
    channel.close();
    if (this.#channels.get(channel.topic) === channel) this.#channels.delete(channel.topic);
    this.#push({
      joinRef: channel.joinRef,
      ref: channel.joinRef,
      topic: channel.topic,
      event: "phx_close",
      payload: {},
    });
  }

  shutdown(channel: Channel, message: string): void {
    if (this.#channels.get(channel.topic) !== channel) return;
    this.#push({
      joinRef: channel.joinRef,
      ref: null,
      topic: channel.topic,
      event: "system",
      payload: { extension: "system", status: "error", message, channel: channel.subTopic },
    });
    this.#close(channel);
  }

  async #onMessage(data: unknown): Promise<void> {
    this.#touch();
    let frame: Frame;
    try {
      frame = decodeFrame(this.options.vsn, data as string | ArrayBuffer);
    } catch (error) {
      if (error instanceof FrameError) {
        this.log({ level: "info", msg: "undecodable frame", error: error.message });
        return;
      }
      throw error;
    }
    try {
      await this.#dispatch(frame);
    } catch (error) {
      this.log({ level: "error", msg: "realtime frame failed", error: String(error) });
    }
  }

  async #dispatch(frame: Frame): Promise<void> {
    if (frame.topic === "phoenix" && frame.event === "heartbeat") {
      return this.#reply(frame, "ok", {});
    }
    if (frame.event === "phx_join") return await this.#join(frame);
    const channel = this.#channels.get(frame.topic);
    if (!channel || (frame.joinRef !== null && frame.joinRef !== channel.joinRef)) {
      return this.#reply(frame, "error", { reason: "unmatched topic" });
    }
    const payload = record(frame.payload);
    switch (frame.event) {
      case "phx_leave":
        this.#reply(frame, "ok", {});
        return this.#close(channel);
      case "access_token":
        return await channel.refreshToken(payload.access_token);
      case "broadcast": {
        if (typeof payload.event !== "string") return;
        const sent = await channel.clientBroadcast({
          event: payload.event,
          payload: payload.payload,
        });
        if (sent && channel.config.ack) this.#reply(frame, "ok", {});
        return;
      }
      case "presence":
        return this.#reply(frame, "error", {
          reason: "Presence is not implemented by the local Realtime stand-in",
        });
      default:
        // Realtime logs unexpected client events and answers nothing.
        return;
    }
  }

  async #refuse(frame: Frame, reason: string): Promise<void> {
    await new Promise((r) => setTimeout(r, this.options.channelErrorBackoffMs));
    this.#reply(frame, "error", { reason });
  }

  async #join(frame: Frame): Promise<void> {
    if (!frame.topic.startsWith("realtime:")) {
      return this.#reply(frame, "error", { reason: "unmatched topic" });
    }
    const previous = this.#channels.get(frame.topic);
    // Phoenix replaces a channel joined twice on one socket: the old join_ref is closed.
    if (previous) this.#close(previous);
    const payload = record(frame.payload);
    const config = record(payload.config);
    const broadcast = record(config.broadcast);
    const channel = new Channel(this, frame.topic, frame.joinRef, {
      isPrivate: config.private === true,
      ack: broadcast.ack === true,
      self: broadcast.self === true,
    });
    if (channel.subTopic === "") {
      return await this.#refuse(frame, "TopicNameRequired: You must provide a topic name");
    }
    const changes = config.postgres_changes;
    if (Array.isArray(changes) && changes.length > 0) {
      return await this.#refuse(
        frame,
        "postgres_changes is not implemented by the local Realtime stand-in",
      );
    }
    if (record(config.presence).enabled === true) {
      return await this.#refuse(
        frame,
        "Presence is not implemented by the local Realtime stand-in",
      );
    }
    this.#channels.set(frame.topic, channel);
    const token = typeof payload.access_token === "string"
      ? payload.access_token
      : typeof payload.user_token === "string"
      ? payload.user_token
      : null;
    try {
      await channel.authorize(token);
    } catch (error) {
      if (this.#channels.get(frame.topic) === channel) this.#channels.delete(frame.topic);
      channel.close();
      if (error instanceof JoinRefused) return await this.#refuse(frame, error.reason);
      this.log({ level: "error", msg: "join failed", error: String(error) });
      return await this.#refuse(frame, "Unknown Error on Channel");
    }
    if (this.#channels.get(frame.topic) !== channel) return; // replaced meanwhile
    this.hub.add(channel);
    this.#reply(frame, "ok", { postgres_changes: [] });
  }
}
