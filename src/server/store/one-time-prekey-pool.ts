// The one-time prekeys users uploaded, in the server's store at ['o', name key, id]: handed out one
// per fetched bundle and deleted as they are taken, so each starts at most one session. On a
// cluster a node takes a key only if no other node took it first (the bucket decides; the loser
// tries the next). A key nobody took within ONE_TIME_PREKEY_TTL_MS goes, so its owner's client
// knows how long a half it made can still be asked for (OwnPrekeys keeps its halves longer).
import type { OneTimePrekey } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { type KeyValue, isSharedKeyValue } from './key-value.js';

/**
 * How long an uploaded one-time prekey waits to be handed out: 30 days. A client keeps the private
 * half longer than this plus the store's retention, so it never drops a half a peer may still use.
 */
export const ONE_TIME_PREKEY_TTL_MS = 30 * 86_400_000;

/** As kept: the key and when it was uploaded (absent in keys kept before that was recorded). */
interface HeldPrekey extends OneTimePrekey {
  readonly at?: number;
}

export class OneTimePrekeyPool {
  /** Keys handed out whose removal is not committed yet ("name key\0id"). */
  private readonly taken = new Set<string>();

  constructor(private readonly kv: KeyValue) {}

  /**
   * How many one-time prekeys wait for this user (not counting those being taken), counted up to
   * `atMost`: whoever only asks "are few left?" reads a few records, not the whole pool.
   */
  count(name: string, atMost = Number.POSITIVE_INFINITY): number {
    let count = 0;
    for (const { value } of this.kv.range<HeldPrekey>(['o', nameKey(name)])) {
      if (count >= atMost) break;
      if (!this.taken.has(`${nameKey(name)}\u0000${value.id}`)) count++;
    }
    return count;
  }

  /** Keeps uploaded one-time prekeys, up to `max` per user (the rest are ignored); returns how many are held now. */
  async add(name: string, keys: readonly OneTimePrekey[], max: number, now = Date.now()): Promise<number> {
    let held = this.count(name);
    for (const key of keys) {
      if (held >= max) break;
      if (this.kv.get(['o', nameKey(name), key.id]) !== undefined) continue;
      await this.kv.put(['o', nameKey(name), key.id], { id: key.id, key: key.key, at: now } satisfies HeldPrekey);
      held++;
    }
    return held;
  }

  /** Hands out one of the user's one-time prekeys, once: it is deleted as it is taken. */
  async take(name: string): Promise<OneTimePrekey | undefined> {
    if (!isSharedKeyValue(this.kv)) return this.takeAlone(name);
    for (const { key, value } of [...this.kv.range<HeldPrekey>(['o', nameKey(name)])]) {
      const id = `${nameKey(name)}\u0000${value.id}`;
      if (this.taken.has(id)) continue;
      // Until the removal is committed, `taken` keeps this process from handing it out twice.
      this.taken.add(id);
      const handed = { id: value.id, key: value.key };
      const won = await this.kv.take(key).finally(() => this.taken.delete(id));
      if (won) return handed;
    }
    return undefined;
  }

  /**
   * Alone, this process is the only one handing keys out: the first key not being taken is handed
   * out and removed in the background. Read lazily: reading the whole pool (a hundred records)
   * for each bundle made a room's first line to 1,000 members cost the server 0.2 s of decoding.
   */
  private takeAlone(name: string): OneTimePrekey | undefined {
    for (const { key, value } of this.kv.range<HeldPrekey>(['o', nameKey(name)])) {
      const id = `${nameKey(name)}\u0000${value.id}`;
      if (this.taken.has(id)) continue;
      // Until the removal is committed, `taken` keeps this process from handing it out twice.
      this.taken.add(id);
      void this.kv
        .remove(key)
        .catch(() => {})
        .finally(() => this.taken.delete(id));
      return { id: value.id, key: value.key };
    }
    return undefined;
  }

  /** Removes every key of a user (their name was released). */
  async removeAll(name: string): Promise<void> {
    for (const { key } of [...this.kv.range(['o', nameKey(name)])]) await this.kv.remove(key);
  }

  /** Removes keys uploaded more than ONE_TIME_PREKEY_TTL_MS ago (those without a time are given one now). */
  async expire(now: number): Promise<void> {
    for (const { key, value } of [...this.kv.range<HeldPrekey>(['o'])]) {
      if (value.at === undefined) await this.kv.put(key, { ...value, at: now });
      else if (now - value.at >= ONE_TIME_PREKEY_TTL_MS) await this.kv.remove(key);
    }
  }
}
