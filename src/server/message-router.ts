// Routing of sealed envelopes the server cannot read: to this node's members directly, to other
// nodes' members through the cluster link, and the ack (or error) that tells the sender where each
// one went. Nothing is dropped without its sender hearing of it.
import { ChatError, ErrorCode } from '../core/errors.js';
import { encodeTextFrame } from '../core/frame-encoder.js';
import { FrameType } from '../core/frame-types.js';
import type { Envelope, SendMessage } from '../core/messages.js';
import { nameKey } from '../core/names.js';
import type { PeerRecord, PeerRegistry } from '../core/peer-registry.js';
import type { ClientConnection } from './client-connection.js';
import type { UndeliveredNotice } from './cluster/cluster-bus.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { DirectRelay, RoomRelay } from './cluster/cluster-wire.js';
import { type ServerMetrics, noMetrics } from './metrics/server-metrics.js';

/** A member of this node: what the registry holds for each joined connection. */
export interface JoinedPeer extends PeerRecord {
  readonly prekey: string;
  readonly prekeySig: string;
  readonly connection: ClientConnection;
}

export class MessageRouter {
  constructor(
    private readonly members: PeerRegistry<JoinedPeer>,
    /** The cluster link, once joined; undefined for a lone server. */
    private readonly cluster: () => ClusterLink | undefined,
    private readonly metrics: ServerMetrics = noMetrics,
  ) {}

  route(sender: ClientConnection, message: SendMessage): void {
    const from = sender.peer!.name;
    const { envelope, keys } = message;
    const frameFor = deliveryFrames(from, message.to, envelope);
    if (message.to !== null) return this.routeDirect(sender, message.to, message, frameFor);

    let delivered = 0;
    const missing: string[] = [];
    const remoteKeys = new Map<string, string>();
    // Names are case-insensitive: "bob" and "BOB" in one key table must not deliver twice.
    const reached = new Set<string>([nameKey(from)]);
    for (const [name, key] of Object.entries(keys)) {
      if (reached.has(nameKey(name))) continue;
      reached.add(nameKey(name));
      const local = this.members.get(name);
      const remote = local === undefined ? this.cluster()?.remotePeer(name) : undefined;
      if (local !== undefined) {
        if (local.connection.sendFrame(frameFor(key))) delivered++;
        else missing.push(local.name);
      } else if (remote !== undefined) {
        remoteKeys.set(remote.peer.name, key);
      } else {
        missing.push(name);
      }
    }
    this.metrics.delivered('room', delivered);
    if (remoteKeys.size > 0) {
      // Counted as delivered once handed to the broker. Each node answers for its recipients; one
      // it no longer had, or a node that does not answer, reaches the sender as an error naming
      // them (undelivered() below).
      const notSent = this.cluster()!.relayRoom(from, envelope, remoteKeys);
      delivered += remoteKeys.size - notSent.length;
      this.metrics.delivered('relayed_out', remoteKeys.size - notSent.length);
      missing.push(...notSent);
    }
    // Every room message walks the whole membership here: read the records as they are rather than
    // building a summary object per member per message.
    // `reached` holds every name in the key table, case-folded like the lookups above.
    const unkeyed: string[] = [];
    for (const peer of [...this.members.list(), ...(this.cluster()?.remotePeers() ?? [])]) {
      if (!reached.has(nameKey(peer.name))) unkeyed.push(peer.name);
    }
    sender.send({ type: 'ack', id: envelope.id, delivered, missing, unkeyed });
  }

  private routeDirect(sender: ClientConnection, to: string, message: SendMessage, frameFor: (key: string) => Buffer): void {
    const { envelope, keys } = message;
    const recipient = this.members.get(to);
    const remote = recipient === undefined ? this.cluster()?.remotePeer(to) : undefined;
    const name = recipient?.name ?? remote?.peer.name;
    if (name === undefined) {
      sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, `${to} is not online`), false, envelope.id);
      return;
    }
    // A ratcheted DM carries no key field: the key comes from the pair's Double Ratchet. The
    // field stays in the wire format until protocol v4 drops it (docs/PROTOCOL.md).
    const key = envelope.ratchet !== undefined ? '' : keys[name];
    if (key === undefined) {
      sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, `the message has no key for ${name}`), false, envelope.id);
      return;
    }
    if (recipient !== undefined) {
      const delivered = recipient.connection.sendFrame(frameFor(key)) ? 1 : 0;
      this.metrics.delivered('dm', delivered);
      sender.send({ type: 'ack', id: envelope.id, delivered, missing: delivered ? [] : [name], unkeyed: [] });
      return;
    }
    void this.cluster()!
      .sendDirect(sender.peer!.name, name, envelope, key)
      .then((handOff) => {
        switch (handOff) {
          case 'delivered':
          case 'not-delivered': {
            const delivered = handOff === 'delivered' ? 1 : 0;
            this.metrics.delivered('relayed_out', delivered);
            sender.send({ type: 'ack', id: envelope.id, delivered, missing: delivered ? [] : [name], unkeyed: [] });
            return;
          }
          case 'absent':
            sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, `${name} is not online`), false, envelope.id);
            return;
          case 'unreachable':
            sender.reject(new ChatError(ErrorCode.CLUSTER_UNAVAILABLE, `not delivered to ${name}: the server holding them did not answer`), false, envelope.id);
            return;
        }
      });
  }

  // ---- relays from other nodes ----------------------------------------------------------------

  deliverRoom(relay: RoomRelay, recipients: Readonly<Record<string, string>>): string[] {
    const frameFor = deliveryFrames(relay.from, null, relay.envelope);
    const missed = Object.entries(recipients)
      .filter(([name, key]) => this.members.get(name)?.connection.sendFrame(frameFor(key)) !== true)
      .map(([name]) => name);
    this.metrics.delivered('relayed_in', Object.keys(recipients).length - missed.length);
    return missed;
  }

  deliverDirect(relay: DirectRelay): boolean {
    const recipient = this.members.get(relay.to);
    const delivered = recipient?.connection.sendFrame(deliveryFrames(relay.from, recipient.name, relay.envelope)(relay.key)) === true;
    if (delivered) this.metrics.delivered('relayed_in');
    return delivered;
  }

  undelivered(notice: UndeliveredNotice): void {
    const sender = this.members.get(notice.from);
    const names = notice.names.join(', ');
    const error =
      notice.reason === 'left'
        ? new ChatError(ErrorCode.NO_SUCH_PEER, `not delivered to ${names}: they left before it reached them`)
        : notice.reason === 'unconfirmed'
          ? new ChatError(ErrorCode.CLUSTER_UNAVAILABLE, `may not have reached ${names}: their server did not confirm it`)
          : new ChatError(ErrorCode.CLUSTER_UNAVAILABLE, `not delivered to ${names}: the link to the rest of the cluster is down`);
    sender?.connection.reject(error, false, notice.id);
  }
}

/** The delivery frame for one envelope, serialized once; only each recipient's key is spliced in. */
function deliveryFrames(from: string, to: string | null, envelope: Envelope): (key: string) => Buffer {
  // Made on first use: a DM for another node's member never needs it here.
  let head: string | undefined;
  return (wrappedKey) => {
    head ??= `{"type":"message","from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"envelope":${JSON.stringify(envelope)},"key":"`;
    return encodeTextFrame(FrameType.CONTROL, `${head}${wrappedKey}"}`);
  };
}
