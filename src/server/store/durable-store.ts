// What the server keeps across restarts: each registered name bound to its identity key, the
// sealed envelopes waiting for users who are away (protocol v4, StoredMessages), one-time prekeys
// (OneTimePrekeyPool), and who wrote to whom. It never holds a plaintext: a stored message is the
// envelope its sender sealed. Every share (StoreShares) is checked before a write, and every write
// resolves only once committed, so "stored" in an ack means it.
import { LRUCache } from 'lru-cache';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { OneTimePrekey } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { createHmac, randomBytes } from 'node:crypto';
import { type Key, type KeyValue, isSharedKeyValue } from './key-value.js';
import { OneTimePrekeyPool } from './one-time-prekey-pool.js';
import { RegistrationIndex } from './registration-index.js';
import type { StoreWriteError } from './store-errors.js';
import type { ServerLimits } from '../server-limits.js';
import type { SenderStanding, StoreShareLimits } from './store-shares.js';
import { type StoreRequest, type StoredDelivery, StoredMessages } from './stored-messages.js';

export { StoreWriteError } from './store-errors.js';
export type { StoredDelivery } from './stored-messages.js';

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
  /** A keyed hash of the address it was first registered from (see originOf); absent in older registrations. */
  readonly origin?: string;
  /** Sessions joined under it (absent in older registrations: counted as used). */
  readonly joins?: number;
}

/** News for a sender about a message it sent, kept while the sender is away. */
export interface SenderNote {
  readonly id: string;
  readonly name: string;
  readonly state: 'delivered' | 'expired' | 'refused' | 'held' | 'discarded';
  readonly reason?: string;
}

/** What the store is bounded by, as `tui-chat serve` sets it (each field's reason is in ServerLimits). */
export type StoreLimits = StoreShareLimits &
  Pick<ServerLimits, 'retentionMs' | 'registrationTtlMs' | 'unusedRegistrationTtlMs' | 'newcomerMs' | 'maxNamesPerKey' | 'maxNamesPerAddress'>;

/** The name could not be registered: this key or address has taken its share of names. */
export class NameLimitError extends ChatError {}

/** Addresses whose hash is remembered at once (originOf). */
const MAX_ORIGINS_CACHED = 10_000;

/** News kept per away sender; past it the oldest go (the client also resends what it never heard about). */
const MAX_NOTES_PER_SENDER = 5000;

export class DurableStore {
  private readonly noteSeq = new Map<string, number>();
  /** Registered names and what each hello asks of them: kept in memory, read on every room message. */
  private readonly names = new RegistrationIndex();
  /** "recipient\0sender" name keys: the recipient wrote a DM to the sender (who then is no stranger to them). */
  private readonly contacts = new Set<string>();
  private readonly messages: StoredMessages;
  private readonly prekeys: OneTimePrekeyPool;
  /** Addresses hashed lately (see originOf). */
  private readonly origins = new LRUCache<string, string>({ max: MAX_ORIGINS_CACHED });
  /** Keys the address hashes of this store (kept in it, so a restart counts the same addresses alike). */
  private readonly originKey: Buffer;

  private readonly tag = randomBytes(4).toString('hex');
  /** Told when another node stored something for a recipient (a shared store). */
  private waitingListener: ((recipient: string) => void) | undefined;

  constructor(
    private readonly kv: KeyValue,
    private limits: StoreLimits,
  ) {
    for (const { value } of kv.range<Registration>(['r'])) this.names.add(value);
    this.messages = new StoredMessages(kv, limits, this.tag);
    this.prekeys = new OneTimePrekeyPool(kv);
    if (isSharedKeyValue(kv)) kv.onChange((key) => this.changedElsewhere(key));
    for (const { key } of kv.range(['n'])) {
      const sender = String(key[1]);
      this.noteSeq.set(sender, Math.max(this.noteSeq.get(sender) ?? 0, Number(key[2]) + 1));
    }
    for (const { key } of kv.range(['c'])) this.contacts.add(`${String(key[1])}\u0000${String(key[2])}`);
    const saved = kv.get<string>(['k', 'origin']);
    this.originKey = saved === undefined ? randomBytes(32) : Buffer.from(saved, 'base64');
    if (saved === undefined) void kv.put(['k', 'origin'], this.originKey.toString('base64')).catch(() => {});
  }

  /** True when what is stored survives a restart (LMDB); false for the in-memory engine. */
  get durable(): boolean {
    return this.kv.durable;
  }

  get stats(): { readonly messages: number; readonly bytes: number; readonly registrations: number } {
    return { messages: this.messages.shares.messages, bytes: this.messages.shares.bytes, registrations: this.names.size };
  }

  /** Every registered name, as registered. */
  registeredNames(): string[] {
    return this.names.spellings();
  }

  reconfigure(limits: StoreLimits): void {
    this.limits = limits;
    this.messages.shares.reconfigure(limits);
  }

  /**
   * What an address is known as in the store: a keyed hash, so the store counts what one address
   * registers and keeps without holding the addresses themselves.
   */
  originOf(address: string): string {
    let origin = this.origins.get(address);
    if (origin === undefined) {
      origin = createHmac('sha256', this.originKey).update(address).digest('base64url').slice(0, 16);
      // An HMAC per stored message showed on the store path: the addresses in use are remembered.
      this.origins.set(address, origin);
    }
    return origin;
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
    this.names.add(registration);
    await this.kv.put(['r', nameKey(registration.name)], registration);
  }

  /**
   * Throws NameLimitError (NAME_LIMIT) when a new registration of `name` by this key from this
   * address would pass a share: names per key, or names registered from one address in a day.
   */
  checkNewRegistration(fingerprint: string, origin: string, now = Date.now()): void {
    if (this.names.namesOfKey(fingerprint) >= this.limits.maxNamesPerKey) {
      throw new NameLimitError(
        ErrorCode.NAME_LIMIT,
        `your key holds ${this.limits.maxNamesPerKey} name${this.limits.maxNamesPerKey === 1 ? '' : 's'} on this server already (the most one key may); join under ${this.limits.maxNamesPerKey === 1 ? 'it' : 'one of them'}`,
      );
    }
    if (this.names.recentFromOrigin(origin, now) >= this.limits.maxNamesPerAddress) {
      throw new NameLimitError(
        ErrorCode.NAME_LIMIT,
        `${this.limits.maxNamesPerAddress} names were registered from your address today (the most a day); try again tomorrow`,
      );
    }
  }

  /** A registered name other than `name` that reads like it (aIice beside alice), if any. */
  registeredLookalike(name: string): string | undefined {
    return this.names.lookalikeOf(name);
  }

  /** Who `sender` is to `recipient` for the store's shares (a named room shared is told by the caller). */
  standingOf(recipient: string, sender: string, sharesRoom: boolean, now = Date.now()): SenderStanding {
    const registeredAt = this.names.registeredAt(sender);
    return {
      isContact: sharesRoom || this.contacts.has(`${nameKey(recipient)}\u0000${nameKey(sender)}`),
      isNewcomer: registeredAt === undefined || now - registeredAt < this.limits.newcomerMs,
    };
  }

  /** `from` wrote a DM to `to`: from now on `to` is no stranger to `from` (kept, once). */
  noteContact(from: string, to: string): void {
    const key = `${nameKey(from)}\u0000${nameKey(to)}`;
    if (this.contacts.has(key)) return;
    this.contacts.add(key);
    void this.kv.put(['c', nameKey(from), nameKey(to)], 1).catch(() => this.contacts.delete(key));
  }

  /**
   * Releases a name: its registration and the messages waiting for it go, and each of their senders
   * is told (when they next connect) that it was not delivered. Returns false if it was not registered.
   */
  async release(name: string): Promise<boolean> {
    const registration = this.registration(name);
    if (registration === undefined) return false;
    this.names.remove(name);
    await this.kv.remove(['r', nameKey(name)]);
    await this.prekeys.removeAll(name);
    for (const { key } of [...this.kv.range(['c', nameKey(name)])]) await this.kv.remove(key);
    for (const contact of [...this.contacts]) if (contact.startsWith(`${nameKey(name)}\u0000`)) this.contacts.delete(contact);
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

  // ---- one-time prekeys (OneTimePrekeyPool) ---------------------------------------------------

  /** How many one-time prekeys wait for this user (not counting those being taken), counted up to `atMost`. */
  oneTimePrekeyCount(name: string, atMost?: number): number {
    return this.prekeys.count(name, atMost);
  }

  /** Keeps uploaded one-time prekeys, up to `max` per user (the rest are ignored); returns how many are held now. */
  addOneTimePrekeys(name: string, keys: readonly OneTimePrekey[], max: number): Promise<number> {
    return this.prekeys.add(name, keys, max);
  }

  /** Hands out one of the user's one-time prekeys, once: it is deleted as it is taken. */
  takeOneTimePrekey(name: string): Promise<OneTimePrekey | undefined> {
    return this.prekeys.take(name);
  }

  // ---- stored messages (StoredMessages) --------------------------------------------------------

  /**
   * Keeps an envelope for an away recipient. Throws StoreWriteError: STORE_FULL when a share
   * would be passed (nothing is evicted to make room: older messages were promised already),
   * STORE_FAILED when the write itself failed (a disk error).
   */
  async store(recipient: string, request: StoreRequest, standing: SenderStanding = { isContact: true, isNewcomer: false }): Promise<void> {
    const outcome = await this.messages.store([{ name: recipient, standing }], request);
    const error = outcome.get(recipient);
    if (error !== undefined) throw error;
  }

  /** Keeps one copy of a room message for all these away members; per member, undefined (stored) or why not. */
  storeForAll(
    recipients: ReadonlyArray<{ readonly name: string; readonly standing: SenderStanding }>,
    request: StoreRequest,
  ): Promise<Map<string, StoreWriteError | undefined>> {
    return this.messages.store(recipients, request);
  }

  /** What waits for this user, oldest first. */
  waiting(recipient: string, afterSeq = -1, limit = Number.POSITIVE_INFINITY): StoredDelivery[] {
    return this.messages.waiting(recipient, afterSeq, limit);
  }

  hasWaiting(recipient: string): boolean {
    return this.messages.hasWaiting(recipient);
  }

  /** The recipient kept it (or it expired): delete it. */
  forget(recipient: string, seq: number, tag: string): Promise<StoredDelivery | undefined> {
    return this.messages.forget(recipient, seq, tag);
  }

  /** Bytes a sender keeps in the store now. */
  senderBytes(sender: string): number {
    return this.messages.shares.senderBytes(nameKey(sender));
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
    for (const entry of this.messages.entries()) {
      if (now - entry.storedAt < this.limits.retentionMs) continue;
      const delivery = await this.forget(entry.recipient, entry.seq, entry.tag);
      if (delivery !== undefined) expired.push({ recipient: entry.recipient, delivery });
    }
    await this.messages.sweepBodies();
    await this.prekeys.expire(now);
    // Catch up with `serve release-name` run beside a live server.
    const registrations = this.registrations();
    this.names.clear();
    for (const registration of registrations) this.names.add(registration);
    for (const registration of registrations) {
      if (online(registration.name)) continue;
      const unused = now - registration.lastSeenAt;
      // Joined once and never again: a name someone took and left (or made by the hundred) goes sooner.
      const ttl = (registration.joins ?? 2) <= 1 ? this.limits.unusedRegistrationTtlMs : this.limits.registrationTtlMs;
      if (unused >= ttl) await this.release(registration.name);
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

  /** Another node wrote to the shared store: count that mailbox entry, or refresh that registration. */
  private changedElsewhere(key: Key): void {
    if (key[0] === 'r') {
      const registration = this.kv.get<Registration>(key);
      if (registration === undefined) this.names.remove(String(key[1]));
      else this.names.add(registration);
      return;
    }
    if (key[0] === 'm' && this.messages.changedElsewhere(key)) this.waitingListener?.(String(key[1]));
  }
}
