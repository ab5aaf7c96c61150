// Who may keep how much in the server's store for away users. Names and keys are free to make, so
// every bound that a stranger could exhaust for everyone is a share: per recipient (the mailbox),
// per sender and recipient (one sender cannot fill a mailbox; less for a sender the recipient
// never wrote to), per sender across all recipients (less for a newcomer), per address, and the
// total. Counters only: what a write costs is decided here, the write itself is StoredMessages'.
import type { ServerLimits } from '../server-limits.js';
import { storeFull } from './store-errors.js';

/** The shares this counts, as `tui-chat serve` sets them (each field's reason is in ServerLimits). */
export type StoreShareLimits = Pick<
  ServerLimits,
  | 'maxStoredPerUser'
  | 'maxStoredBytesPerUser'
  | 'maxStoredPerSender'
  | 'maxStoredFromStranger'
  | 'maxStoredBytesPerSender'
  | 'maxStoredBytesPerNewcomer'
  | 'maxStoredBytesPerAddress'
  | 'maxStoreBytes'
>;

/** What one stored copy (or one member's reference to a room message's one copy) costs. */
export interface StoreCharge {
  /** The recipient's name key, the sender's name key, and a hash of the address it came from (if known). */
  readonly recipient: string;
  readonly sender: string;
  readonly origin?: string;
  /** Bytes the recipient will be sent (counted against their mailbox). */
  readonly mailboxBytes: number;
  /** Bytes this entry adds to the store (against the sender, the address and the total). */
  readonly storeBytes: number;
  /** A member's reference to a room message's one copy (the copy's bytes are counted once, with the first). */
  readonly isReference: boolean;
}

/** Who the sender is to the recipient and to the server, for the shares that depend on it. */
export interface SenderStanding {
  /** The recipient wrote to the sender before (a DM), or the two share a named room. */
  readonly isContact: boolean;
  /** The sender registered recently (see newcomerMs in DurableStore): a small share of the store. */
  readonly isNewcomer: boolean;
}

interface Usage {
  count: number;
  bytes: number;
}

export class StoreShares {
  private readonly mailboxes = new Map<string, Usage>();
  private readonly pairs = new Map<string, Usage>();
  private readonly senders = new Map<string, Usage>();
  private readonly origins = new Map<string, Usage>();
  private total: Usage = { count: 0, bytes: 0 };

  constructor(private limits: StoreShareLimits) {}

  reconfigure(limits: StoreShareLimits): void {
    this.limits = limits;
  }

  get messages(): number {
    return this.total.count;
  }

  get bytes(): number {
    return this.total.bytes;
  }

  mailbox(recipient: string): { readonly count: number; readonly bytes: number } {
    return this.mailboxes.get(recipient) ?? { count: 0, bytes: 0 };
  }

  /** Bytes a sender keeps on the server now (for specs and the metrics). */
  senderBytes(sender: string): number {
    return this.senders.get(sender)?.bytes ?? 0;
  }

  /**
   * Throws StoreWriteError (STORE_FULL) naming the share this charge would pass; `shown` is the
   * recipient as the sender should read it. `bodyBytes` is what the store's one copy of a room
   * message adds once for all its references (0 for a DM).
   */
  check(charge: StoreCharge, standing: SenderStanding, shown: string, bodyBytes = 0): void {
    const limits = this.limits;
    const box = this.mailbox(charge.recipient);
    if (box.count >= limits.maxStoredPerUser) {
      throw storeFull(`${shown} has ${box.count} messages waiting already (the most the server keeps for one user)`);
    }
    if (box.bytes + charge.mailboxBytes > limits.maxStoredBytesPerUser) {
      throw storeFull(`the messages waiting for ${shown} fill their share of the server's store`);
    }
    const pair = this.pairs.get(pairKey(charge)) ?? { count: 0, bytes: 0 };
    const pairMax = standing.isContact ? limits.maxStoredPerSender : limits.maxStoredFromStranger;
    if (pair.count >= pairMax) {
      throw storeFull(
        standing.isContact
          ? `${pairMax} of your messages wait for ${shown} already (the most one sender may keep for one user)`
          : `${pairMax} of your messages wait for ${shown} already (the most kept from someone ${shown} has not written to)`,
      );
    }
    const added = charge.storeBytes + bodyBytes;
    const senderMax = standing.isNewcomer ? limits.maxStoredBytesPerNewcomer : limits.maxStoredBytesPerSender;
    if (this.senderBytes(charge.sender) + added > senderMax) {
      throw storeFull(`your messages waiting on this server fill your share of its store${standing.isNewcomer ? ' (small while your name is new here)' : ''}`);
    }
    if (charge.origin !== undefined && (this.origins.get(charge.origin)?.bytes ?? 0) + added > limits.maxStoredBytesPerAddress) {
      throw storeFull("the messages waiting from your address fill its share of the server's store");
    }
    if (this.total.bytes + added > limits.maxStoreBytes) {
      throw storeFull("the server's store for away users is full");
    }
  }

  /** Counts an entry in (`sign` 1) or out (`sign` -1). `bodyBytes`: a room message's one copy, counted once. */
  count(charge: StoreCharge, sign: 1 | -1, bodyBytes = 0): void {
    const bytes = sign * (charge.storeBytes + bodyBytes);
    add(this.mailboxes, charge.recipient, sign, sign * charge.mailboxBytes);
    add(this.pairs, pairKey(charge), sign, sign * charge.storeBytes);
    add(this.senders, charge.sender, sign, bytes);
    if (charge.origin !== undefined) add(this.origins, charge.origin, sign, bytes);
    this.total.count += sign;
    this.total.bytes += bytes;
  }

  /** Forgets a recipient's mailbox counters (recounted from the store by the caller). */
  resetMailbox(recipient: string): void {
    this.mailboxes.delete(recipient);
  }
}

function pairKey(charge: StoreCharge): string {
  return `${charge.recipient}\u0000${charge.sender}`;
}

function add(map: Map<string, Usage>, key: string, count: number, bytes: number): void {
  let usage = map.get(key);
  if (usage === undefined) {
    usage = { count: 0, bytes: 0 };
    map.set(key, usage);
  }
  usage.count += count;
  usage.bytes += bytes;
  if (usage.count <= 0 && usage.bytes <= 0) map.delete(key);
}
