// Refuses envelopes seen before or stamped outside the accepted time window.
//
// Ids are remembered for as long as their timestamp is inside the window, so memory is bounded by
// the message rate times the window. If a flood fills the table anyway, the oldest ids are evicted
// and the floor rises to their timestamp: anything at or below the floor is refused from then on,
// so eviction never re-opens a replay.
import { CryptoError, ErrorCode } from './errors.js';

export interface ReplayGuardOptions {
  /** How far in the past an envelope may be stamped. Default 5 minutes. */
  readonly maxAgeMs?: number;
  /** How far in the future (sender clock ahead of ours). Default 2 minutes. */
  readonly maxSkewMs?: number;
  /** Most ids remembered at once. Default 100,000 (~5 MB). */
  readonly maxIds?: number;
}

export class ReplayGuard {
  private readonly maxAgeMs: number;
  private readonly maxSkewMs: number;
  private readonly maxIds: number;
  /** id -> timestamp, in insertion order (Map keeps it), which is roughly timestamp order. */
  private readonly seen = new Map<string, number>();
  private floor = -Infinity;

  constructor(options: ReplayGuardOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.maxSkewMs = options.maxSkewMs ?? 2 * 60_000;
    this.maxIds = options.maxIds ?? 100_000;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Records the id, or throws CryptoError(REPLAY) if it was seen or is out of the window. */
  check(id: string, timestamp: number, now: number = Date.now()): void {
    this.prune(now);
    if (timestamp < now - this.maxAgeMs || timestamp <= this.floor) {
      throw new CryptoError(ErrorCode.REPLAY, 'message is older than the replay window');
    }
    if (timestamp > now + this.maxSkewMs) {
      throw new CryptoError(ErrorCode.REPLAY, 'message is stamped too far in the future');
    }
    if (this.seen.has(id)) throw new CryptoError(ErrorCode.REPLAY, 'message was already received');
    this.seen.set(id, timestamp);
    while (this.seen.size > this.maxIds) {
      const [oldestId, oldestTs] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldestId);
      this.floor = Math.max(this.floor, oldestTs);
    }
  }

  private prune(now: number): void {
    const cutoff = now - this.maxAgeMs;
    for (const [id, ts] of this.seen) {
      // Entries arrive in near timestamp order; stop at the first one still inside the window.
      if (ts >= cutoff) break;
      this.seen.delete(id);
    }
  }
}
