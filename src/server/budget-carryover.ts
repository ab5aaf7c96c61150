// Flood control that outlives a connection. Each connection has its own buckets (frame-budgets.ts),
// and a connection used to start with all of them full: an attacker that hung up after a burst and
// came back, under the same name or another from the same address, got a fresh megabyte to fan out
// to every member each time (the soak spec saw two such loops bury fifty readers under 4 MiB each).
// Here what a connection had left when it closed is kept per address and per name, refilling as
// time passes; a new connection starts at the lowest of its address's and (once it joins) its
// name's, never in debt (so a neighbour behind the same NAT waits at most for the rate, never for
// someone else's debt). Entries go once they would be full again, and past MAX_REMEMBERED the
// oldest go first.
import { LRUCache } from 'lru-cache';
import type { BudgetLevels } from './frame-budgets.js';
import type { ServerLimits } from './server-limits.js';

/** Addresses and names remembered at once (each a few numbers). */
export const MAX_REMEMBERED = 10_000;

interface Saved {
  readonly levels: BudgetLevels;
  readonly at: number;
}

export class BudgetCarryover {
  /** Bounded: the longest unused go first. */
  private readonly saved = new LRUCache<string, Saved>({ max: MAX_REMEMBERED });

  constructor(private readonly limits: () => ServerLimits) {}

  /** Keys: 'a:ADDRESS' and 'n:NAMEKEY'. */
  remember(keys: readonly string[], levels: BudgetLevels, now: number): void {
    for (const key of keys) {
      this.saved.set(key, { levels, at: now });
    }
  }

  /** Where a connection known by `keys` starts: the lowest of what they had left, refilled since; undefined: full. */
  startFor(keys: readonly string[], now: number): BudgetLevels | undefined {
    const limits = this.limits();
    let start: BudgetLevels | undefined;
    for (const key of keys) {
      const saved = this.saved.get(key);
      if (saved === undefined) continue;
      const seconds = Math.max(0, now - saved.at) / 1000;
      const levels = {
        messages: refilled(saved.levels.messages, limits.messagesPerSecond, limits.messageBurst, seconds),
        bytes: refilled(saved.levels.bytes, limits.bytesPerSecond, limits.byteBurst, seconds),
        fileBytes: refilled(saved.levels.fileBytes, limits.fileBytesPerSecond, limits.fileByteBurst, seconds),
        batchBytes: refilled(saved.levels.batchBytes, limits.batchBytesPerSecond, limits.batchByteBurst, seconds),
      };
      const full =
        levels.messages >= limits.messageBurst &&
        levels.bytes >= limits.byteBurst &&
        levels.fileBytes >= limits.fileByteBurst &&
        levels.batchBytes >= limits.batchByteBurst;
      if (full) {
        this.saved.delete(key);
        continue;
      }
      start = start === undefined ? levels : minOf(start, levels);
    }
    return start;
  }

  get size(): number {
    return this.saved.size;
  }
}

/** A bucket's level after `seconds` at `rate`, between 0 (debt is not carried) and `burst`. */
function refilled(level: number, rate: number, burst: number, seconds: number): number {
  return Math.max(0, Math.min(burst, level + rate * seconds));
}

function minOf(a: BudgetLevels, b: BudgetLevels): BudgetLevels {
  return {
    messages: Math.min(a.messages, b.messages),
    bytes: Math.min(a.bytes, b.bytes),
    fileBytes: Math.min(a.fileBytes, b.fileBytes),
    batchBytes: Math.min(a.batchBytes, b.batchBytes),
  };
}
