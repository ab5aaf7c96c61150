// Counts per key over a window (a day), for the shares that are rations rather than totals: one
// user's one-time prekeys per requester, rooms created per address. In memory, per process; past
// `maxTracked` keys the oldest are forgotten (which only ever gives a share back).

export class WindowedCounts {
  private readonly counts = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxTracked: number,
  ) {}

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
      this.counts.delete(key);
      entry = { since: now, count: 0 };
      this.counts.set(key, entry);
      while (this.counts.size > this.maxTracked) this.counts.delete(this.counts.keys().next().value as string);
    }
    return entry;
  }
}
