// Per-chain counters on the receiving side: each sender numbers its messages 0, 1, 2, ... per
// connection ("chain") and conversation, inside the signed header, so a recipient sees when the
// server (or the network) dropped, held back or reordered messages. Duplicates are the replay
// guard's job; what is reported here is a gap (messages missing) or a late arrival.
import { LRUCache } from 'lru-cache';

export type ChainObservation =
  | { readonly kind: 'in-order' }
  | { readonly kind: 'gap'; readonly missing: number }
  | { readonly kind: 'late'; readonly behindBy: number };

/** Chains remembered at once; the longest silent is forgotten first (its next message then starts fresh). */
export const MAX_CHAINS = 10_000;

export class ChainTracker {
  private readonly next = new LRUCache<string, number>({ max: MAX_CHAINS });

  /** Records message `seq` of a chain; the first message seen from a chain sets the baseline. */
  observe(from: string, chain: string, conversation: string, seq: number): ChainObservation {
    const key = `${from.toLowerCase()}\u0000${chain}\u0000${conversation}`;
    const expected = this.next.get(key);
    if (expected === undefined || seq === expected) {
      this.remember(key, seq + 1);
      return { kind: 'in-order' };
    }
    if (seq > expected) {
      this.remember(key, seq + 1);
      return { kind: 'gap', missing: seq - expected };
    }
    return { kind: 'late', behindBy: expected - 1 - seq };
  }

  private remember(key: string, next: number): void {
    this.next.set(key, next);
  }
}
