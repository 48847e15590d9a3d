// Access tokens this worker has already verified, with their claims. Keyed by the whole token,
// signature included, so only a token that verified can ever match. An entry ends at the
// token's `exp` or after `ttlMs`, whichever is first: the short cap bounds how long a signing
// key revoked in the project's JWKS keeps working here. Bounded in size, oldest out first.
import type { Claims } from "../db/db.ts";

interface Entry {
  claims: Claims;
  until: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries = 1000,
    readonly ttlMs = 60_000,
    readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The claims of a verified token that has not expired, else undefined. */
  get(token: string): Claims | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.claims;
    this.#entries.delete(token);
    return undefined;
  }

  /** Records a token that just verified; its claims are shared, so they are frozen. */
  remember(token: string, claims: Claims): void {
    const now = this.now();
    const exp = typeof claims.exp === "number" ? claims.exp * 1000 : now;
    const until = Math.min(exp, now + this.ttlMs);
    if (until <= now) return;
    this.#entries.delete(token);
    while (this.#entries.size >= this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(token, { claims: deepFreeze(claims), until });
  }
}
