// ClusterBus over NATS: core subjects for traffic, a JetStream key-value bucket for name claims.
//
//   <cluster>.presence              every node: joins, leaves, heartbeats, snapshots
//   <cluster>.room                  every node: room envelopes, each published once
//   <cluster>.room-receipts.<id>.<batch>  that node: each recipient node's answer to its room
//                                   batch, naming the recipients it no longer had
//   <cluster>.node.<id>.dm          that node: DMs for its members
//   <cluster>.receipts.<id>.<batch> that node: which DMs of its batch failed (or the broker's
//                                   "no responders" when the destination node is gone)
//   <cluster>.node.<id>.holds       that node: "do you still hold this name?"
//   <cluster>.node.<id>.news        that node: delivery news (receipts) for its senders
//   KV bucket <cluster>_names       key hex(name) -> {"node": id}, created-if-absent per claim
//   KV bucket <cluster>_store       registrations and messages for away users (jetstream-key-value.ts)
//
// Room and DM relays are batched per destination per turn of the event loop (tick-batcher.ts).
// NATS delivers one publisher's messages to each subscriber in the order they were published,
// across subjects, and batches are flushed before any presence message is published: a node's
// "join alice" always reaches another node before alice's first message, and her last message
// before her "leave".
// Every chat subject, its encoding and its subscription are in this file, so the broker's surface
// for chat is read in one place; name claims (nats-claims.ts) and watching together (nats-watch.ts)
// get the connection from here.
import { randomBytes } from 'node:crypto';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { type KV, Kvm } from '@nats-io/kv';
import type { Logger } from '../../core/logger.js';
import type { ClaimOutcome, ClusterBus, ClusterHandlers, HandOff, SharedKeyValue, WatchChannel } from './cluster-bus.js';
import { NatsWatchChannel } from './nats-watch.js';
import { ClusterUnavailableError, NatsNameClaims } from './nats-claims.js';
import type { FileBucket } from './jetstream-files.js';
import { JetStreamKeyValue } from './jetstream-key-value.js';
import { RoomConfirmations } from './room-confirmations.js';
import type { ClusterOptions } from './cluster-options.js';
import { PendingHandOffs } from './pending-hand-offs.js';
import { TickBatcher } from './tick-batcher.js';
import {
  type DirectRelay,
  type PresenceMessage,
  type ReceiptRelay,
  type RoomRelay,
  decodeDirectReceipt,
  decodeHoldsQuery,
  decodeReceiptBatch,
  decodePresence,
  decodeRoomBatch,
  encodeRoomBatch,
  decodeRoomReceipt,
  encodeBusMessage,
  decodeDirectBatch,
  encodeDirectBatch,
} from './cluster-wire.js';

/** The status code of the broker's "no responders" answer. */
const NO_RESPONDERS = 503;
/**
 * Bytes per batch before it is sent early: half of NATS's default 1 MB max_payload, so that one
 * more relay (64 KiB at most, the client frame limit) never pushes a batch over it.
 */
const MAX_BATCH_BYTES = 512 * 1024;
/** What a relay adds to a batch beyond its ciphertext: header, signature, names, JSON. */
const RELAY_OVERHEAD_BYTES = 1024;
/** A receipt's size in a batch beyond its reason: id, names, state, JSON. */
const RECEIPT_OVERHEAD_BYTES = 256;
/** After a broker restart JetStream may need a moment before the bucket can be made again. */
const RESTORE_RETRY_MS = 250;

export { ClusterUnavailableError };

export class NatsBus implements ClusterBus {
  readonly nodeId = randomBytes(6).toString('hex');
  private connection: NatsConnection | undefined;
  /** Name claims in the bucket <cluster>_names (nats-claims.ts). */
  private readonly claims: NatsNameClaims;
  private handlers: ClusterHandlers | undefined;
  private up = false;
  private closing = false;
  private readonly handOffs: PendingHandOffs;
  private readonly roomConfirmations: RoomConfirmations;
  private readonly roomBatches: TickBatcher<RoomRelay>;
  private readonly dmBatches: TickBatcher<DirectRelay>;
  private readonly receiptBatches: TickBatcher<ReceiptRelay>;
  private watchChannel: NatsWatchChannel | undefined;

  constructor(
    private readonly options: ClusterOptions,
    private readonly logger: Logger,
  ) {
    this.claims = new NatsNameClaims({
      nodeId: this.nodeId,
      options,
      logger,
      connection: () => this.connection!,
      isUp: () => this.up,
    });
    this.handOffs = new PendingHandOffs(options.requestTimeoutMs);
    this.roomConfirmations = new RoomConfirmations(options.requestTimeoutMs, (notice) => this.handlers?.undelivered(notice));
    this.roomBatches = new TickBatcher((_room, relays) => this.publishRoomBatch(relays), MAX_BATCH_BYTES);
    this.dmBatches = new TickBatcher((node, relays) => this.publishDirectBatch(node, relays), MAX_BATCH_BYTES);
    this.receiptBatches = new TickBatcher(
      (node, receipts) => this.publish(`${this.options.name}.node.${node}.news`, encodeBusMessage({ node: this.nodeId, receipts })),
      MAX_BATCH_BYTES,
    );
  }

  get isUp(): boolean {
    return this.up;
  }

  get watch(): WatchChannel | undefined {
    return this.watchChannel;
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    try {
      this.connection = await connect({
        servers: this.options.url.split(',').map((url) => url.trim()),
        name: `tui-chat node ${this.nodeId}`,
        // Keep trying for as long as the node runs: a broker restart must not need a node restart.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        reconnectJitter: 250,
        // Notice a broker that stopped answering (not just one that closed the socket) within ~10 s.
        pingInterval: 5000,
        maxPingOut: 2,
        timeout: this.options.requestTimeoutMs,
        // Stack traces for async errors cost an Error object per request; our errors say enough.
        noAsyncTraces: true,
        // A node ignores what it published itself (its own room batches, presence): not receiving
        // it spares decoding every own room batch.
        noEcho: true,
        ...brokerSecurity(this.options),
      });
    } catch (cause) {
      const why = cause instanceof Error ? `: ${cause.message.slice(0, 160)}` : '';
      throw new ClusterUnavailableError(`cannot connect to ${this.options.url}${why}`, { cause });
    }
    await this.claims.open();
    const nc = this.connection;
    const p = this.options.name;
    this.subscribe(`${p}.presence`, (data) => this.handlers?.presence(decodePresence(data)));
    nc.subscribe(`${p}.room`, {
      callback: (_error, msg) =>
        this.guard('room', () => {
          const { relays, rejected } = decodeRoomBatch(msg.data);
          if (rejected > 0) this.logger.log('warn', 'cluster.bad_message', { subject: 'room', rejected });
          const forUs = relays.filter((relay) => relay.node !== this.nodeId && relay.recipients[this.nodeId] !== undefined);
          if (forUs.length === 0) return;
          const missed = forUs
            .map((relay) => ({ id: relay.id, names: this.handlers?.room(relay) ?? Object.keys(relay.recipients[this.nodeId]!) }))
            .filter((entry) => entry.names.length > 0);
          // Answer for our recipients, so the sending node knows the batch arrived.
          if (msg.reply !== undefined && msg.reply !== '') msg.respond(encodeBusMessage({ node: this.nodeId, missed }));
        }),
    });
    this.subscribe(`${p}.room-receipts.${this.nodeId}.*`, (data, subject) => {
      const receipt = decodeRoomReceipt(data);
      this.roomConfirmations.confirm(Number(subject.slice(subject.lastIndexOf('.') + 1)), receipt.node, receipt.missed);
    });
    nc.subscribe(`${p}.node.${this.nodeId}.dm`, {
      callback: (_error, msg) =>
        this.guard('dm', () => {
          const { relays, rejected } = decodeDirectBatch(msg.data);
          if (rejected > 0) this.logger.log('warn', 'cluster.bad_message', { subject: 'dm', rejected });
          const failed = relays.filter((relay) => this.handlers?.direct(relay) !== true).map((relay) => relay.n);
          msg.respond(encodeBusMessage({ failed }));
        }),
    });
    nc.subscribe(`${p}.receipts.${this.nodeId}.*`, {
      callback: (_error, msg) =>
        this.guard('receipt', () => {
          const batch = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
          // The broker answers a publish nobody subscribes to with an empty 503 status message.
          if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS) return this.handOffs.settleBatch(batch, () => 'absent');
          const failed = new Set(decodeDirectReceipt(msg.data).failed);
          this.handOffs.settleBatch(batch, (id) => (failed.has(id) ? 'not-delivered' : 'delivered'));
        }),
    });
    this.subscribe(`${p}.node.${this.nodeId}.news`, (data) => {
      const { batch, rejected } = decodeReceiptBatch(data);
      if (rejected > 0) this.logger.log('warn', 'cluster.bad_message', { subject: 'news', rejected });
      this.handlers?.receipts(batch);
    });
    nc.subscribe(`${p}.node.${this.nodeId}.holds`, {
      callback: (_error, msg) =>
        this.guard('holds', () => msg.respond(encodeBusMessage({ holds: this.handlers?.holds(decodeHoldsQuery(msg.data).name) ?? false }))),
    });
    this.watchChannel = new NatsWatchChannel({ connection: nc, prefix: p, nodeId: this.nodeId, logger: this.logger, publish: (s, d) => this.publish(s, d) });
    this.up = true;
    void this.followStatus(nc);
  }

  async close(): Promise<void> {
    const nc = this.connection;
    const wasUp = this.up;
    this.closing = true;
    this.up = false;
    this.handOffs.settleAll('unreachable');
    if (nc === undefined || nc.isClosed()) return;
    // drain() sends what is queued (the goodbye, the releases) first; with the broker away it
    // would wait for a reconnect that may never come, so then (or if it stalls) just close.
    if (wasUp) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.requestTimeoutMs)));
      await Promise.race([nc.drain().catch(() => {}), stalled]);
      clearTimeout(timer);
    }
    if (!nc.isClosed()) await nc.close().catch(() => {});
  }

  claimName(name: string): Promise<ClaimOutcome> {
    return this.claims.claim(name);
  }

  releaseName(name: string): Promise<void> {
    return this.claims.release(name);
  }

  publishPresence(message: PresenceMessage): boolean {
    // Relays collected this turn go first: a member's last message must not arrive after its leave.
    this.roomBatches.flush();
    this.dmBatches.flush();
    return this.publish(`${this.options.name}.presence`, encodeBusMessage(message));
  }

  publishRoom(relay: RoomRelay): boolean {
    if (!this.up) return false;
    // One sender's messages arrive in the order sent, room and DMs alike: a room message may not
    // overtake a DM collected before it (a sender key travels by DM ahead of the room message).
    if (!this.dmBatches.isEmpty) this.dmBatches.flush();
    this.roomBatches.add('room', relay, relay.envelopeJson.length + RELAY_OVERHEAD_BYTES);
    return true;
  }

  sendDirect(node: string, relay: Omit<DirectRelay, 'n'>): Promise<HandOff> {
    if (!this.up || this.connection === undefined) return Promise.resolve('unreachable');
    const { id, outcome } = this.handOffs.open();
    if (!this.roomBatches.isEmpty) this.roomBatches.flush();
    this.dmBatches.add(
      node,
      { node: relay.node, n: id, from: relay.from, to: relay.to, id: relay.id, envelopeJson: relay.envelopeJson },
      relay.envelopeJson.length + RELAY_OVERHEAD_BYTES,
    );
    return outcome;
  }

  sendReceipt(node: string, relay: ReceiptRelay): boolean {
    if (!this.up) return false;
    this.receiptBatches.add(node, relay, (relay.receipt.reason?.length ?? 0) + RECEIPT_OVERHEAD_BYTES);
    return true;
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The cluster's store (registrations, messages for away users): bucket <cluster>_store, mirrored here. */
  async openStore(): Promise<SharedKeyValue> {
    return JetStreamKeyValue.open(await createOrOpen(new Kvm(this.connection!), `${this.options.name}_store`));
  }

  /** The cluster's files: bucket <cluster>_files, read on demand (jetstream-files.ts), never mirrored. */
  openFiles(): Promise<FileBucket> {
    return createOrOpen(new Kvm(this.connection!), `${this.options.name}_files`);
  }

  private publishRoomBatch(relays: RoomRelay[]): void {
    const batch = this.roomConfirmations.open(relays);
    const reply = `${this.options.name}.room-receipts.${this.nodeId}.${batch}`;
    if (!this.publish(`${this.options.name}.room`, encodeRoomBatch(this.nodeId, relays), reply)) this.roomConfirmations.fail(batch);
  }

  private publishDirectBatch(node: string, relays: DirectRelay[]): void {
    const batch = this.handOffs.openBatch(relays.map((relay) => relay.n));
    const reply = `${this.options.name}.receipts.${this.nodeId}.${batch}`;
    if (!this.publish(`${this.options.name}.node.${node}.dm`, encodeDirectBatch(this.nodeId, relays), reply))
      this.handOffs.settleBatch(batch, () => 'unreachable');
  }

  private subscribe(subject: string, handle: (data: Uint8Array, subject: string) => void): void {
    this.connection!.subscribe(subject, { callback: (_error, msg) => this.guard(subject, () => handle(msg.data, msg.subject)) });
  }

  /** The broker is shared: a bad message from it is logged and dropped, never thrown into NATS. */
  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logger.log('warn', 'cluster.bad_message', { subject: what, error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
    }
  }

  private publish(subject: string, data: Uint8Array, reply?: string): boolean {
    // While the broker is away, nats.js would buffer and send later; we would rather say "not sent".
    if (!this.up || this.connection === undefined) return false;
    try {
      this.connection.publish(subject, data, reply === undefined ? undefined : { reply });
      return true;
    } catch {
      return false;
    }
  }

  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.closing) return;
      if (status.type === 'disconnect') {
        this.logger.log('warn', 'cluster.link_down', {});
        this.setUp(false);
        // Their answers would come over the link that just went: report them undelivered now.
        this.handOffs.settleAll('unreachable');
        // Collected but never published: reported at once. Published ones unanswered by now are
        // reported when their confirmation times out.
        const unsent = this.roomBatches.discard();
        if (unsent.length > 0) this.roomConfirmations.fail(this.roomConfirmations.open(unsent));
        this.dmBatches.discard();
        // Lost news leaves those senders with "sent": not wrong, only not the latest.
        this.receiptBatches.discard();
      } else if (status.type === 'reconnect') {
        this.logger.log('info', 'cluster.link_reconnected', {});
        void this.restore(nc);
      }
    }
  }

  /** After a reconnect: the bucket may be gone (a broker restarted without its store), releases wait. */
  private async restore(nc: NatsConnection): Promise<void> {
    while (!this.closing && !nc.isClosed()) {
      try {
        await this.claims.open();
        break;
      } catch (error) {
        this.logger.log('debug', 'cluster.restore_retry', { error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
        await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
      }
    }
    if (this.closing || nc.isClosed()) return;
    await this.claims.releasePending();
    this.setUp(true);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.handlers?.linkChanged(up);
  }
}

/** TLS and credentials for the broker connection, as nats.js takes them. */
function brokerSecurity(options: ClusterOptions): { tls?: { ca?: string }; user?: string; pass?: string; token?: string } {
  const requiresTls = options.brokerCaPem !== undefined || options.url.split(',').some((url) => url.trim().startsWith('tls://'));
  // An empty tls object still insists on TLS, verified against the system's CAs.
  const tls: { ca?: string } | undefined = options.brokerCaPem !== undefined ? { ca: options.brokerCaPem } : requiresTls ? {} : undefined;
  return { ...(tls === undefined ? {} : { tls }), ...(options.credentials ?? {}) };
}

/** The bucket, made if it is not there (one value per key: no history is of use to us). */
async function createOrOpen(kvm: Kvm, bucket: string): Promise<KV> {
  try {
    return await kvm.create(bucket, { history: 1 });
  } catch {
    return kvm.open(bucket);
  }
}
