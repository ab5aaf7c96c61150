// The room sender-key chains a client holds for other members, with a budget per sender. Before
// this, one member could fill a shared cap of 5,000 chains x 2,000 skipped keys (~4 GiB measured)
// with junk grants, and evict honest senders' chains on the way. Now each sender has a few chains
// and a bounded number of held keys, a sender's excess evicts only its own oldest state, and a
// total cap takes from whoever holds the most.
import { CryptoError, ErrorCode } from './errors.js';
import { type SenderKeyGrant, type SenderKeyHeader, SenderKeyReceiver, type SenderKeyReceiverState } from './sender-key.js';

/** sender -> chain id -> its state, for the client's encrypted state file. */
export type SenderKeyStoreState = Record<string, Record<string, SenderKeyReceiverState>>;

export interface SenderKeyBudget {
  /**
   * Chains kept per sender. Default 4: a sender starts a new chain on every membership change, and
   * messages sealed under the last few may still be on their way; older ones go first.
   */
  readonly chainsPerSender: number;
  /** Skipped (held) message keys per sender, across its chains. Default 2,000, libsignal's per-chain figure. */
  readonly skippedPerSender: number;
  /** Skipped message keys for all senders together. Default 50,000 (~10 MB at worst); over it, the biggest holder loses its oldest. */
  readonly skippedTotal: number;
}

export const DEFAULT_SENDER_KEY_BUDGET: SenderKeyBudget = { chainsPerSender: 4, skippedPerSender: 2000, skippedTotal: 50_000 };

/**
 * A room message on a chain of the sender's we do not hold: sent before we joined, or its
 * handover never came. The inbox asks the sender for it (`chain`, from message `n` on).
 */
export class MissingSenderKeyError extends CryptoError {
  constructor(
    sender: string,
    readonly chain: string,
    readonly n: number,
  ) {
    super(ErrorCode.ENVELOPE_INVALID, `no key for this room message from ${sender} (sent before you joined, or its key never came)`);
  }
}

function noKey(slot: string, header: SenderKeyHeader | undefined): CryptoError {
  const sender = slot.split(ROOM_SLOT_SEPARATOR)[0]!;
  if (header === undefined) return new CryptoError(ErrorCode.ENVELOPE_INVALID, `a room message from ${sender} without a sender-key header`);
  return new MissingSenderKeyError(sender, header.id, header.n);
}

/** Between a sender's name and a named room in a slot: a named room's chains are budgeted apart. */
const ROOM_SLOT_SEPARATOR = '\u0000';

/**
 * Where a sender's chains for one room are kept: the sender's name for the lobby (as before named
 * rooms), "name\0#room" for a named one. A chain handed over for one room opens nothing in another,
 * and each room gets the sender's full budget of chains.
 */
export function senderKeySlot(sender: string, room: string | null): string {
  return room === null ? sender.toLowerCase() : `${sender.toLowerCase()}${ROOM_SLOT_SEPARATOR}${room.toLowerCase()}`;
}

export class SenderKeyStore {
  /** slot (see senderKeySlot) -> chain id -> receiver, oldest chain first. */
  private readonly bySender = new Map<string, Map<string, SenderKeyReceiver>>();
  private skippedTotal = 0;

  constructor(private readonly budget: SenderKeyBudget = DEFAULT_SENDER_KEY_BUDGET) {}

  toState(): SenderKeyStoreState {
    const out: SenderKeyStoreState = {};
    for (const [sender, chains] of this.bySender) {
      out[sender] = Object.fromEntries([...chains].map(([id, receiver]) => [id, receiver.toState()]));
    }
    return out;
  }

  restore(state: SenderKeyStoreState): void {
    for (const [sender, chains] of Object.entries(state)) {
      const map = new Map<string, SenderKeyReceiver>();
      for (const [id, receiverState] of Object.entries(chains)) {
        const receiver = SenderKeyReceiver.fromState(receiverState);
        map.set(id, receiver);
        this.skippedTotal += receiver.skippedCount;
      }
      this.bySender.set(sender, map);
    }
  }

  /** Chains and held keys right now, for tests and the memory bound in SECURITY.md. */
  get stats(): { readonly senders: number; readonly chains: number; readonly skippedKeys: number } {
    let chains = 0;
    for (const senderChains of this.bySender.values()) chains += senderChains.size;
    return { senders: this.bySender.size, chains, skippedKeys: this.skippedTotal };
  }

  /** Keeps a sender's new chain (`slot`: senderKeySlot); its oldest there goes if it has too many. A repeated grant changes nothing. */
  remember(slot: string, grant: SenderKeyGrant): void {
    const key = slot.toLowerCase();
    const chains = this.bySender.get(key) ?? new Map<string, SenderKeyReceiver>();
    if (chains.has(grant.id)) return;
    chains.set(grant.id, new SenderKeyReceiver(grant));
    this.bySender.set(key, chains);
    for (const [id, oldest] of chains) {
      if (chains.size <= this.budget.chainsPerSender) break;
      this.skippedTotal -= oldest.skippedCount;
      chains.delete(id);
    }
  }

  /** The key for a sender's room message; the chain moves (and budgets apply) only on commit(). */
  keyFor(slot: string, header: SenderKeyHeader | undefined): { messageKey: Buffer; commit: () => void } {
    const key = slot.toLowerCase();
    const receiver = header === undefined ? undefined : this.bySender.get(key)?.get(header.id);
    if (header === undefined || receiver === undefined) throw noKey(slot, header);
    const found = receiver.keyFor(header.n);
    return {
      messageKey: found.messageKey,
      commit: () => {
        const before = receiver.skippedCount;
        found.commit();
        this.skippedTotal += receiver.skippedCount - before;
        this.trimSender(key, this.budget.skippedPerSender);
        if (this.skippedTotal > this.budget.skippedTotal) this.trimBiggestHolder();
      },
    };
  }

  /** Forgets a sender's chains, in every room (it left for good, or its key changed). */
  forget(sender: string): void {
    const key = sender.toLowerCase();
    for (const [slot, chains] of [...this.bySender]) {
      if (slot !== key && !slot.startsWith(`${key}${ROOM_SLOT_SEPARATOR}`)) continue;
      for (const receiver of chains.values()) this.skippedTotal -= receiver.skippedCount;
      this.bySender.delete(slot);
    }
  }

  /** Drops a sender's oldest held keys, oldest chain first, until it holds at most `limit`. */
  private trimSender(sender: string, limit: number): void {
    const chains = this.bySender.get(sender);
    if (chains === undefined) return;
    let held = 0;
    for (const receiver of chains.values()) held += receiver.skippedCount;
    for (const receiver of chains.values()) {
      if (held <= limit) return;
      const drop = Math.min(receiver.skippedCount, held - limit);
      receiver.dropOldestSkipped(drop);
      held -= drop;
      this.skippedTotal -= drop;
    }
  }

  private trimBiggestHolder(): void {
    let biggest: string | undefined;
    let most = 0;
    for (const [sender, chains] of this.bySender) {
      let held = 0;
      for (const receiver of chains.values()) held += receiver.skippedCount;
      if (held > most) [biggest, most] = [sender, held];
    }
    if (biggest !== undefined) this.trimSender(biggest, Math.max(0, most - (this.skippedTotal - this.budget.skippedTotal)));
  }
}
