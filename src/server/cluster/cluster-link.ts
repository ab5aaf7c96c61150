// One node's place in the cluster, whatever the broker: who the other nodes hold (from their
// presence messages, kept only while their lease lasts), this node's own presence, room and DM
// relays, and what to do when the broker link goes away and comes back.
//
// Remote members are kept apart from the server's own registry: the server owns its sockets,
// remote-members.ts what other nodes say. Name clashes between the two are settled by the claims bucket.
import { LRUCache } from 'lru-cache';
import type { PeerSummary, Receipt } from '../../core/messages.js';
import type { ClaimOutcome, ClusterBus, HandOff, SharedKeyValue, UndeliveredNotice, WatchChannel } from './cluster-bus.js';
import type { ClusterOptions } from './cluster-options.js';
import type { FileBackend } from '../files/file-backend.js';
import { JetStreamFiles } from './jetstream-files.js';
import type { DirectRelay, PresenceMessage, ReceiptRelay, RoomRelay } from './cluster-wire.js';
import { RemoteMembers, type RemoteMembersHost, type RemoteNode, type RemotePeer } from './remote-members.js';

export type { RemotePeer };

/** What the link needs from the chat server it serves (with what the remote members tell it). */
export interface ClusterHost extends RemoteMembersHost {
  /** This node's joined members, as the rest of the cluster should see them. */
  localMembers(): PeerSummary[];
  /** Delivers a relayed room message to this node's recipients; returns the names it could not reach. */
  deliverRoom(relay: RoomRelay, recipients: Readonly<Record<string, string>>): string[];
  deliverDirect(relay: DirectRelay): boolean;
  undelivered(notice: UndeliveredNotice): void;
  /** Delivery news from another node for senders it believes are here. */
  receiptsArrived(receipts: readonly ReceiptRelay[]): void;
  linkChanged(up: boolean): void;
  /** A member of this node lost its name to another node's claim (after this node was cut off). */
  evict(name: string): void;
}

/** Peers per snapshot message: ~1 KB each (mostly the RSA public key), far below NATS's 1 MB payload. */
const SNAPSHOT_PART_PEERS = 100;

export class ClusterLink {
  /** What the other nodes hold, as their presence messages say. */
  private readonly members: RemoteMembers;
  /** Counts this node's joins and leaves; followers spot a missed message by a gap. */
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  /** Nodes that said goodbye (at most 1,000 remembered, the least recently heard of forgotten first). */
  private readonly departed = new LRUCache<string, true>({ max: 1000 });

  constructor(
    private readonly bus: ClusterBus,
    private readonly timing: Pick<ClusterOptions, 'heartbeatMs' | 'leaseMs'>,
    private readonly host: ClusterHost,
  ) {
    this.members = new RemoteMembers(host, (name) => void this.verifyLocalClaim(name));
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** True while the broker link is up. */
  get isUp(): boolean {
    return this.bus.isUp;
  }

  /** Watching together across nodes, when the bus carries it. */
  get watch(): WatchChannel | undefined {
    return this.bus.watch;
  }

  /** Nodes this one knows of, itself included. */
  get nodeCount(): number {
    return this.members.nodeCount + 1;
  }

  /**
   * Whether this node is the one that sweeps the shared store for expired messages: the node with
   * the lowest id among those it knows. While two nodes' views differ (a node just came or went),
   * both may sweep for a round: a sender may then hear of one expiry twice, never not at all.
   */
  get sweepsSharedStore(): boolean {
    return this.members.nodeIds().every((id) => id > this.nodeId);
  }

  async start(): Promise<void> {
    await this.bus.start({
      linkChanged: (up) => this.onLinkChanged(up),
      presence: (message) => this.onPresence(message),
      room: (relay) => this.onRoom(relay),
      direct: (relay) => this.onDirect(relay),
      undelivered: (notice) => this.host.undelivered(notice),
      receipts: (batch) => this.host.receiptsArrived(batch.receipts),
      holds: (name) => this.host.holdsLocally(name),
    });
    this.bus.publishPresence({ kind: 'sync', node: this.nodeId });
    this.timer = setInterval(() => this.tick(), this.timing.heartbeatMs);
    this.timer.unref();
    this.host.logger.log('info', 'cluster.joined', { node: this.nodeId });
  }

  /** Says goodbye (other nodes drop our members at once), gives our names back, disconnects. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    // Nothing after the goodbye: a snapshot answered while closing would list our users again on
    // the other nodes until the lease ran out (seen as a name still taken after a clean shutdown).
    this.closing = true;
    this.bus.publishPresence({ kind: 'bye', node: this.nodeId });
    await Promise.all(this.host.localMembers().map((peer) => this.bus.releaseName(peer.name)));
    await this.bus.close();
  }

  /** The cluster's files (over a bucket every node reads), when the bus has one. */
  async openFiles(): Promise<FileBackend | undefined> {
    const bucket = await this.bus.openFiles?.();
    if (bucket === undefined) return undefined;
    const files = new JetStreamFiles(bucket);
    await files.followRecords((error) => this.logError('cluster.files_watch_failed', error));
    return files;
  }

  /** The cluster-wide store, when the bus has one. */
  openStore(): Promise<SharedKeyValue> | undefined {
    return this.bus.openStore?.();
  }

  remotePeer(name: string): RemotePeer | undefined {
    return this.members.get(name);
  }

  /** Users online on other nodes. */
  get remoteCount(): number {
    return this.members.count;
  }

  remotePeers(): PeerSummary[] {
    return this.members.peers();
  }

  claim(name: string): Promise<ClaimOutcome> {
    return this.bus.claimName(name);
  }

  release(name: string): void {
    this.bus.releaseName(name).catch((error: unknown) => this.logError('cluster.release_failed', error));
  }

  memberJoined(peer: PeerSummary): void {
    this.version++;
    this.bus.publishPresence({ kind: 'join', node: this.nodeId, version: this.version, peer });
  }

  memberLeft(name: string): void {
    this.version++;
    this.bus.publishPresence({ kind: 'leave', node: this.nodeId, version: this.version, name });
    this.release(name);
    this.nameFreed(name);
  }

  /** No member of this node goes by `name` any more (it left, or its admission failed). */
  nameFreed(name: string): void {
    this.members.nameFreed(name);
  }

  /**
   * A room message to members of other nodes, published once; each node takes its own recipients.
   * `envelopeJson`: the envelope, validated and serialized here. keys: remote recipient name -> ''
   * (a table, for lookups by name). Returns the names that could not be handed over.
   */
  relayRoom(from: string, room: string | null, id: string, envelopeJson: string, keys: ReadonlyMap<string, string>): string[] {
    const recipients: Record<string, Record<string, string>> = {};
    for (const [name, key] of keys) {
      const node = this.members.get(name)?.node;
      if (node === undefined) continue;
      recipients[node] ??= {};
      recipients[node][name] = key;
    }
    const sent = this.bus.publishRoom({ node: this.nodeId, from, ...(room === null ? {} : { room }), id, envelopeJson, recipients });
    return sent ? [] : [...keys.keys()];
  }

  /** A DM to a member of another node; `envelopeJson`: the envelope, validated and serialized here. */
  sendDirect(from: string, to: string, id: string, envelopeJson: string): Promise<HandOff> {
    const node = this.members.get(to)?.node;
    if (node === undefined) return Promise.resolve('absent');
    return this.bus.sendDirect(node, { node: this.nodeId, from, to, id, envelopeJson });
  }

  /** News for a sender on another node; false when no node holds them (or the link is down). */
  tellRemote(sender: string, receipt: Receipt): boolean {
    const node = this.members.get(sender)?.node;
    return node !== undefined && this.bus.sendReceipt(node, { to: sender, receipt });
  }

  // ---- presence ------------------------------------------------------------------------------

  private onPresence(message: PresenceMessage): void {
    if (message.node === this.nodeId || this.closing) return;
    // A node that said goodbye is gone for good (a restarted node comes back under a new id): a
    // late message of its own must not bring its users back.
    if (this.departed.has(message.node)) return;
    if (message.kind === 'bye') {
      this.departed.set(message.node, true);
    }
    if (message.kind === 'sync') {
      if (message.target === undefined || message.target === this.nodeId) this.publishSnapshot();
      return;
    }
    if (message.kind === 'bye') return this.members.drop(message.node, 'left the cluster');
    const node = this.members.nodeFor(message.node);
    node.lastHeardAt = Date.now();
    switch (message.kind) {
      case 'heartbeat':
        if (!node.synced || message.version !== node.version) this.requestSync(node);
        return;
      case 'join':
        this.members.show(node, message.peer);
        return this.follow(node, message.version);
      case 'leave':
        this.members.hide(node, message.name);
        return this.follow(node, message.version);
      case 'snapshot': {
        node.partial = [...(node.partial ?? []), ...message.peers];
        if (!message.final) return;
        const peers = node.partial;
        node.partial = undefined;
        this.members.reconcile(node, peers);
        node.version = message.version;
        node.synced = true;
        return;
      }
    }
  }

  /** Applies a node's next version, or asks for its snapshot when one went missing. */
  private follow(node: RemoteNode, version: number): void {
    if (node.synced && version === node.version + 1) {
      node.version = version;
      return;
    }
    node.synced = false;
    this.requestSync(node);
  }

  private requestSync(node: RemoteNode): void {
    const now = Date.now();
    if (now - node.syncRequestedAt < this.timing.heartbeatMs) return;
    node.syncRequestedAt = now;
    this.bus.publishPresence({ kind: 'sync', node: this.nodeId, target: node.id });
  }

  private publishSnapshot(): void {
    const members = this.host.localMembers();
    for (let start = 0; start === 0 || start < members.length; start += SNAPSHOT_PART_PEERS) {
      const peers = members.slice(start, start + SNAPSHOT_PART_PEERS);
      const final = start + SNAPSHOT_PART_PEERS >= members.length;
      this.bus.publishPresence({ kind: 'snapshot', node: this.nodeId, version: this.version, peers, final });
    }
  }

  /** Heartbeat out; nodes not heard for a lease are presumed dead. */
  private tick(): void {
    if (this.bus.isUp) this.bus.publishPresence({ kind: 'heartbeat', node: this.nodeId, version: this.version });
    this.members.expire(Date.now() - this.timing.leaseMs);
  }

  // ---- broker link ---------------------------------------------------------------------------

  private onLinkChanged(up: boolean): void {
    if (!up) {
      // Remote members stay listed until their lease runs out, as they would for any silent node:
      // a blip shorter than the lease costs nobody their place in the peer list.
      this.host.logger.log('warn', 'cluster.degraded', { node: this.nodeId });
      this.host.linkChanged(false);
      return;
    }
    void this.rejoin();
  }

  /**
   * Back on the broker: the others may have presumed us dead and given our members' names away,
   * so every claim is made again (losers are evicted), then we announce ourselves and resync.
   */
  private async rejoin(): Promise<void> {
    await Promise.all(this.host.localMembers().map((peer) => this.verifyLocalClaim(peer.name)));
    this.publishSnapshot();
    this.bus.publishPresence({ kind: 'sync', node: this.nodeId });
    this.host.logger.log('info', 'cluster.rejoined', { node: this.nodeId });
    this.host.linkChanged(true);
  }

  private async verifyLocalClaim(name: string): Promise<void> {
    try {
      const outcome = await this.bus.claimName(name);
      if (!outcome.won) this.host.evict(name);
    } catch (error) {
      // The broker went away again; the next reconnect checks once more.
      this.logError('cluster.claim_check_failed', error);
    }
  }

  /** Delivers a relayed room message to this node's recipients; returns those it could not reach. */
  private onRoom(relay: RoomRelay): string[] {
    const mine = relay.recipients[this.nodeId];
    if (mine === undefined || relay.node === this.nodeId) return [];
    if (!this.isMemberOf(relay.from, relay.node)) return Object.keys(mine);
    return this.host.deliverRoom(relay, mine);
  }

  private onDirect(relay: DirectRelay): boolean {
    return this.isMemberOf(relay.from, relay.node) && this.host.deliverDirect(relay);
  }

  /** A relay must come from the node its sender is on: no node speaks for another's members. */
  private isMemberOf(name: string, node: string): boolean {
    if (this.members.get(name)?.node === node) return true;
    this.host.logger.log('warn', 'cluster.unknown_sender', { node });
    return false;
  }

  private logError(event: string, error: unknown): void {
    this.host.logger.log('warn', event, { error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
  }
}
