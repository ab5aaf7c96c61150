// The sealed envelopes waiting for users who are away, in the server's store. A DM is kept as one
// entry in its recipient's mailbox. A room (or lobby) message is kept once, however many members
// are away: one body, and in each away member's mailbox a small reference to it, so fanning a
// message out to a room cannot multiply an upload (200 away members once made 5 MiB fill 1 GiB).
// Every entry is charged to the shares in StoreShares before it is written.
import { ErrorCode } from '../../core/errors.js';
import type { Envelope } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { type Key, type KeyValue, isSharedKeyValue } from './key-value.js';
import { StoreWriteError } from './store-errors.js';
import { type SenderStanding, type StoreCharge, StoreShares, type StoreShareLimits } from './store-shares.js';

/** What a reference to a room message's one copy costs the store (its key and fields), in bytes. */
export const REFERENCE_BYTES = 96;

export interface StoredDelivery {
  /** Order in the mailbox: microseconds since the epoch, made unique and increasing per server. */
  readonly seq: number;
  /** The server that stored it (random per process): with seq, unique when nodes share the store. */
  readonly tag: string;
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly storedAt: number;
  /** Bytes counted against the recipient's mailbox (the envelope as JSON). */
  readonly bytes: number;
}

/** A mailbox entry: a whole envelope (DMs), or a reference to a room message's body (`envelope` absent). */
interface MailboxEntry {
  readonly seq: number;
  readonly tag: string;
  readonly from: string;
  readonly to: string | null;
  readonly envelope?: Envelope;
  readonly storedAt: number;
  readonly bytes: number;
  /** A hash of the address the sender sent it from (see DurableStore.originOf); absent for relays from other nodes. */
  readonly origin?: string;
}

/** A room message's one copy, at ['b', seq, tag]; mailboxes refer to it by the same seq and tag. */
interface Body {
  readonly from: string;
  readonly envelope: Envelope;
  readonly bytes: number;
  readonly origin?: string;
}

export interface StoreRequest {
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly storedAt: number;
  readonly origin?: string;
  /** The envelope as the router serialized it (for its frames and relays): counted, not made again. */
  readonly envelopeJson?: string;
}

export class StoredMessages {
  readonly shares: StoreShares;
  /** References to each body held in this process's count ("seq\0tag"): the body goes with the last one. */
  private readonly references = new Map<string, number>();
  /** On a shared store, what was counted for each mailbox entry, so another node's change is counted exactly once. */
  private readonly counted = new Map<string, StoreCharge>();
  private nextSeq = 0;

  constructor(
    private readonly kv: KeyValue,
    limits: StoreShareLimits,
    private readonly tag: string,
  ) {
    this.shares = new StoreShares(limits);
    for (const { key, value } of kv.range<MailboxEntry>(['m'])) this.countIn(key, value);
  }

  /**
   * Keeps one envelope for each of `recipients` (a DM: one; a room: the away members), the envelope
   * stored once. Resolves per recipient to undefined (stored, on disk) or the StoreWriteError
   * that refused or failed it.
   */
  async store(
    recipients: ReadonlyArray<{ readonly name: string; readonly standing: SenderStanding }>,
    request: StoreRequest,
  ): Promise<Map<string, StoreWriteError | undefined>> {
    const outcome = new Map<string, StoreWriteError | undefined>();
    const bytes = (request.envelopeJson ?? JSON.stringify(request.envelope)).length;
    const shared = recipients.length > 1;
    const seq = this.takeSeq();
    const sender = nameKey(request.from);
    const accepted: Array<{ name: string; charge: StoreCharge }> = [];
    // The body is charged with the first reference that fits; later ones cost a reference each.
    let bodyCharged = !shared;
    for (const { name, standing } of recipients) {
      const charge: StoreCharge = {
        recipient: nameKey(name),
        sender,
        ...(request.origin === undefined ? {} : { origin: request.origin }),
        mailboxBytes: bytes,
        storeBytes: shared ? REFERENCE_BYTES : bytes,
        isReference: shared,
      };
      try {
        this.shares.check(charge, standing, name, bodyCharged ? 0 : bytes);
      } catch (error) {
        outcome.set(name, error as StoreWriteError);
        continue;
      }
      // Counted before the write resolves, so writes of one turn cannot together pass a bound.
      this.shares.count(charge, 1, bodyCharged ? 0 : bytes);
      bodyCharged = true;
      accepted.push({ name, charge });
    }
    if (accepted.length === 0) return outcome;
    const body = shared ? bodyKey(seq, this.tag) : undefined;
    try {
      const writes: Array<Promise<void>> = [];
      if (body !== undefined) {
        this.references.set(referenceOf(seq, this.tag), accepted.length);
        writes.push(this.kv.put(body, { from: request.from, envelope: request.envelope, bytes, ...originField(request.origin) } satisfies Body));
      }
      for (const { charge } of accepted) {
        const entry: MailboxEntry = {
          seq,
          tag: this.tag,
          from: request.from,
          to: request.to,
          ...(shared ? {} : { envelope: request.envelope }),
          storedAt: request.storedAt,
          bytes,
          ...originField(request.origin),
        };
        const key = ['m', charge.recipient, seq, this.tag];
        if (isSharedKeyValue(this.kv)) this.counted.set(JSON.stringify(key), charge);
        writes.push(this.kv.put(key, entry));
      }
      // One write (a DM) needs no Promise.all around it.
      await (writes.length === 1 ? writes[0] : Promise.all(writes));
    } catch (error) {
      // A failed transaction kept none of it: uncount everything and say so for each.
      accepted.forEach(({ charge }, i) => {
        this.shares.count(charge, -1, shared && i === 0 ? bytes : 0);
        this.counted.delete(JSON.stringify(['m', charge.recipient, seq, this.tag]));
      });
      this.references.delete(referenceOf(seq, this.tag));
      const why = error instanceof Error ? error.message : String(error);
      const failed = new StoreWriteError(ErrorCode.STORE_FAILED, `the server could not write it to its store (${why.slice(0, 80)})`, { cause: error });
      for (const { name } of accepted) outcome.set(name, failed);
      return outcome;
    }
    for (const { name } of accepted) outcome.set(name, undefined);
    return outcome;
  }

  /** What waits for this user, oldest first. */
  waiting(recipient: string, afterSeq = -1, limit = Number.POSITIVE_INFINITY): StoredDelivery[] {
    const out: StoredDelivery[] = [];
    if (!this.hasWaiting(recipient)) return out;
    for (const { value } of this.kv.range<MailboxEntry>(['m', nameKey(recipient)])) {
      if (value.seq <= afterSeq) continue;
      const delivery = this.resolve(value);
      if (delivery === undefined) continue;
      out.push(delivery);
      if (out.length >= limit) break;
    }
    return out;
  }

  hasWaiting(recipient: string): boolean {
    return this.shares.mailbox(nameKey(recipient)).count > 0;
  }

  /** Every entry, for the retention sweep: [recipient key, entry]. */
  *entries(): Iterable<{ readonly recipient: string; readonly seq: number; readonly tag: string; readonly storedAt: number }> {
    for (const { key, value } of [...this.kv.range<MailboxEntry>(['m'])])
      yield { recipient: String(key[1]), seq: value.seq, tag: value.tag, storedAt: value.storedAt };
  }

  /** The recipient kept it (or it expired): delete it, and the body with its last reference. */
  async forget(recipient: string, seq: number, tag: string): Promise<StoredDelivery | undefined> {
    const key = ['m', nameKey(recipient), seq, tag];
    const entry = this.kv.get<MailboxEntry>(key);
    if (entry === undefined) return undefined;
    const delivery = this.resolve(entry);
    const isLastReference = entry.envelope === undefined && (this.references.get(referenceOf(seq, tag)) ?? 0) <= 1;
    this.countOut(key, entry);
    const removals = [this.kv.remove(key)];
    // A shared store's bodies are swept (sweepBodies): other nodes hold references this one cannot count.
    if (isLastReference && !isSharedKeyValue(this.kv)) removals.push(this.kv.remove(bodyKey(seq, tag)));
    await Promise.all(removals);
    return delivery;
  }

  /** Deletes bodies no mailbox refers to any more (a shared store, where nodes cannot count each other's references). */
  async sweepBodies(): Promise<void> {
    if (!isSharedKeyValue(this.kv)) return;
    const referenced = new Set<string>();
    for (const { value } of this.kv.range<MailboxEntry>(['m'])) if (value.envelope === undefined) referenced.add(referenceOf(value.seq, value.tag));
    for (const { key } of [...this.kv.range(['b'])]) {
      if (!referenced.has(referenceOf(Number(key[1]), String(key[2])))) await this.kv.remove(key);
    }
  }

  /** Another node changed a mailbox entry of the shared store: counted in or out here; true when something new waits. */
  changedElsewhere(key: Key): boolean {
    const id = JSON.stringify(key);
    const value = this.kv.get<MailboxEntry>(key);
    const before = this.counted.get(id);
    if (value === undefined && before !== undefined) {
      this.counted.delete(id);
      this.shares.count(before, -1, this.bodyBytesOf(before, key));
      return false;
    }
    if (value !== undefined && before === undefined) {
      this.countIn(key, value);
      return true;
    }
    return false;
  }

  private resolve(entry: MailboxEntry): StoredDelivery | undefined {
    const envelope = entry.envelope ?? this.kv.get<Body>(bodyKey(entry.seq, entry.tag))?.envelope;
    if (envelope === undefined) return undefined;
    return { seq: entry.seq, tag: entry.tag, from: entry.from, to: entry.to, envelope, storedAt: entry.storedAt, bytes: entry.bytes };
  }

  private countIn(key: Key, entry: MailboxEntry): void {
    const charge = chargeOf(key, entry);
    const reference = referenceOf(entry.seq, entry.tag);
    let bodyBytes = 0;
    if (entry.envelope === undefined) {
      const held = this.references.get(reference) ?? 0;
      // The body is counted with its first reference seen.
      if (held === 0) bodyBytes = entry.bytes;
      this.references.set(reference, held + 1);
    }
    this.shares.count(charge, 1, bodyBytes);
    if (isSharedKeyValue(this.kv)) this.counted.set(JSON.stringify(key), charge);
    this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
  }

  private countOut(key: Key, entry: MailboxEntry): void {
    const charge = chargeOf(key, entry);
    this.counted.delete(JSON.stringify(key));
    this.shares.count(charge, -1, this.bodyBytesOf(charge, key, entry.bytes));
  }

  /** A reference's body bytes are uncounted with its last reference. */
  private bodyBytesOf(charge: StoreCharge, key: Key, bytes = charge.mailboxBytes): number {
    if (!charge.isReference) return 0;
    const reference = referenceOf(Number(key[2]), String(key[3]));
    const held = this.references.get(reference) ?? 0;
    if (held > 1) {
      this.references.set(reference, held - 1);
      return 0;
    }
    this.references.delete(reference);
    return bytes;
  }

  /** One sequence number per stored message, increasing: a room message's references share it. */
  private takeSeq(): number {
    const seq = Math.max(Date.now() * 1000, this.nextSeq);
    this.nextSeq = seq + 1;
    return seq;
  }
}

function chargeOf(key: Key, entry: MailboxEntry): StoreCharge {
  return {
    recipient: String(key[1]),
    sender: nameKey(entry.from),
    ...originField(entry.origin),
    mailboxBytes: entry.bytes,
    storeBytes: entry.envelope === undefined ? REFERENCE_BYTES : entry.bytes,
    isReference: entry.envelope === undefined,
  };
}

function originField(origin: string | undefined): { origin?: string } {
  return origin === undefined ? {} : { origin };
}

function bodyKey(seq: number, tag: string): Key {
  return ['b', seq, tag];
}

function referenceOf(seq: number, tag: string): string {
  return `${seq}\u0000${tag}`;
}
