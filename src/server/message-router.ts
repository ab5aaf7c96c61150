// Routing of sealed envelopes the server cannot read: to this node's members live, to users who
// are away through the store (store-and-forward.ts), to other nodes' members through the cluster
// link, and the ack that tells the sender, per recipient, where each one went. Nothing is dropped
// without its sender hearing of it.
import { ChatError, ErrorCode } from '../core/errors.js';
import { encodeEnvelopeJson } from '../core/envelope-json.js';
import { encodeDeliveryFrame } from '../core/message-codec.js';
import type { RecipientRefusal, SendMessage } from '../core/messages.js';
import { isValidName, nameKey } from '../core/names.js';
import type { PeerRegistry } from '../core/peer-registry.js';
import type { UndeliveredNotice } from './cluster/cluster-bus.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { DirectRelay, RoomRelay } from './cluster/cluster-wire.js';
import { type ServerMetrics, noMetrics } from './metrics/server-metrics.js';
import type { MemberLink } from './member-link.js';
import type { JoinedPeer } from './joined-peer.js';
import type { StoreAndForward } from './store-and-forward.js';
import { isValidRoomName } from '../core/room-names.js';
import type { RoomDirectory } from './rooms/room-directory.js';

export class MessageRouter {
  constructor(
    private readonly members: PeerRegistry<JoinedPeer>,
    /** The cluster link, once joined; undefined for a lone server. */
    private readonly cluster: () => ClusterLink | undefined,
    private readonly forward: StoreAndForward,
    /** The registered names the lobby is kept for while they are away (none on a big server). */
    private readonly registeredNames: () => readonly string[],
    /** Named rooms: a message to one goes to its members. */
    private readonly rooms: RoomDirectory,
    private readonly metrics: ServerMetrics = noMetrics,
  ) {}

  route(sender: MemberLink, message: SendMessage): void {
    const from = sender.peer!.name;
    const { envelope } = message;
    if (message.to !== null && !isValidName(message.to) && !isValidRoomName(message.to)) {
      sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, 'no user or room by that name'), false, envelope.id);
      return;
    }
    const isRoom = message.to === null || message.to.startsWith('#');
    // Serialized once, on first need, for every use: live frames, relays to other nodes, the store's count.
    let serialized: string | undefined;
    const envelopeJson = () => (serialized ??= encodeEnvelopeJson(envelope));
    const frame = deliveryFrame(from, message.to, envelopeJson);
    const sent: string[] = [];
    const stored: string[] = [];
    const refused: RecipientRefusal[] = [];
    const waits: Array<Promise<void>> = [];
    const remote = new Map<string, string>();
    const away: string[] = [];
    for (const name of this.recipientsOf(from, message, refused)) {
      const local = this.members.get(name);
      if (local !== undefined && this.forward.canDeliverLive(local.name)) {
        if (this.forward.deliverLive(local, frame(), { from, to: message.to, envelope })) {
          sent.push(local.name);
          continue;
        }
        // Dropped just now as a slow reader: kept for when they are back, like anyone away.
      }
      const elsewhere = local === undefined ? this.cluster()?.remotePeer(name) : undefined;
      if (elsewhere !== undefined) {
        remote.set(elsewhere.peer.name, '');
        continue;
      }
      away.push(local?.name ?? this.forward.store?.registration(name)?.name ?? name);
    }
    if (!isRoom && message.to !== null) this.forward.store?.noteContact(from, message.to);
    if (away.length > 0) {
      // One copy for all the away members of a room, charged to the sender's shares of the store.
      const origin = this.forward.store?.originOf(sender.ipAddress);
      waits.push(
        this.forward
          .keepForAll(away, { from, to: message.to, envelope, envelopeJson: envelopeJson(), ...(origin === undefined ? {} : { origin }) })
          .then((outcome) => {
            for (const [name, error] of outcome) {
              if (error === undefined) stored.push(name);
              else refused.push({ name, code: error.code ?? ErrorCode.STORE_FAILED, reason: error.message });
            }
          }),
      );
    }
    this.metrics.delivered(isRoom ? 'room' : 'dm', sent.length);
    if (remote.size > 0) waits.push(this.relay(from, message, envelopeJson(), remote, sent, refused));
    const ack = () => sender.send({ type: 'ack', id: envelope.id, sent, stored, refused });
    if (waits.length === 0) ack();
    // One wait (a DM to another node, or to someone away) needs no Promise.all around it.
    else if (waits.length === 1) void waits[0]!.then(ack);
    else void Promise.all(waits).then(ack);
  }

  /** The sender's recipients: the DM's one, or every member of the room or lobby (narrowed by `only`). */
  private recipientsOf(from: string, message: SendMessage, refused: RecipientRefusal[]): string[] {
    const self = nameKey(from);
    if (message.to?.startsWith('#') === true) {
      if (!this.rooms.isMember(message.to, from)) {
        // Told as a refusal naming the sender: "not delivered (you are not in #x)".
        refused.push({ name: from, code: ErrorCode.NOT_IN_ROOM, reason: `you are not in ${message.to}: :join it first` });
        return [];
      }
      return this.filtered(self, message, this.rooms.membersOf(message.to));
    }
    if (message.to !== null) {
      const to = message.to;
      if (nameKey(to) === self) {
        refused.push({ name: to, code: ErrorCode.NO_SUCH_PEER, reason: 'that is you' });
        return [];
      }
      if (this.members.has(to) || this.cluster()?.remotePeer(to) !== undefined || this.forward.isRegistered(to)) return [to];
      refused.push({ name: to, code: ErrorCode.NO_SUCH_PEER, reason: `nobody called ${to} is online or registered on this server` });
      return [];
    }
    return this.filtered(self, message, [
      ...this.members.list().map((peer) => peer.name),
      ...(this.cluster()?.remotePeers() ?? []).map((peer) => peer.name),
      ...this.registeredNames(),
    ]);
  }

  /** `candidates` without the sender, duplicates, and whoever `only` / `except` leave out. */
  private filtered(self: string, message: SendMessage, candidates: readonly string[]): string[] {
    const only = message.only === undefined ? undefined : new Set(message.only.map(nameKey));
    const except = new Set((message.except ?? []).map(nameKey));
    const names = new Map<string, string>();
    for (const name of candidates) {
      const key = nameKey(name);
      if (key !== self && (only === undefined || only.has(key)) && !except.has(key) && !names.has(key)) names.set(key, name);
    }
    return [...names.values()];
  }

  /** Hands remote recipients to the cluster; resolves when the outcome is known for the ack. */
  private async relay(
    from: string,
    message: SendMessage,
    envelopeJson: string,
    remote: Map<string, string>,
    sent: string[],
    refused: RecipientRefusal[],
  ): Promise<void> {
    const cluster = this.cluster()!;
    if (message.to === null || message.to.startsWith('#')) {
      // Counted as sent once handed to the broker. Each node answers for its recipients; one it no
      // longer had, or a node that does not answer, reaches the sender as an error (undelivered()).
      // Every node splices these bytes into its recipients' frames.
      const notSent = new Set(cluster.relayRoom(from, message.to, message.envelope.id, envelopeJson, remote));
      for (const name of remote.keys()) {
        if (notSent.has(name)) refused.push({ name, code: ErrorCode.CLUSTER_UNAVAILABLE, reason: 'the link to the rest of the cluster is down' });
        else sent.push(name);
      }
      this.metrics.delivered('relayed_out', remote.size - notSent.size);
      return;
    }
    const [name] = remote.keys();
    // The node holding the recipient splices these bytes into its frame.
    const handOff = await cluster.sendDirect(from, name!, message.envelope.id, envelopeJson);
    switch (handOff) {
      case 'delivered':
        this.metrics.delivered('relayed_out');
        sent.push(name!);
        return;
      case 'not-delivered':
        refused.push({ name: name!, code: ErrorCode.SLOW_READER, reason: `${name} could not take it (dropped as a slow reader)` });
        return;
      case 'absent':
        refused.push({ name: name!, code: ErrorCode.NO_SUCH_PEER, reason: `${name} left before it reached them` });
        return;
      case 'unreachable':
        refused.push({ name: name!, code: ErrorCode.CLUSTER_UNAVAILABLE, reason: 'the server holding them did not answer' });
        return;
    }
  }

  // ---- relays from other nodes ----------------------------------------------------------------

  deliverRoom(relay: RoomRelay, recipients: Readonly<Record<string, string>>): string[] {
    let frame: Buffer | undefined;
    const to = relay.room ?? null;
    const roomFrame = () => (frame ??= encodeDeliveryFrame(relay.from, to, relay.envelopeJson));
    // Each delivery is tracked until its recipient confirms it: stored if they go first, and the
    // sender's node told what became of it.
    const missed = Object.keys(recipients).filter((name) => {
      const recipient = this.members.get(name);
      return (
        recipient === undefined ||
        !this.forward.deliverRelayed(recipient, roomFrame(), { from: relay.from, to, id: relay.id, envelopeJson: relay.envelopeJson })
      );
    });
    this.metrics.delivered('relayed_in', Object.keys(recipients).length - missed.length);
    return missed;
  }

  deliverDirect(relay: DirectRelay): boolean {
    const recipient = this.members.get(relay.to);
    if (recipient === undefined) return false;
    const frame = encodeDeliveryFrame(relay.from, recipient.name, relay.envelopeJson);
    // Tracked until the recipient confirms it, so it is stored for them if they go first.
    const delivered = this.forward.deliverRelayed(recipient, frame, { from: relay.from, to: recipient.name, id: relay.id, envelopeJson: relay.envelopeJson });
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

/** The delivery frame for one envelope, built on first use and shared by every recipient. */
function deliveryFrame(from: string, to: string | null, envelopeJson: () => string): () => Buffer {
  let frame: Buffer | undefined;
  return () => {
    frame ??= encodeDeliveryFrame(from, to, envelopeJson());
    return frame;
  };
}
