// One joined channel of a socket (Realtime's RealtimeChannel process): its topic, join_ref,
// private flag, the caller's claims and read policies, the timer that closes it when the access
// token expires, and what it does with the client's `access_token` and `broadcast` pushes.
import type postgres from "postgres";
import {
  type AuthContext,
  canBroadcast,
  type ReadPolicies,
  readPolicies,
} from "./authorization.ts";
import type { Hub, Subscriber } from "./hub.ts";
import type { BroadcastMessage } from "./serializer.ts";
import { type Claims, TokenError } from "./tokens.ts";

/** Realtime re-checks a token at its exp, at most an hour ahead. */
const CONFIRM_TOKEN_MAX_MS = 3600_000;

export class JoinRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface ChannelHost {
  readonly db: postgres.Sql;
  readonly hub: Hub;
  readonly headers: Record<string, string>;
  verify(token: string): Promise<Claims>;
  tenantToken: string;
  send(channel: Channel, message: BroadcastMessage): void;
  /** Pushes `system` (error) and `phx_close` for the channel and forgets it. */
  shutdown(channel: Channel, message: string): void;
  log(fields: Record<string, unknown>): void;
}

export interface JoinConfig {
  isPrivate: boolean;
  ack: boolean;
  self: boolean;
}

export function unauthorized(subTopic: string): string {
  return `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
}

export class Channel implements Subscriber {
  readonly subTopic: string;
  readonly isPrivate: boolean;
  accessToken = "";
  #claims: Claims | null = null;
  #policies: ReadPolicies | null = null;
  #canWrite: Promise<boolean> | null = null;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    readonly host: ChannelHost,
    readonly topic: string,
    readonly joinRef: string | null,
    readonly config: JoinConfig,
  ) {
    this.subTopic = topic.slice("realtime:".length);
    this.isPrivate = config.isPrivate;
  }

  #context(claims: Claims): AuthContext {
    return { topic: this.subTopic, claims, headers: this.host.headers };
  }

  /** The join's checks in Realtime's order; throws JoinRefused with the reply's reason. */
  async authorize(token: string | null): Promise<void> {
    this.accessToken = !token || token.startsWith("sb_") ? this.host.tenantToken : token;
    let claims: Claims;
    try {
      claims = await this.host.verify(this.accessToken);
    } catch (error) {
      if (error instanceof TokenError) throw new JoinRefused(error.reason);
      throw error;
    }
    if (this.isPrivate) this.#policies = await this.#readPolicies(claims);
    this.#claims = claims;
    this.#armExpiry(claims);
  }

  async #readPolicies(claims: Claims): Promise<ReadPolicies> {
    let policies: ReadPolicies;
    try {
      policies = await readPolicies(this.host.db, this.#context(claims));
    } catch (error) {
      this.host.log({
        level: "warn",
        msg: "RlsPolicyError",
        topic: this.subTopic,
        error: String((error as Error)?.message ?? error),
      });
      throw new JoinRefused(unauthorized(this.subTopic));
    }
    if (!policies.broadcast && !policies.presence) {
      throw new JoinRefused(unauthorized(this.subTopic));
    }
    return policies;
  }

  #armExpiry(claims: Claims): void {
    clearTimeout(this.#expiryTimer);
    const ms = Math.min(CONFIRM_TOKEN_MAX_MS, claims.exp * 1000 - Date.now());
    this.#expiryTimer = setTimeout(() => this.#confirmToken(), Math.max(ms, 0));
  }

  async #confirmToken(): Promise<void> {
    try {
      const claims = await this.host.verify(this.accessToken);
      this.#claims = claims;
      this.#armExpiry(claims);
    } catch (error) {
      this.host.shutdown(this, error instanceof Error ? error.message : String(error));
    }
  }

  /** The client's `access_token` push: verify it and run the policies again, now. */
  async refreshToken(token: unknown): Promise<void> {
    if (typeof token !== "string" || token.startsWith("sb_") || token === this.accessToken) return;
    this.accessToken = token;
    this.#canWrite = null;
    try {
      const claims = await this.host.verify(token);
      if (this.isPrivate) this.#policies = await this.#readPolicies(claims);
      this.#claims = claims;
      this.#armExpiry(claims);
    } catch (error) {
      const message = error instanceof JoinRefused
        ? error.reason.replace(/^Unauthorized: /, "")
        : (error as Error).message;
      this.host.shutdown(this, message);
    }
  }

  /** A broadcast the client sends: relayed if the topic is public or its policies allow it. */
  async clientBroadcast(message: BroadcastMessage): Promise<boolean> {
    if (this.isPrivate) {
      if (!this.#claims) return false;
      this.#canWrite ??= canBroadcast(this.host.db, this.#context(this.#claims)).catch((error) => {
        this.host.log({
          level: "warn",
          msg: "broadcast authorization failed",
          error: String(error),
        });
        return false;
      });
      if (!(await this.#canWrite)) return false;
    }
    this.host.hub.publish(
      this.subTopic,
      this.isPrivate,
      message,
      this.config.self ? undefined : this,
    );
    return true;
  }

  deliver(message: BroadcastMessage): void {
    if (this.#closed) return;
    if (this.isPrivate && !this.#policies?.broadcast) return;
    this.host.send(this, message);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    this.host.hub.remove(this);
  }
}
