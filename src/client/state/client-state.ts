// What a client keeps between connections and between runs (protocol v4): the E2E engine's state
// (sessions go on after a reconnect or a restart), the outbox (every message until each recipient
// has a final word: delivered, stored, expired or refused), messages held from a verified contact
// whose key changed, and the history of every conversation. The ids of everything received are
// kept with the history, so a message delivered twice (a retry, a server restart) is shown once.
// Without a path (tests, bots) all of it lives in memory only.
import { LRUCache } from 'lru-cache';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Identity } from '../../core/identity.js';
import type { DeliveryState, PeerSummary, SendMessage } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { receiveOnlySessions } from '../dm-sessions.js';
import type { EngineState } from '../e2e-engine.js';
import { OwedReceipts } from './owed-receipts.js';
import { finishRekey } from './state-rekey.js';
import { type JournalDamage, SealedJournal, SealedSnapshot, stateKey } from './sealed-files.js';

export interface RecipientState {
  readonly state: DeliveryState;
  readonly reason?: string;
}

/** A message the user sent (or queued), until every recipient has a final word. */
export interface OutgoingEntry {
  /** The message's envelope id once sealed; a local id while it waits to be sealed. */
  id: string;
  readonly to: string | null;
  readonly text: string;
  readonly createdAt: number;
  /** The id the user saw it under while it was queued offline (its line is updated in place). */
  readonly shownAs?: string;
  /** The sealed sends (key handovers first), kept so a retry resends the very same envelopes. */
  sends?: SendMessage[];
  /** Per envelope id, per recipient name. */
  recipients: Record<string, Record<string, RecipientState>>;
  /** The server acknowledged the message itself (its envelope, not a handover). */
  acked?: boolean;
  /** A receipt (text ''): the DMs of `to` it receipts. */
  readonly receiptFor?: readonly string[];
}

export interface HeldMessage {
  readonly id: string;
  readonly from: string;
  readonly to: string | null;
  readonly text: string;
  readonly ts: number;
}

export type HistoryRecord =
  | {
      readonly kind: 'in';
      readonly id: string;
      readonly from: string;
      readonly to: string | null;
      readonly text: string;
      readonly ts: number;
      readonly held?: boolean;
      /** A DM shown: its sender is owed an end-to-end receipt (see owed-receipts.ts). */
      readonly owesReceipt?: boolean;
    }
  | { readonly kind: 'out'; readonly id: string; readonly to: string | null; readonly text: string; readonly ts: number }
  /**
   * A received envelope with nothing to show (a key handover): remembered only to drop repeats.
   * `from` is absent in records written before ids were kept per sender.
   */
  | { readonly kind: 'seen'; readonly id: string; readonly from?: string; readonly ts: number };

/**
 * The final word on one of our lines, written to the journal when its outbox entry is pruned, so
 * the line shown from the history after a restart keeps its delivery mark. Not a HistoryRecord:
 * nothing to show or search of its own.
 */
interface SettledRecord {
  readonly kind: 'settled';
  /** The id the line is shown under. */
  readonly id: string;
  readonly ts: number;
  readonly recipients: Record<string, RecipientState>;
}

/** Receipts for these DMs of `from` have their final word from the server: no longer owed. */
interface ReceiptedRecord {
  readonly kind: 'receipted';
  readonly from: string;
  readonly ids: readonly string[];
  readonly ts: number;
}

type JournalRecord = HistoryRecord | SettledRecord | ReceiptedRecord;

interface Snapshot {
  readonly version: 1;
  readonly engine?: EngineState;
  readonly outbox: OutgoingEntry[];
  readonly held: HeldMessage[];
}

/** Users' key bundles by name key, each with the keyId it was for: a file of its own, written only when it changes. */
type KeyCache = Record<string, PeerSummary>;

export interface ClientStateOptions {
  /** History older than this is dropped when the client starts. Default 90 days. */
  readonly historyRetentionMs?: number;
}

/** Default client history retention: 90 days. */
export const DEFAULT_HISTORY_RETENTION_MS = 90 * 86_400_000;
/** Most entries in the outbox; past it the oldest settled ones go, then new sends are refused. */
export const MAX_OUTBOX = 2000;
/** Most messages held from contacts whose key changed. */
const MAX_HELD = 1000;
/** Most users whose keys are cached; past it the oldest cached go first. */
const MAX_BUNDLES = 20_000;

export class ClientState {
  engine: EngineState | undefined;
  readonly outbox: OutgoingEntry[];
  readonly held: HeldMessage[];
  /** End-to-end receipts owed for DMs shown, rebuilt from the files at open. */
  readonly owedReceipts = new OwedReceipts();
  /** Bounded: the longest unused go first. */
  private readonly bundles = new LRUCache<string, PeerSummary>({ max: MAX_BUNDLES });
  private bundlesChanged = false;
  private readonly records: HistoryRecord[];
  /** Final recipient states of our lines no longer in the outbox, by the id they are shown under. */
  private readonly settled = new Map<string, Record<string, RecipientState>>();
  /** Received ids, each with its sender (ids are the sender's own: another user's reuse of one is another message). */
  private readonly seen = new Set<string>();
  /** Ids of 'seen' records from before senders were kept with them. */
  private readonly seenWithoutSender = new Set<string>();
  private readonly unwritten: JournalRecord[] = [];
  /** Ids of the user's own lines in the history: each kept once (a queued line is sealed later under the same id). */
  private readonly ownIds = new Set<string>();
  /** What opening the history had to skip (damaged records), to tell the user once. */
  historyDamage: JournalDamage | undefined;

  private constructor(
    snapshot: Snapshot | undefined,
    keyCache: KeyCache | undefined,
    records: JournalRecord[],
    private readonly files:
      | { readonly snapshot: SealedSnapshot<Snapshot>; readonly keys: SealedSnapshot<KeyCache>; readonly journal: SealedJournal<JournalRecord> }
      | undefined,
  ) {
    this.engine = snapshot?.engine;
    this.outbox = snapshot?.outbox ?? [];
    this.held = snapshot?.held ?? [];
    // Written oldest first (see commit), so the order of use survives a restart.
    for (const [key, bundle] of Object.entries(keyCache ?? {})) this.bundles.set(key, bundle);
    this.records = [];
    for (const record of records) {
      if (record.kind === 'settled') {
        this.settled.set(record.id, record.recipients);
        continue;
      }
      if (record.kind === 'receipted') {
        this.owedReceipts.paid(record.from, record.ids);
        continue;
      }
      this.records.push(record);
      this.markSeen(record);
      if (record.kind === 'out') this.ownIds.add(record.id);
      if (record.kind === 'in' && record.owesReceipt === true) this.owedReceipts.owe(record.from, record.id);
    }
    // Receipts on their way are tracked in the outbox: not owed twice.
    for (const entry of this.outbox) if (entry.receiptFor !== undefined && entry.to !== null) this.owedReceipts.paid(entry.to, entry.receiptFor);
  }

  private markSeen(record: HistoryRecord): void {
    if (record.kind === 'out') return;
    if (record.from === undefined) this.seenWithoutSender.add(record.id);
    else this.seen.add(seenKey(record.from, record.id));
  }

  static inMemory(): ClientState {
    return new ClientState(undefined, undefined, [], undefined);
  }

  /** Opens (or starts) the files `<base>.state`, `<base>.keys` and `<base>.history`. Throws StateFileError naming a damaged file. */
  static open(base: string, identity: Identity, options: ClientStateOptions = {}): ClientState {
    // A key rotation a crash cut short is finished (or undone) first.
    finishRekey(base, identity);
    const key = stateKey(identity);
    const snapshot = new SealedSnapshot<Snapshot>(`${base}.state`, key);
    const keys = new SealedSnapshot<KeyCache>(`${base}.keys`, key);
    const journal = new SealedJournal<JournalRecord>(`${base}.history`, key);
    const saved = snapshot.load();
    const all = journal.readAll();
    const cutoff = Date.now() - (options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS);
    // Expired history goes, and a line of one's own kept twice (older versions wrote a queued line
    // again when it was sent) is kept once.
    const own = new Set<string>();
    const kept = all.filter((record) => {
      if (record.ts < cutoff) return false;
      if (record.kind !== 'out') return true;
      if (own.has(record.id)) return false;
      own.add(record.id);
      return true;
    });
    if (kept.length < all.length) journal.rewrite(kept);
    const state = new ClientState(saved, keys.load(), kept, { snapshot, keys, journal });
    state.historyDamage = journal.damage;
    return state;
  }

  /** Every message shown before, oldest first (sent and received). */
  history(): readonly HistoryRecord[] {
    return this.records;
  }

  /** True when this sender's envelope with this id was received before. */
  hasSeen(from: string, id: string): boolean {
    return this.seen.has(seenKey(from, id)) || this.seenWithoutSender.has(id);
  }

  /** Records a received envelope (shown or not); written at the next commit(). */
  remember(record: HistoryRecord): void {
    if (record.kind === 'out') {
      // A line queued offline is remembered when typed, then sealed and sent under the same id.
      if (this.ownIds.has(record.id)) return;
      this.ownIds.add(record.id);
    }
    this.markSeen(record);
    if (record.kind === 'in' && record.owesReceipt === true) this.owedReceipts.owe(record.from, record.id);
    this.records.push(record);
    this.unwritten.push(record);
  }

  /** Texts matching `query` (case-insensitive), newest first. */
  search(query: string, limit = 50): HistoryRecord[] {
    const needle = query.toLowerCase();
    const out: HistoryRecord[] = [];
    for (let i = this.records.length - 1; i >= 0 && out.length < limit; i--) {
      const record = this.records[i]!;
      if (record.kind !== 'seen' && record.text.toLowerCase().includes(needle)) out.push(record);
    }
    return out;
  }

  /** A user's cached keys, if cached for this keyId (presence says which version is current). */
  cachedBundle(name: string, keyId: string | undefined): PeerSummary | undefined {
    const bundle = this.bundles.get(nameKey(name));
    return bundle !== undefined && keyId !== undefined && bundle.keyId === keyId ? bundle : undefined;
  }

  /** Keeps a user's keys (written at the next commit). */
  cacheBundle(bundle: PeerSummary): void {
    const key = nameKey(bundle.name);
    this.bundles.set(key, bundle);
    this.bundlesChanged = true;
  }

  hold(message: HeldMessage): void {
    this.held.push(message);
    if (this.held.length > MAX_HELD) this.held.shift();
  }

  /** Takes the messages held from `name` out of the hold (to show them, or to discard them). */
  release(name: string): HeldMessage[] {
    const key = name.toLowerCase();
    const released = this.held.filter((message) => message.from.toLowerCase() === key);
    const rest = this.held.filter((message) => message.from.toLowerCase() !== key);
    this.held.splice(0, this.held.length, ...rest);
    return released;
  }

  addOutgoing(entry: OutgoingEntry): void {
    if (this.outbox.length >= MAX_OUTBOX) {
      const settled = this.outbox.findIndex((candidate) => isSettled(candidate));
      if (settled < 0) throw new ChatError(ErrorCode.NOT_CONNECTED, `${MAX_OUTBOX} messages are still waiting for an answer: this one was not sent`);
      this.outbox.splice(settled, 1);
    }
    this.outbox.push(entry);
  }

  /** Takes out the entries queued offline (not sealed yet), oldest first, to seal and send them now. */
  takeQueued(): OutgoingEntry[] {
    const queued = this.outbox.filter((entry) => entry.sends === undefined);
    const rest = this.outbox.filter((entry) => entry.sends !== undefined);
    this.outbox.splice(0, this.outbox.length, ...rest);
    return queued;
  }

  /** Puts entries taken by takeQueued() back, before anything queued since, in their order. */
  requeue(entries: readonly OutgoingEntry[]): void {
    this.outbox.unshift(...entries);
  }

  /**
   * Drops entries whose every recipient has a final word other than "stored" (stored ones may still
   * turn delivered or expired); a line's final word is kept with the history (settledRecipients).
   * Returns how many went.
   */
  pruneOutbox(): number {
    const keep: OutgoingEntry[] = [];
    for (const entry of this.outbox) {
      if (!isDone(entry)) keep.push(entry);
      else if (entry.text !== '') {
        const record: SettledRecord = { kind: 'settled', id: entry.shownAs ?? entry.id, ts: Date.now(), recipients: entry.recipients[entry.id] ?? {} };
        this.settled.set(record.id, record.recipients);
        this.unwritten.push(record);
      } else if (entry.receiptFor !== undefined && entry.to !== null) {
        this.unwritten.push({ kind: 'receipted', from: entry.to, ids: entry.receiptFor, ts: Date.now() });
      }
    }
    const pruned = this.outbox.length - keep.length;
    if (pruned > 0) this.outbox.splice(0, this.outbox.length, ...keep);
    return pruned;
  }

  /** The final recipient states of a line of ours that left the outbox (undefined: never settled here). */
  settledRecipients(shownId: string): Readonly<Record<string, RecipientState>> | undefined {
    return this.settled.get(shownId);
  }

  /**
   * Writes what changed: new history records (appended), the key cache if it changed, then the
   * state snapshot. Durable on return.
   */
  commit(engine: EngineState | undefined): void {
    if (engine !== undefined) this.engine = engine;
    if (this.files === undefined) {
      this.unwritten.length = 0;
      return;
    }
    this.files.journal.append(this.unwritten);
    this.unwritten.length = 0;
    // The key cache can hold thousands of users: rewritten only when it changed, not on every send.
    if (this.bundlesChanged) this.files.keys.save(Object.fromEntries([...this.bundles.entries()].reverse()));
    this.bundlesChanged = false;
    this.files.snapshot.save({
      version: 1,
      ...(this.engine === undefined ? {} : { engine: this.engine }),
      outbox: this.outbox,
      held: this.held,
    });
  }
}

/**
 * A state snapshot as a new identity key takes it over (`keys rotate`, see state-rekey.ts):
 * - its DM sessions become receive-only, as a peer's sessions with us do when it sees our key
 *   change (dm-sessions.ts): what was sealed on them before still opens, and the next DM to each
 *   peer starts a new session under the new key (before, the peer dropped the old sessions and
 *   the first DM after a rotation could never be opened);
 * - receipts still on their way leave the outbox: signed by the old key, a peer who knows the new
 *   one cannot verify them. Owed again (rebuilt from the history at open), they are sealed anew.
 * Everything else (prekeys, room chains, our own lines, held messages) carries on.
 */
export function snapshotForNewIdentity(snapshot: unknown): unknown {
  const saved = snapshot as Snapshot;
  const outbox = saved.outbox.filter((entry) => entry.receiptFor === undefined);
  if (saved.engine === undefined) return { ...saved, outbox } satisfies Snapshot;
  return { ...saved, outbox, engine: { ...saved.engine, sessions: receiveOnlySessions(saved.engine.sessions) } } satisfies Snapshot;
}

const FINAL: ReadonlySet<DeliveryState> = new Set(['delivered', 'confirmed', 'stored', 'expired', 'refused', 'held', 'discarded']);

/** No recipient of any envelope still waits for a first final word: nothing to resend. */
export function isSettled(entry: OutgoingEntry): boolean {
  if (entry.sends === undefined) return false;
  // Recipients left out are known before the server's ack; the message still waits for that ack.
  if (entry.acked !== true && entry.text !== '') return false;
  return entry.sends.every((send) => {
    const states = entry.recipients[send.envelope.id];
    return states !== undefined && Object.values(states).every((recipient) => FINAL.has(recipient.state));
  });
}

/**
 * States with news still to come, kept in the outbox until then (within MAX_OUTBOX): stored
 * (until delivered or expired), held (until shown or discarded), and a DM the server says was kept
 * (until its recipient's own receipt). Room messages get no end-to-end receipts.
 */
function awaitsNews(entry: OutgoingEntry, state: DeliveryState): boolean {
  // A handover or a receipt gets no receipt of its own: "confirmed" is its last word.
  return state === 'stored' || state === 'held' || (state === 'confirmed' && entry.text !== '' && entry.to !== null && !entry.to.startsWith('#'));
}

function isDone(entry: OutgoingEntry): boolean {
  return isSettled(entry) && Object.values(entry.recipients).every((states) => Object.values(states).every((recipient) => !awaitsNews(entry, recipient.state)));
}

function seenKey(from: string, id: string): string {
  return `${nameKey(from)}\u0000${id}`;
}
