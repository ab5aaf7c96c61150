// What the other nodes of a cluster hold, as their presence messages say: each node's members
// (kept while its lease lasts) and the one listing shown for each name. A name held here and
// announced by another node (possible only around a broker outage) stays ours until the claims
// bucket has settled it: `clash` asks for that. ClusterLink reads the presence messages and
// drives this; the server hears of every change through RemoteMembersHost.
import type { Logger } from '../../core/logger.js';
import type { PeerSummary } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';

export interface RemoteMembersHost {
  readonly logger: Logger;
  /** Whether `name` is joined here or being admitted here. */
  holdsLocally(name: string): boolean;
  /** Whether `name` is joined here (not merely being admitted). */
  isMember(name: string): boolean;
  remoteJoined(peer: PeerSummary): void;
  /** A member of another node set or cleared (empty) their away message. */
  remoteAway(name: string, message: string): void;
  remoteLeft(name: string): void;
  /** Another node left or its lease ran out: what it ran for this node's users (a room's stream) is gone. */
  nodeGone(node: string): void;
}

export interface RemotePeer {
  readonly peer: PeerSummary;
  readonly node: string;
}

export interface RemoteNode {
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

export class RemoteMembers {
  private readonly nodes = new Map<string, RemoteNode>();
  private readonly remote = new Map<string, RemotePeer>();

  constructor(
    private readonly host: RemoteMembersHost,
    /** A member here and one elsewhere say they hold one name: check our claim (the loser is evicted). */
    private readonly clash: (name: string) => void,
  ) {}

  get nodeCount(): number {
    return this.nodes.size;
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  get(name: string): RemotePeer | undefined {
    return this.remote.get(nameKey(name));
  }

  get count(): number {
    return this.remote.size;
  }

  peers(): PeerSummary[] {
    return [...this.remote.values()].map((entry) => entry.peer);
  }

  /** No member of this node goes by `name` any more: another node's, hidden while ours held it, shows now. */
  nameFreed(name: string): void {
    const key = nameKey(name);
    for (const node of this.nodes.values()) {
      const peer = node.members.get(key);
      if (peer !== undefined) return this.show(node, peer);
    }
  }

  /** Nodes not heard from since `deadline` are presumed dead. */
  expire(deadline: number): void {
    for (const node of [...this.nodes.values()]) {
      if (node.lastHeardAt < deadline) this.drop(node.id, 'lease expired');
    }
  }

  reconcile(node: RemoteNode, peers: readonly PeerSummary[]): void {
    const incoming = new Map(peers.map((peer) => [nameKey(peer.name), peer]));
    for (const [key, peer] of [...node.members]) if (!incoming.has(key)) this.hide(node, peer.name);
    for (const peer of incoming.values()) this.show(node, peer);
  }

  show(node: RemoteNode, peer: PeerSummary): void {
    const key = nameKey(peer.name);
    node.members.set(key, peer);
    if (this.host.holdsLocally(peer.name)) {
      // Being admitted here too: our own claim settles it, and nameFreed() shows theirs if we lose.
      if (!this.host.isMember(peer.name)) return;
      // Two nodes say they hold one name: possible only around a broker outage. The claims
      // bucket decides; whichever node lost it evicts its member.
      this.host.logger.log('warn', 'cluster.name_clash', { node: node.id });
      this.clash(peer.name);
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

  hide(node: RemoteNode, name: string): void {
    const key = nameKey(name);
    if (!node.members.delete(key)) return;
    const shown = this.remote.get(key);
    if (shown?.node !== node.id) return;
    this.remote.delete(key);
    this.host.remoteLeft(shown.peer.name);
  }

  drop(id: string, why: string): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    this.host.logger.log('info', 'cluster.node_gone', { node: id, members: node.members.size, why });
    for (const peer of [...node.members.values()]) this.hide(node, peer.name);
    this.host.nodeGone(id);
  }

  nodeFor(id: string): RemoteNode {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { id, version: 0, synced: false, lastHeardAt: Date.now(), syncRequestedAt: 0, members: new Map(), partial: undefined };
      this.nodes.set(id, node);
    }
    return node;
  }
}

/** The same member on the same connection (key and join time), whatever its prekey. */
function sameConnection(a: PeerSummary, b: PeerSummary): boolean {
  return a.name === b.name && a.publicKey === b.publicKey && a.joinedAt === b.joinedAt;
}

function samePeer(a: PeerSummary, b: PeerSummary): boolean {
  return a.name === b.name && a.publicKey === b.publicKey && a.prekey === b.prekey && a.prekeySig === b.prekeySig && a.joinedAt === b.joinedAt;
}
