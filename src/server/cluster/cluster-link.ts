// One node's place in the cluster, whatever the broker: who the other nodes hold (from their
// presence messages, kept only while their lease lasts), this node's own presence, room and DM
// relays, and what to do when the broker link goes away and comes back.
//
// Remote members are kept apart from the server's own registry: the server owns its sockets, this
// class owns what other nodes say. Name clashes between the two are settled by the claims bucket.
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../core/logger.js';
import type { PeerSummary, Receipt } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import type { ClaimOutcome, ClusterBus, HandOff, SharedKeyValue, UndeliveredNotice } from './cluster-bus.js';
import type { ClusterOptions } from './cluster-options.js';
import type { DirectRelay, PresenceMessage, ReceiptRelay, RoomRelay } from './cluster-wire.js';

/** What the link needs from the chat server it serves. */
export interface ClusterHost {
  readonly logger: Logger;
  /** This node's joined members, as the rest of the cluster should see them. */
  localMembers(): PeerSummary[];
  /** Whether `name` is joined here or being admitted here. */
  holdsLocally(name: string): boolean;
  /** Whether `name` is joined here (not merely being admitted). */
  isMember(name: string): boolean;
  remoteJoined(peer: PeerSummary): void;
  /** A member of another node set or cleared (empty) their away message. */
  remoteAway(name: string, message: string): void;
  remoteLeft(name: string): void;
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

export interface RemotePeer {
  readonly peer: PeerSummary;
  readonly node: string;
}

interface RemoteNode {
  readonly id: string;
  /** The node's membership version as far as we have followed it. */
  version: number;
  /** False until a snapshot arrives, and again after a gap in the versions. */
  synced: boolean;
  lastHeardAt: number;
  syncRequestedAt: number;
  /** What the node says it holds, name key -> summary (shown unless a clash hides one). */
  readonly members: Map<string, PeerSummary>;
  /** Snapshot parts received so far. */
  partial: PeerSummary[] | undefined;
}

/** Peers per snapshot message: ~1 KB each (mostly the RSA public key), far below NATS's 1 MB payload. */
const SNAPSHOT_PART_PEERS = 100;

export class ClusterLink {
  private readonly nodes = new Map<string, RemoteNode>();
  private readonly remote = new Map<string, RemotePeer>();
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
  ) {}

  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** True while the broker link is up. */
  get isUp(): boolean {
    return this.bus.isUp;
  }

  /** Nodes this one knows of, itself included. */
  get nodeCount(): number {
    return this.nodes.size + 1;
  }

  /**
   * Whether this node is the one that sweeps the shared store for expired messages: the node with
   * the lowest id among those it knows. While two nodes' views differ (a node just came or went),
   * both may sweep for a round: a sender may then hear of one expiry twice, never not at all.
   */
  get sweepsSharedStore(): boolean {
    for (const id of this.nodes.keys()) if (id < this.nodeId) return false;
    return true;
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

  /** The cluster-wide store, when the bus has one. */
  openStore(): Promise<SharedKeyValue> | undefined {
    return this.bus.openStore?.();
  }

  remotePeer(name: string): RemotePeer | undefined {
    return this.remote.get(nameKey(name));
  }

  /** Users online on other nodes. */
  get remoteCount(): number {
    return this.remote.size;
  }

  remotePeers(): PeerSummary[] {
    return [...this.remote.values()].map((entry) => entry.peer);
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
    // Another node's member of that name, hidden while ours held it, can show now.
    const key = nameKey(name);
    for (const node of this.nodes.values()) {
      const peer = node.members.get(key);
      if (peer !== undefined) return this.show(node, peer);
    }
  }

  /**
   * A room message to members of other nodes, published once; each node takes its own recipients.
   * `envelopeJson`: the envelope, validated and serialized here. keys: remote recipient name -> ''
   * (a table, for lookups by name). Returns the names that could not be handed over.
   */
  relayRoom(from: string, room: string | null, id: string, envelopeJson: string, keys: ReadonlyMap<string, string>): string[] {
    const recipients: Record<string, Record<string, string>> = {};
    for (const [name, key] of keys) {
      const node = this.remote.get(nameKey(name))?.node;
      if (node === undefined) continue;
      recipients[node] ??= {};
      recipients[node][name] = key;
    }
    const sent = this.bus.publishRoom({ node: this.nodeId, from, ...(room === null ? {} : { room }), id, envelopeJson, recipients });
    return sent ? [] : [...keys.keys()];
  }

  /** A DM to a member of another node; `envelopeJson`: the envelope, validated and serialized here. */
  sendDirect(from: string, to: string, id: string, envelopeJson: string): Promise<HandOff> {
    const node = this.remote.get(nameKey(to))?.node;
    if (node === undefined) return Promise.resolve('absent');
    return this.bus.sendDirect(node, { node: this.nodeId, from, to, id, envelopeJson });
  }

  /** News for a sender on another node; false when no node holds them (or the link is down). */
  tellRemote(sender: string, receipt: Receipt): boolean {
    const node = this.remote.get(nameKey(sender))?.node;
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
    if (message.kind === 'bye') return this.dropNode(message.node, 'left the cluster');
    const node = this.nodeFor(message.node);
    node.lastHeardAt = Date.now();
    switch (message.kind) {
      case 'heartbeat':
        if (!node.synced || message.version !== node.version) this.requestSync(node);
        return;
      case 'join':
        this.show(node, message.peer);
        return this.follow(node, message.version);
      case 'leave':
        this.hide(node, message.name);
        return this.follow(node, message.version);
      case 'snapshot': {
        node.partial = [...(node.partial ?? []), ...message.peers];
        if (!message.final) return;
        const peers = node.partial;
        node.partial = undefined;
        this.reconcile(node, peers);
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

  private reconcile(node: RemoteNode, peers: readonly PeerSummary[]): void {
    const incoming = new Map(peers.map((peer) => [nameKey(peer.name), peer]));
    for (const [key, peer] of [...node.members]) if (!incoming.has(key)) this.hide(node, peer.name);
    for (const peer of incoming.values()) this.show(node, peer);
  }

  private show(node: RemoteNode, peer: PeerSummary): void {
    const key = nameKey(peer.name);
    node.members.set(key, peer);
    if (this.host.holdsLocally(peer.name)) {
      // Being admitted here too: our own claim settles it, and nameFreed() shows theirs if we lose.
      if (!this.host.isMember(peer.name)) return;
      // Two nodes say they hold one name: possible only around a broker outage. The claims
      // bucket decides; whichever node lost it evicts its member.
      this.host.logger.log('warn', 'cluster.name_clash', { node: node.id });
      void this.verifyLocalClaim(peer.name);
      return;
    }
    const shown = this.remote.get(key);
    if (shown !== undefined && shown.node === node.id && samePeer(shown.peer, peer)) {
      // The same member, re-announced: only the away message can have changed.
      if ((shown.peer.away ?? '') !== (peer.away ?? '')) {
        this.remote.set(key, { peer, node: node.id });
        this.host.remoteAway(peer.name, peer.away ?? '');
      }
      return;
    }
    if (shown !== undefined && shown.node === node.id && sameConnection(shown.peer, peer)) {
      // The same connection with a rotated signed prekey: announced again, not as a leave and a join.
      this.remote.set(key, { peer, node: node.id });
      this.host.remoteJoined(peer);
      return;
    }
    if (shown !== undefined) {
      // The newer announcement wins; the older record (a node that missed a leave) is dropped.
      if (shown.node !== node.id) this.nodes.get(shown.node)?.members.delete(key);
      this.host.remoteLeft(shown.peer.name);
    }
    this.remote.set(key, { peer, node: node.id });
    this.host.remoteJoined(peer);
  }

  private hide(node: RemoteNode, name: string): void {
    const key = nameKey(name);
    if (!node.members.delete(key)) return;
    const shown = this.remote.get(key);
    if (shown?.node !== node.id) return;
    this.remote.delete(key);
    this.host.remoteLeft(shown.peer.name);
  }

  private dropNode(id: string, why: string): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    this.host.logger.log('info', 'cluster.node_gone', { node: id, members: node.members.size, why });
    for (const peer of [...node.members.values()]) this.hide(node, peer.name);
  }

  private nodeFor(id: string): RemoteNode {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { id, version: 0, synced: false, lastHeardAt: Date.now(), syncRequestedAt: 0, members: new Map(), partial: undefined };
      this.nodes.set(id, node);
    }
    return node;
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
    const deadline = Date.now() - this.timing.leaseMs;
    for (const node of [...this.nodes.values()]) {
      if (node.lastHeardAt < deadline) this.dropNode(node.id, 'lease expired');
    }
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
    if (this.remote.get(nameKey(name))?.node === node) return true;
    this.host.logger.log('warn', 'cluster.unknown_sender', { node });
    return false;
  }

  private logError(event: string, error: unknown): void {
    this.host.logger.log('warn', event, { error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
  }
}

/** The same member on the same connection (key and join time), whatever its prekey. */
function sameConnection(a: PeerSummary, b: PeerSummary): boolean {
  return a.name === b.name && a.publicKey === b.publicKey && a.joinedAt === b.joinedAt;
}

function samePeer(a: PeerSummary, b: PeerSummary): boolean {
  return a.name === b.name && a.publicKey === b.publicKey && a.prekey === b.prekey && a.prekeySig === b.prekeySig && a.joinedAt === b.joinedAt;
}
