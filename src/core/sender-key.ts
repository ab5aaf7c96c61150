// Sender keys for the room: each sender has a hash chain (a random 32-byte chain key, then
// HMAC-SHA256 steps) whose message keys encrypt its room messages. The chain key is handed to each
// member over the pairwise Double Ratchets, and replaced by a fresh chain whenever the membership
// changes, so a member who left cannot read on and a newcomer cannot read back. Steps only move
// forward, and used keys are deleted.
import { randomBytes } from 'node:crypto';
import { CryptoError, ErrorCode } from './errors.js';
import { stepChain } from './hash-chain.js';

export interface SenderKeyHeader {
  /** Which chain of the sender's (random, base64url). */
  readonly id: string;
  /** The message's number on that chain. */
  readonly n: number;
}

/** What a member receives over the ratchet to read a sender's chain from message n on. */
export interface SenderKeyGrant {
  readonly id: string;
  /** Chain key at step n, base64. */
  readonly key: string;
  readonly n: number;
}

/**
 * How far ahead of the last message a sender's message may be numbered (as for the Double
 * Ratchet): the keys in between are derived and kept for messages still on their way. How many of
 * those a client keeps in all is bounded per sender by SenderKeyStore.
 */
export const MAX_SKIPPED_SENDER_KEYS = 2000;

function invalid(): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
}

/** A receiving chain as JSON, for the client's encrypted state file. */
export interface SenderKeyReceiverState {
  readonly key: string;
  readonly n: number;
  readonly skipped: ReadonlyArray<readonly [number, string]>;
}

/** Our own chain, for sending. */
export class SenderKeyChain {
  readonly id: string = randomBytes(12).toString('base64url');
  private chainKey: Buffer = randomBytes(32);
  private n = 0;

  /** Messages sealed on this chain so far (the next one's number). */
  get sent(): number {
    return this.n;
  }

  /** Our chain as it stands, to be restored after a restart (it is a grant from the next step on). */
  toState(): SenderKeyGrant {
    return this.grant();
  }

  static fromState(state: SenderKeyGrant): SenderKeyChain {
    const chain = new SenderKeyChain();
    (chain as { id: string }).id = state.id;
    chain.chainKey = Buffer.from(state.key, 'base64');
    chain.n = state.n;
    return chain;
  }

  /** The grant for members: reads from the next message on. */
  grant(): SenderKeyGrant {
    return { id: this.id, key: this.chainKey.toString('base64'), n: this.n };
  }

  next(): { header: SenderKeyHeader; messageKey: Buffer } {
    const { chainKey, messageKey } = stepChain(this.chainKey);
    const header = { id: this.id, n: this.n };
    this.chainKey = chainKey;
    this.n++;
    return { header, messageKey };
  }
}

/**
 * The grant for reading a chain from message `n` on, stepped forward from an earlier grant (the
 * sender keeps its chain's first grant to answer a member whose handover never came). Throws for
 * an `n` before the grant's own.
 */
export function grantFrom(earlier: SenderKeyGrant, n: number): SenderKeyGrant {
  if (!Number.isSafeInteger(n) || n < earlier.n) throw invalid();
  let chainKey: Buffer = Buffer.from(earlier.key, 'base64');
  for (let i = earlier.n; i < n; i++) chainKey = stepChain(chainKey).chainKey;
  return { id: earlier.id, key: chainKey.toString('base64'), n };
}

/** A peer's chain, for receiving. */
export class SenderKeyReceiver {
  private chainKey: Buffer;
  private n: number;
  private readonly skipped = new Map<number, Buffer>();

  constructor(grant: SenderKeyGrant) {
    this.chainKey = Buffer.from(grant.key, 'base64');
    this.n = grant.n;
    if (this.chainKey.length !== 32 || !Number.isSafeInteger(this.n) || this.n < 0) throw invalid();
  }

  toState(): SenderKeyReceiverState {
    return { key: this.chainKey.toString('base64'), n: this.n, skipped: [...this.skipped].map(([n, key]) => [n, key.toString('base64')] as const) };
  }

  static fromState(state: SenderKeyReceiverState): SenderKeyReceiver {
    const receiver = new SenderKeyReceiver({ id: '-', key: state.key, n: state.n });
    for (const [n, key] of state.skipped) receiver.skipped.set(n, Buffer.from(key, 'base64'));
    return receiver;
  }

  /** Message keys held for messages that have not arrived yet. */
  get skippedCount(): number {
    return this.skipped.size;
  }

  /** Forgets the `count` oldest held keys (their messages, if they ever come, will not open). */
  dropOldestSkipped(count: number): void {
    for (const n of this.skipped.keys()) {
      if (count-- <= 0) return;
      this.skipped.delete(n);
    }
  }

  /** The key for message n; the chain moves only on commit(), after the message opened. */
  keyFor(n: number): { messageKey: Buffer; commit: () => void } {
    const stored = this.skipped.get(n);
    if (stored !== undefined) return { messageKey: stored, commit: () => this.skipped.delete(n) };
    if (n < this.n || n - this.n > MAX_SKIPPED_SENDER_KEYS) throw invalid();
    let chainKey = this.chainKey;
    const newlySkipped: Array<[number, Buffer]> = [];
    for (let i = this.n; i < n; i++) {
      const next = stepChain(chainKey);
      newlySkipped.push([i, next.messageKey]);
      chainKey = next.chainKey;
    }
    const { chainKey: after, messageKey } = stepChain(chainKey);
    return {
      messageKey,
      commit: () => {
        this.chainKey = after;
        this.n = n + 1;
        for (const [i, key] of newlySkipped) this.skipped.set(i, key);
        this.dropOldestSkipped(this.skipped.size - MAX_SKIPPED_SENDER_KEYS);
      },
    };
  }
}
