// Delivery that survives absence: envelopes for a user who is away wait in the DurableStore and
// go out, in order, when they connect; envelopes delivered live are tracked until the recipient
// says it kept them (`received`), and moved to the store if it disconnects before. Senders hear of
// every outcome: delivered, stored, expired, refused (in receipts, or kept for them while away).
import { ChatError, ErrorCode } from '../core/errors.js';
import { encodeDeliveryFrame } from '../core/message-codec.js';
import type { Logger } from '../core/logger.js';
import type { Envelope, Receipt } from '../core/messages.js';
import { nameKey } from '../core/names.js';
import type { PeerRegistry } from '../core/peer-registry.js';
import type { MemberLink } from './member-link.js';
import type { JoinedPeer } from './joined-peer.js';
import { ReceiptBatcher } from './receipt-batcher.js';
import { SenderIdMap } from './sender-id-map.js';
import type { DurableStore, StoredDelivery } from './store/durable-store.js';
import type { ServerMetrics } from './metrics/server-metrics.js';

/** Stored envelopes in flight to one recipient at once; more go as these are confirmed. */
export const STORED_DELIVERY_WINDOW = 100;
/** Live deliveries tracked per connection until confirmed; past this the oldest are no longer tracked (the sender's client resends). */
const MAX_TRACKED_LIVE = 10_000;

interface Live {
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  /** The sender's address as the store knows it (DurableStore.originOf); absent for relays from other nodes. */
  readonly origin?: string;
  /** The envelope serialized once by the router, when it has it: the store counts these bytes. */
  readonly envelopeJson?: string;
}

/**
 * A DM or room message relayed from another node, tracked so it is stored if its recipient goes
 * before confirming it. Its envelope stays the JSON text the sender's node serialized, parsed only
 * if it comes to storing it. What it comes to goes back to the sender's node as a receipt.
 */
export interface RelayedDelivery {
  readonly from: string;
  /** The message's `to`: the recipient for a DM, null for the room. */
  readonly to: string | null;
  readonly id: string;
  readonly envelopeJson: string;
}

/** Hands news to a sender's node when the sender is on another one; false when nobody else holds them. */
export type TellRemote = (sender: string, receipt: Receipt) => boolean;

/** Per connection: what it was sent and has not confirmed yet. */
interface Pending {
  readonly live: SenderIdMap<Live>;
  /** DMs relayed from other nodes and not confirmed yet, by sender and envelope id. */
  readonly relayed: SenderIdMap<RelayedDelivery>;
  /** Stored deliveries sent on this connection: (sender, envelope id) -> where each copy sits in the store. */
  readonly stored: SenderIdMap<Array<{ readonly seq: number; readonly tag: string }>>;
  /** The last store sequence number sent on this connection. */
  cursor: number;
}

export class StoreAndForward {
  private readonly pending = new WeakMap<MemberLink, Pending>();
  private readonly receipts = new ReceiptBatcher();

  constructor(
    private readonly members: PeerRegistry<JoinedPeer>,
    /** undefined: this server keeps nothing for away users (a cluster whose bus has no store: the in-memory one of the specs). */
    readonly store: DurableStore | undefined,
    private readonly logger: Logger,
    private readonly metrics: ServerMetrics,
    private readonly tellRemote: TellRemote = () => false,
    /** True when the two users share a named room (the store's shares treat them as no strangers). */
    private readonly sharesRoom: (a: string, b: string) => boolean = () => false,
  ) {
    // On a cluster another node may store for someone connected here: send it on at once.
    store?.onWaiting((recipient) => {
      const online = this.members.get(recipient);
      if (online !== undefined) this.pump(online.connection);
    });
  }

  /** Registered here (so messages can wait for them), online or not. */
  isRegistered(name: string): boolean {
    return this.store?.registration(name) !== undefined;
  }

  /** Live delivery goes only to someone with nothing waiting: otherwise it would overtake what is stored. */
  canDeliverLive(name: string): boolean {
    return this.store?.hasWaiting(name) !== true;
  }

  /** Sends an envelope live and tracks it until the recipient confirms it. */
  deliverLive(recipient: JoinedPeer, frame: Buffer, live: Live): boolean {
    if (!recipient.connection.sendFrame(frame)) return false;
    const pending = this.pendingOf(recipient.connection);
    pending.live.set(live.from, live.envelope.id, live);
    if (pending.live.size > MAX_TRACKED_LIVE) pending.live.dropOldest();
    return true;
  }

  /**
   * Sends a message relayed from another node and tracks it until the recipient confirms it. One
   * with a backlog waiting gets it stored behind the backlog instead (live would overtake it).
   */
  deliverRelayed(recipient: JoinedPeer, frame: Buffer, relayed: RelayedDelivery): boolean {
    if (!this.canDeliverLive(recipient.name)) {
      this.keepRelayed(recipient.name, relayed, 'had messages waiting, and this one could not be stored');
      return true;
    }
    if (!recipient.connection.sendFrame(frame)) return false;
    const pending = this.pendingOf(recipient.connection);
    pending.relayed.set(relayed.from, relayed.id, relayed);
    if (pending.relayed.size > MAX_TRACKED_LIVE) pending.relayed.dropOldest();
    return true;
  }

  /** Keeps an envelope for `recipient`; resolves once it is on disk. Throws StoreWriteError (STORE_FULL, STORE_FAILED). */
  async keep(recipient: string, live: Live): Promise<void> {
    const outcome = await this.keepForAll([recipient], live);
    const error = outcome.get(recipient);
    if (error !== undefined) throw error;
  }

  /**
   * Keeps one copy of a message for all these away recipients (a room's or the lobby's), each
   * charged to the sender's shares; resolves per recipient to undefined (on disk) or why not.
   */
  async keepForAll(recipients: readonly string[], live: Live): Promise<Map<string, ChatError | undefined>> {
    if (this.store === undefined) {
      const notKept = (name: string) => new ChatError(ErrorCode.NOT_STORED, `${name} is not online, and this server keeps no messages for people who are away`);
      return new Map(recipients.map((name) => [name, notKept(name)]));
    }
    const store = this.store;
    const now = Date.now();
    const outcome = await store.storeForAll(
      recipients.map((name) => ({ name, standing: store.standingOf(name, live.from, this.sharesRoom(name, live.from), now) })),
      {
        from: live.from,
        to: live.to,
        envelope: live.envelope,
        storedAt: now,
        ...(live.origin === undefined ? {} : { origin: live.origin }),
        ...(live.envelopeJson === undefined ? {} : { envelopeJson: live.envelopeJson }),
      },
    );
    for (const [name, error] of outcome) {
      if (error !== undefined) continue;
      this.metrics.delivered('stored');
      // Someone online with a backlog gets it through the queue, in order.
      const online = this.members.get(name);
      if (online !== undefined) this.pump(online.connection);
    }
    return outcome;
  }

  /** A client joined: what waits for it goes out, and what its sent messages came to while it was away. */
  async joined(connection: MemberLink): Promise<void> {
    const name = connection.peer!.name;
    this.pendingOf(connection);
    this.pump(connection);
    const notes = (await this.store?.takeNotes(name)) ?? [];
    if (notes.length > 0 && connection.isOpen) {
      for (let i = 0; i < notes.length; i += 1000) connection.send({ type: 'receipts', receipts: notes.slice(i, i + 1000) });
    }
  }

  /**
   * The recipient kept these: forget them here, and tell each sender, "delivered" (the recipient's
   * client's word, through us), "held" for those its client holds unread, or for those it could
   * not open, "refused" with that reason. `discarded`: messages of `from` it threw away unread
   * (confirmed earlier, so nothing is kept here): told to `from` as they are.
   */
  received(
    connection: MemberLink,
    ids: readonly string[],
    unreadable: readonly string[] = [],
    from?: string,
    held: readonly string[] = [],
    discarded: readonly string[] = [],
  ): void {
    const pending = this.pending.get(connection);
    const recipient = connection.peer?.name;
    if (pending === undefined || recipient === undefined) return;
    const failed = new Set(unreadable);
    const holding = new Set(held);
    const outcome = (id: string): Receipt =>
      failed.has(id)
        ? { id, name: recipient, state: 'refused', reason: `${recipient} could not open it (a key that never reached them, or it failed verification)` }
        : holding.has(id)
          ? { id, name: recipient, state: 'held', reason: `${recipient}'s client holds it unread: your key changed since they verified you` }
          : { id, name: recipient, state: 'delivered' };
    if (from !== undefined) {
      for (const id of discarded) this.tell(from, { id, name: recipient, state: 'discarded', reason: `${recipient} discarded it unread` });
    }
    let freed = false;
    for (const id of ids) {
      for (const live of pending.live.take(from, id)) this.tell(live.from, outcome(id));
      for (const relayed of pending.relayed.take(from, id)) this.tell(relayed.from, outcome(id));
      const copies = pending.stored.take(from, id);
      if (copies.length === 0) continue;
      freed = true;
      for (const { seq, tag } of copies.flat()) {
        void this.store!.forget(recipient, seq, tag).then(
          (stored) => {
            if (stored !== undefined) this.tell(stored.from, outcome(id));
          },
          (error: unknown) => this.logger.log('error', 'store.delete_failed', { error: String(error).slice(0, 120) }),
        );
      }
    }
    if (freed) this.pump(connection);
  }

  /**
   * The connection closed: what it was sent live and never confirmed is stored for it (its sender
   * is told), or, where nothing can be stored, reported to the sender as perhaps not delivered.
   */
  closed(connection: MemberLink): void {
    const pending = this.pending.get(connection);
    const recipient = connection.peer?.name;
    if (pending === undefined || recipient === undefined) return;
    this.pending.delete(connection);
    for (const live of pending.live.values()) {
      this.keep(recipient, live).then(
        () => this.tell(live.from, { id: live.envelope.id, name: recipient, state: 'stored' }),
        (error: unknown) =>
          this.tell(live.from, {
            id: live.envelope.id,
            name: recipient,
            state: 'refused',
            reason: `${recipient} disconnected before confirming it (it may have arrived): ${error instanceof Error ? error.message : 'not stored'}`,
          }),
      );
    }
    for (const relayed of pending.relayed.values()) this.keepRelayed(recipient, relayed, 'disconnected before confirming it (it may have arrived)');
  }

  /** Stores a relayed message for its recipient and tells its sender (on whichever node) what came of it. */
  private keepRelayed(recipient: string, relayed: RelayedDelivery, why: string): void {
    // The sender's node checked this envelope; parsed only now, to store it.
    const live: Live = { from: relayed.from, to: relayed.to, envelope: JSON.parse(relayed.envelopeJson) as Envelope };
    this.keep(recipient, live).then(
      () => this.tell(live.from, { id: relayed.id, name: recipient, state: 'stored' }),
      (error: unknown) =>
        this.tell(live.from, {
          id: relayed.id,
          name: recipient,
          state: 'refused',
          reason: `${recipient} ${why}: ${error instanceof Error ? error.message : 'not stored'}`,
        }),
    );
  }

  /** Deletes what waited too long and tells each sender. */
  async expire(now: number): Promise<void> {
    if (this.store === undefined) return;
    const expired = await this.store.expire(now, (name) => this.members.has(name));
    for (const { recipient, delivery } of expired) {
      const name = this.store.registration(recipient)?.name ?? recipient;
      this.tell(delivery.from, {
        id: delivery.envelope.id,
        name: validName(name, recipient),
        state: 'expired',
        reason: `${name} did not come back within the retention time`,
      });
    }
    if (expired.length > 0) this.logger.log('info', 'store.expired', { messages: expired.length });
  }

  /** News from another node for senders it believes are here (a sender who moved on gets a note). */
  receiptsArrived(receipts: ReadonlyArray<{ readonly to: string; readonly receipt: Receipt }>): void {
    for (const { to, receipt } of receipts) this.tell(to, receipt, false);
  }

  /**
   * News for a sender: now if it is online here, through its node if it is on another, else kept
   * for when it is back. News that came from another node is not passed on again (no ping-pong
   * between two nodes that each think the other holds the sender).
   */
  private tell(sender: string, receipt: Receipt, mayRelay = true): void {
    const online = this.members.get(sender);
    if (online !== undefined) {
      this.receipts.add(online.connection, receipt);
      return;
    }
    if (mayRelay && this.tellRemote(sender, receipt)) return;
    if (this.store === undefined || !this.isRegistered(sender) || receipt.state === 'stored') return;
    void this.store
      .note(sender, {
        id: receipt.id,
        name: receipt.name,
        state: receipt.state,
        ...(receipt.reason === undefined ? {} : { reason: receipt.reason }),
      })
      .catch((error: unknown) => this.logger.log('warn', 'store.note_failed', { error: String(error).slice(0, 120) }));
  }

  /** Sends the next stored envelopes to a connected recipient, keeping at most a window in flight. */
  private pump(connection: MemberLink): void {
    const pending = this.pending.get(connection);
    const name = connection.peer?.name;
    if (pending === undefined || name === undefined || this.store === undefined || !connection.isOpen) return;
    let inFlight = 0;
    for (const seqs of pending.stored.values()) inFlight += seqs.length;
    const room = STORED_DELIVERY_WINDOW - inFlight;
    if (room <= 0) return;
    for (const delivery of this.store.waiting(name, pending.cursor, room)) {
      pending.cursor = delivery.seq;
      const seqs = pending.stored.get(delivery.from, delivery.envelope.id) ?? [];
      seqs.push({ seq: delivery.seq, tag: delivery.tag });
      pending.stored.set(delivery.from, delivery.envelope.id, seqs);
      connection.sendFrame(storedFrame(delivery));
    }
  }

  private pendingOf(connection: MemberLink): Pending {
    let pending = this.pending.get(connection);
    if (pending === undefined) {
      pending = { live: new SenderIdMap(), relayed: new SenderIdMap(), stored: new SenderIdMap(), cursor: -1 };
      this.pending.set(connection, pending);
    }
    return pending;
  }
}

function storedFrame(delivery: StoredDelivery): Buffer {
  return encodeDeliveryFrame(delivery.from, delivery.to, JSON.stringify(delivery.envelope), true);
}

/** The registered spelling of a name, or its key when the registration is gone. */
function validName(name: string, key: string): string {
  return nameKey(name) === key ? name : key;
}
