// Counts per key over a window (a day), for the shares that are rations rather than totals: one
// user's one-time prekeys per requester, rooms created per address. In memory, per process; past
// `maxTracked` keys the least recently used are forgotten (which only ever gives a share back).
import { LRUCache } from 'lru-cache';

export class WindowedCounts {
  private readonly counts: LRUCache<string, { since: number; count: number }>;

  constructor(
    private readonly windowMs: number,
    maxTracked: number,
  ) {
    this.counts = new LRUCache({ max: Math.max(1, maxTracked) });
  }

  /** What `key` has taken in its current window. */
  count(key: string, now = Date.now()): number {
    return this.entry(key, now).count;
  }

  /** Counts one more for `key`. */
  add(key: string, now = Date.now()): void {
    this.entry(key, now).count++;
  }

  private entry(key: string, now: number): { since: number; count: number } {
    let entry = this.counts.get(key);
    if (entry === undefined || now - entry.since >= this.windowMs) {
      entry = { since: now, count: 0 };
      this.counts.set(key, entry);
    }
    return entry;
  }
}
