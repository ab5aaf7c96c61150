// What the server keeps across restarts: each registered name bound to its identity key, and the
// sealed envelopes waiting for users who are away (protocol v4). It never holds a plaintext: a
// stored message is the envelope its sender sealed. Per-recipient and total bounds are checked
// before a write, and every write resolves only once committed, so "stored" in an ack means it.
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Envelope, OneTimePrekey } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { randomBytes } from 'node:crypto';
import { type Key, type KeyValue, isSharedKeyValue } from './key-value.js';

export interface Registration {
  readonly name: string;
  /** SPKI DER, base64; the fingerprint is its SHA-256. */
  readonly publicKey: string;
  readonly fingerprint: string;
  /** The signed prekey the user last announced: sessions with them start from it while they are away. */
  readonly prekey: string;
  readonly prekeySig: string;
  /** The version of the key and prekey presence announces (absent in registrations from before it was kept). */
  readonly keyId?: string;
  readonly registeredAt: number;
  readonly lastSeenAt: number;
}

export interface StoredDelivery {
  /** Order in the mailbox: microseconds since the epoch, made unique and increasing per server. */
  readonly seq: number;
  /** The server that stored it (random per process): with seq, unique when nodes share the store. */
  readonly tag: string;
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly storedAt: number;
  /** Bytes counted against the bounds (the envelope as JSON). */
  readonly bytes: number;
}

/** News for a sender about a message it sent, kept while the sender is away. */
export interface SenderNote {
  readonly id: string;
  readonly name: string;
  readonly state: 'delivered' | 'expired' | 'refused';
  readonly reason?: string;
}

export interface StoreLimits {
  /** Messages kept for one away user. */
  readonly maxStoredPerUser: number;
  readonly maxStoredBytesPerUser: number;
  /** Bytes of stored messages for everyone together. */
  readonly maxStoreBytes: number;
  /** How long a stored message waits before it expires (its sender is told). */
  readonly retentionMs: number;
  /** A registration unused this long is released, so the name can be taken again. */
  readonly registrationTtlMs: number;
}

/** News kept per away sender; past it the oldest go (the client also resends what it never heard about). */
const MAX_NOTES_PER_SENDER = 5000;

interface Mailbox {
  count: number;
  bytes: number;
  nextSeq: number;
}

export class StoreWriteError extends ChatError {}

export class DurableStore {
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly noteSeq = new Map<string, number>();
  private totalBytes = 0;
  private totalMessages = 0;
  /** Registered names by name key: read on every room message, so kept in memory. */
  private readonly names = new Map<string, string>();

  private readonly tag = randomBytes(4).toString('hex');
  /** One-time prekeys handed out whose removal is not committed yet ("name key\0id"). */
  private readonly takenPrekeys = new Set<string>();
  /** Told when another node stored something for a recipient (a shared store). */
  private waitingListener: ((recipient: string) => void) | undefined;

  constructor(
    private readonly kv: KeyValue,
    private limits: StoreLimits,
  ) {
    for (const { value } of kv.range<Registration>(['r'])) this.names.set(nameKey(value.name), value.name);
    for (const { key, value } of kv.range<StoredDelivery>(['m'])) {
      const box = this.mailbox(String(key[1]));
      box.count++;
      box.bytes += value.bytes;
      box.nextSeq = Math.max(box.nextSeq, value.seq + 1);
      this.totalBytes += value.bytes;
      this.totalMessages++;
    }
    if (isSharedKeyValue(kv)) kv.onChange((key) => this.changedElsewhere(key));
    for (const { key } of kv.range(['n'])) {
      const sender = String(key[1]);
      this.noteSeq.set(sender, Math.max(this.noteSeq.get(sender) ?? 0, Number(key[2]) + 1));
    }
  }

  /** True when what is stored survives a restart (LMDB); false for the in-memory engine. */
  get durable(): boolean {
    return this.kv.durable;
  }

  get stats(): { readonly messages: number; readonly bytes: number; readonly registrations: number } {
    return { messages: this.totalMessages, bytes: this.totalBytes, registrations: this.names.size };
  }

  /** Every registered name, as registered. */
  registeredNames(): string[] {
    return [...this.names.values()];
  }

  reconfigure(limits: StoreLimits): void {
    this.limits = limits;
  }

  // ---- registrations ---------------------------------------------------------------------------

  /** Read from the store itself, not a cache: `serve release-name` may have run beside this server. */
  registration(name: string): Registration | undefined {
    return this.kv.get<Registration>(['r', nameKey(name)]);
  }

  registrations(): Registration[] {
    return [...this.kv.range<Registration>(['r'])].map((entry) => entry.value);
  }

  /** Binds the name to this key (first join), or refreshes the prekey and last-seen time. */
  async register(registration: Registration): Promise<void> {
    this.names.set(nameKey(registration.name), registration.name);
    await this.kv.put(['r', nameKey(registration.name)], registration);
  }

  /**
   * Releases a name: its registration and the messages waiting for it go, and each of their senders
   * is told (when they next connect) that it was not delivered. Returns false if it was not registered.
   */
  async release(name: string): Promise<boolean> {
    const registration = this.registration(name);
    if (registration === undefined) return false;
    this.names.delete(nameKey(name));
    await this.kv.remove(['r', nameKey(name)]);
    for (const { key } of [...this.kv.range(['o', nameKey(name)])]) await this.kv.remove(key);
    for (const delivery of this.waiting(name)) {
      await this.forget(name, delivery.seq, delivery.tag);
      await this.note(delivery.from, {
        id: delivery.envelope.id,
        name: registration.name,
        state: 'refused',
        reason: `the name ${registration.name} was released on this server before they came back`,
      });
    }
    return true;
  }

  // ---- one-time prekeys ------------------------------------------------------------------------
  // Keys ['o', name key, id]: the public halves a user uploaded, handed out one per bundle. Two
  // nodes of a cluster taking at the same moment may hand out the same one; the second session
  // started from it then does not open, and its sender is told (a rare race, left as is).

  /** How many one-time prekeys wait for this user (not counting those being taken). */
  oneTimePrekeyCount(name: string): number {
    let count = 0;
    for (const { value } of this.kv.range<OneTimePrekey>(['o', nameKey(name)])) if (!this.takenPrekeys.has(`${nameKey(name)}\u0000${value.id}`)) count++;
    return count;
  }

  /** Keeps uploaded one-time prekeys, up to `max` per user (the rest are ignored); returns how many are held now. */
  async addOneTimePrekeys(name: string, keys: readonly OneTimePrekey[], max: number): Promise<number> {
    let held = this.oneTimePrekeyCount(name);
    for (const key of keys) {
      if (held >= max) break;
      if (this.kv.get(['o', nameKey(name), key.id]) !== undefined) continue;
      await this.kv.put(['o', nameKey(name), key.id], key);
      held++;
    }
    return held;
  }

  /** Hands out one of the user's one-time prekeys, once: it is deleted as it is taken. */
  async takeOneTimePrekey(name: string): Promise<OneTimePrekey | undefined> {
    for (const { key, value } of [...this.kv.range<OneTimePrekey>(['o', nameKey(name)])]) {
      const id = `${nameKey(name)}\u0000${value.id}`;
      if (this.takenPrekeys.has(id)) continue;
      // Until the removal is committed, `takenPrekeys` keeps this process from handing it out twice.
      this.takenPrekeys.add(id);
      if (!isSharedKeyValue(this.kv)) {
        // Alone, this process is the only one handing keys out: removed in the background.
        void this.kv
          .remove(key)
          .catch(() => {})
          .finally(() => this.takenPrekeys.delete(id));
        return value;
      }
      // On a cluster another node may take the same key at the same moment: the bucket decides,
      // and the loser tries the next one.
      const won = await this.kv.take(key).finally(() => this.takenPrekeys.delete(id));
      if (won) return value;
    }
    return undefined;
  }

  // ---- stored messages -------------------------------------------------------------------------

  /**
   * Keeps an envelope for an away recipient. Throws StoreWriteError: STORE_FULL when a bound would
   * be passed (nothing is evicted to make room: older messages were promised already), STORE_FAILED
   * when the write itself failed (a disk error).
   */
  async store(recipient: string, delivery: Omit<StoredDelivery, 'seq' | 'tag' | 'bytes'>): Promise<StoredDelivery> {
    const key = nameKey(recipient);
    const box = this.mailbox(key);
    const bytes = JSON.stringify(delivery.envelope).length;
    if (box.count >= this.limits.maxStoredPerUser) {
      throw new StoreWriteError(ErrorCode.STORE_FULL, `${recipient} has ${box.count} messages waiting already (the most the server keeps for one user)`);
    }
    if (box.bytes + bytes > this.limits.maxStoredBytesPerUser) {
      throw new StoreWriteError(ErrorCode.STORE_FULL, `the messages waiting for ${recipient} fill their share of the server's store`);
    }
    if (this.totalBytes + bytes > this.limits.maxStoreBytes) {
      throw new StoreWriteError(ErrorCode.STORE_FULL, "the server's store for away users is full");
    }
    const seq = Math.max(Date.now() * 1000, box.nextSeq);
    box.nextSeq = seq + 1;
    const stored: StoredDelivery = { ...delivery, seq, tag: this.tag, bytes };
    // Counted before the write resolves, so writes of one turn cannot together pass a bound.
    box.count++;
    box.bytes += bytes;
    this.totalBytes += bytes;
    this.totalMessages++;
    try {
      await this.kv.put(['m', key, stored.seq, stored.tag], stored);
    } catch (error) {
      box.count--;
      box.bytes -= bytes;
      this.totalBytes -= bytes;
      this.totalMessages--;
      const why = error instanceof Error ? error.message : String(error);
      throw new StoreWriteError(ErrorCode.STORE_FAILED, `the server could not write it to its store (${why.slice(0, 80)})`, { cause: error });
    }
    return stored;
  }

  /** What waits for this user, oldest first. */
  waiting(recipient: string, afterSeq = -1, limit = Number.POSITIVE_INFINITY): StoredDelivery[] {
    const out: StoredDelivery[] = [];
    if ((this.mailboxes.get(nameKey(recipient))?.count ?? 0) === 0) return out;
    for (const { value } of this.kv.range<StoredDelivery>(['m', nameKey(recipient)])) {
      if (value.seq <= afterSeq) continue;
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  hasWaiting(recipient: string): boolean {
    return (this.mailboxes.get(nameKey(recipient))?.count ?? 0) > 0;
  }

  /** The recipient kept it (or it expired): delete it. */
  async forget(recipient: string, seq: number, tag: string): Promise<StoredDelivery | undefined> {
    const key = nameKey(recipient);
    const stored = this.kv.get<StoredDelivery>(['m', key, seq, tag]);
    if (stored === undefined) return undefined;
    const box = this.mailbox(key);
    box.count--;
    box.bytes -= stored.bytes;
    this.totalBytes -= stored.bytes;
    this.totalMessages--;
    await this.kv.remove(['m', key, seq, tag]);
    return stored;
  }

  // ---- news for away senders -------------------------------------------------------------------

  async note(sender: string, note: SenderNote): Promise<void> {
    const key = nameKey(sender);
    const seq = this.noteSeq.get(key) ?? 0;
    this.noteSeq.set(key, seq + 1);
    await this.kv.put(['n', key, seq], note);
    if (seq >= MAX_NOTES_PER_SENDER) await this.kv.remove(['n', key, seq - MAX_NOTES_PER_SENDER]);
  }

  /** The news kept for a sender, oldest first; they are deleted as they are handed over. */
  async takeNotes(sender: string): Promise<SenderNote[]> {
    const entries = [...this.kv.range<SenderNote>(['n', nameKey(sender)])];
    await Promise.all(entries.map((entry) => this.kv.remove(entry.key)));
    return entries.map((entry) => entry.value);
  }

  // ---- ageing ------------------------------------------------------------------------------------

  /**
   * Deletes stored messages older than the retention time and registrations unused for longer
   * than their time to live (skipping `online` names). Returns the expired messages, for their senders.
   */
  async expire(now: number, online: (name: string) => boolean): Promise<Array<{ recipient: string; delivery: StoredDelivery }>> {
    const expired: Array<{ recipient: string; delivery: StoredDelivery }> = [];
    for (const { key, value } of [...this.kv.range<StoredDelivery>(['m'])]) {
      if (now - value.storedAt < this.limits.retentionMs) continue;
      const recipient = String(key[1]);
      await this.forget(recipient, value.seq, value.tag);
      expired.push({ recipient, delivery: value });
    }
    // Catch up with `serve release-name` run beside a live server.
    const registrations = this.registrations();
    this.names.clear();
    for (const registration of registrations) this.names.set(nameKey(registration.name), registration.name);
    for (const registration of registrations) {
      if (now - registration.lastSeenAt >= this.limits.registrationTtlMs && !online(registration.name)) await this.release(registration.name);
    }
    return expired;
  }

  close(): Promise<void> {
    return this.kv.close();
  }

  /** Calls `listener` when another node stored something for a recipient (so an online one gets it now). */
  onWaiting(listener: (recipient: string) => void): void {
    this.waitingListener = listener;
  }

  /** Another node wrote to the shared store: recount that mailbox, or refresh that registration. */
  private changedElsewhere(key: Key): void {
    if (key[0] === 'r') {
      const registration = this.kv.get<Registration>(key);
      if (registration === undefined) this.names.delete(String(key[1]));
      else this.names.set(String(key[1]), registration.name);
      return;
    }
    if (key[0] !== 'm') return;
    const recipient = String(key[1]);
    const box = this.mailbox(recipient);
    const before = { count: box.count, bytes: box.bytes };
    box.count = 0;
    box.bytes = 0;
    for (const { value } of this.kv.range<StoredDelivery>(['m', recipient])) {
      box.count++;
      box.bytes += value.bytes;
      box.nextSeq = Math.max(box.nextSeq, value.seq + 1);
    }
    this.totalMessages += box.count - before.count;
    this.totalBytes += box.bytes - before.bytes;
    if (box.count > before.count) this.waitingListener?.(recipient);
  }

  private mailbox(key: string): Mailbox {
    let box = this.mailboxes.get(key);
    if (box === undefined) {
      box = { count: 0, bytes: 0, nextSeq: 0 };
      this.mailboxes.set(key, box);
    }
    return box;
  }
}
