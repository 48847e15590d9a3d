// Who listens to what: joined channels by topic and by private/public, as Realtime keeps its
// tenant topics. A private message reaches private channels of its topic only, a public one
// public channels only; a channel whose policies deny broadcast reads gets none.
import type { BroadcastMessage } from "./serializer.ts";

export interface Subscriber {
  readonly subTopic: string;
  readonly isPrivate: boolean;
  deliver(message: BroadcastMessage): void;
}

function key(subTopic: string, isPrivate: boolean): string {
  return `${isPrivate ? "private" : "public"}:${subTopic}`;
}

export class Hub {
  #topics = new Map<string, Set<Subscriber>>();

  add(subscriber: Subscriber): void {
    const k = key(subscriber.subTopic, subscriber.isPrivate);
    let set = this.#topics.get(k);
    if (!set) this.#topics.set(k, set = new Set());
    set.add(subscriber);
  }

  remove(subscriber: Subscriber): void {
    const k = key(subscriber.subTopic, subscriber.isPrivate);
    const set = this.#topics.get(k);
    set?.delete(subscriber);
    if (set?.size === 0) this.#topics.delete(k);
  }

  /** Delivers to every subscriber of the topic, except `skip` (a sender without `self`). */
  publish(
    subTopic: string,
    isPrivate: boolean,
    message: BroadcastMessage,
    skip?: Subscriber,
  ): number {
    const set = this.#topics.get(key(subTopic, isPrivate));
    let n = 0;
    for (const subscriber of set ?? []) {
      if (subscriber === skip) continue;
      subscriber.deliver(message);
      n++;
    }
    return n;
  }

  get size(): number {
    let n = 0;
    for (const set of this.#topics.values()) n += set.size;
    return n;
  }
}
