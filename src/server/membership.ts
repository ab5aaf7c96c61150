// Who is a member here, from admission to departure: an authenticated connection let in (its name
// checked: free here, not being admitted, not held on another node, and cluster-wide won by one
// node only; its registration on disk before its welcome; an older connection of the same key
// replaced), its rotated prekey and away message kept and told, and its leaving.
import { ChatError, ErrorCode } from '../core/errors.js';
import { shortFingerprint } from '../core/fingerprint.js';
import type { KeyRetirement } from '../core/key-retirement.js';
import type { Logger } from '../core/logger.js';
import { MAX_BATCH_RECEIVED, MAX_BATCH_SENDS } from '../core/messages.js';
import { nameKey } from '../core/names.js';
import { NameTakenError, type PeerRegistry } from '../core/peer-registry.js';
import type { ClientConnection } from './client-connection.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { JoinedPeer } from './joined-peer.js';
import type { MemberPresence } from './member-presence.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import { type NameRegistrar, nameUnavailable } from './name-registrar.js';
import { keyIdOf, registeringPeerOf, toSummary } from './peer-summaries.js';
import type { RoomService } from './rooms/room-service.js';
import type { ServerLimits } from './server-limits.js';
import type { StoreAndForward } from './store-and-forward.js';

export interface MembershipParts {
  readonly registry: PeerRegistry<JoinedPeer<ClientConnection>>;
  readonly names: NameRegistrar;
  readonly presence: MemberPresence;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  limits(): ServerLimits;
  cluster(): ClusterLink | undefined;
  rooms(): RoomService;
  forward(): StoreAndForward;
  /** An older connection under the name was replaced: it leaves as any closed connection does. */
  replaced(connection: ClientConnection): void;
}

export class Membership {
  /** Names whose admission is in flight (a registration written, a cluster-wide claim): taken here already. */
  private readonly admitting = new Set<string>();

  constructor(private readonly parts: MembershipParts) {}

  /** A member's connection here closed: it leaves the registry, stays registered (listed as away) and the cluster is told. */
  left(connection: ClientConnection): void {
    const { registry, names, logger } = this.parts;
    const peer = connection.peer;
    if (peer === undefined || registry.get(peer.name)?.connection !== connection) return;
    const record = registry.get(peer.name)!;
    registry.remove(peer.name);
    names.left(peer.name);
    const forward = this.parts.forward();
    forward.closed(connection);
    void names.register(record);
    logger.log('info', 'client.left', { name: peer.name, online: registry.size });
    // A registered user stays listed, as away; only a user nothing can be kept for leaves the list.
    this.parts.presence.left(record, connection, forward.isRegistered(peer.name));
    this.parts.cluster()?.memberLeft(peer.name);
  }

  /**
   * A member rotated its signed prekey while connected: kept with its registration, and its
   * presence announced again (a new keyId) so peers fetch the new bundle when they next need it.
   */
  signedPrekeyChanged(connection: ClientConnection, signed: { readonly prekey: string; readonly prekeySig: string }): void {
    const record = connection.peer === undefined ? undefined : this.parts.registry.get(connection.peer.name);
    if (record === undefined) return;
    record.prekey = signed.prekey;
    record.prekeySig = signed.prekeySig;
    record.keyId = keyIdOf(record.publicKeyBase64, record.prekey);
    void this.parts.names.register(record);
    this.parts.presence.announceSummary(toSummary(record), connection);
    this.parts.cluster()?.memberJoined(toSummary(record));
  }

  /** `:away TEXT` (see MemberPresence.setAway); the cluster hears of it as a fresh announcement. */
  setAway(connection: ClientConnection, message: string): void {
    const changed = this.parts.presence.setAway(connection, message);
    if (changed !== undefined) this.parts.cluster()?.memberJoined(toSummary(changed));
  }

  /** Whether `name` is being admitted here right now. */
  isAdmitting(name: string): boolean {
    return this.admitting.has(nameKey(name));
  }

  checkNameAvailable(name: string, fingerprint?: string): void {
    const { registry } = this.parts;
    const cluster = this.parts.cluster();
    // Held here by a connection of the same key (a client back after a crash, before the server
    // noticed the old connection die): available; admit() closes the old one once the key is proven.
    const held = registry.get(name);
    if (held !== undefined && fingerprint !== undefined && held.fingerprint === fingerprint && cluster === undefined) return;
    try {
      registry.checkAvailable(name);
    } catch (error) {
      // Online or not, a taken name gets the one answer (a hello must not tell who is online).
      if (error instanceof NameTakenError) throw nameUnavailable(name);
      throw error;
    }
    if (this.isAdmitting(name) || cluster?.remotePeer(name) !== undefined) throw nameUnavailable(name);
  }

  checkRegistration(name: string, fingerprint: string, retirements: readonly KeyRetirement[], address: string): void {
    this.parts.names.checkHello(name, fingerprint, retirements, address);
  }

  admit(connection: ClientConnection): Promise<void> {
    if (connection.peer === undefined) throw new Error('admit() before the connection authenticated');
    const cluster = this.parts.cluster();
    return cluster === undefined ? this.admitLocal(connection) : this.admitClustered(connection, cluster);
  }

  /** The registration is on disk before the welcome: a crash right after it forgets no name. */
  private async admitLocal(connection: ClientConnection): Promise<void> {
    const name = connection.peer!.name;
    this.checkNameAvailable(name, connection.peer!.key.fingerprint);
    this.replaceStale(connection);
    const key = nameKey(name);
    this.admitting.add(key);
    try {
      await this.registerJoining(connection);
    } finally {
      this.admitting.delete(key);
    }
    if (connection.isOpen) this.addMember(connection);
  }

  /** The name must be won cluster-wide first: of two nodes admitting one name at once, one wins. */
  private async admitClustered(connection: ClientConnection, cluster: ClusterLink): Promise<void> {
    const name = connection.peer!.name;
    this.checkNameAvailable(name, connection.peer!.key.fingerprint);
    this.replaceStale(connection);
    const key = nameKey(name);
    this.admitting.add(key);
    let won = false;
    try {
      won = (await cluster.claim(name)).won;
      if (!won) throw new NameTakenError(name);
      await this.registerJoining(connection);
      if (!connection.isOpen) {
        won = false;
        cluster.release(name);
        return;
      }
      this.addMember(connection);
      cluster.memberJoined(toSummary(this.parts.registry.get(name)!));
    } finally {
      this.admitting.delete(key);
      if (!won) cluster.nameFreed(name);
    }
  }

  /** Closes an older connection of the same key under this name: the new one takes its place, nothing it was owed is lost (its unconfirmed deliveries are stored). */
  private replaceStale(connection: ClientConnection): void {
    const old = this.parts.registry.get(connection.peer!.name)?.connection;
    if (old === undefined || old === connection) return;
    this.parts.logger.log('info', 'client.replaced', { name: connection.peer!.name });
    old.reject(new ChatError(ErrorCode.REPLACED, 'you joined again under this name (from elsewhere, or after a restart): this connection is closed'), true);
    this.parts.replaced(old);
  }

  /**
   * Writes the joining member's registration (on disk before its welcome). A name new here starts
   * in no room, even if someone who held it before (released, or expired) was still listed in one.
   */
  private async registerJoining(connection: ClientConnection): Promise<void> {
    const isNewName = await this.parts.names.register(registeringPeerOf(connection), { address: connection.ipAddress, joining: true });
    if (isNewName) await this.parts.rooms().forget(connection.peer!.name);
  }

  private addMember(connection: ClientConnection): void {
    const { registry, presence, logger } = this.parts;
    const peer = connection.peer!;
    const record: JoinedPeer<ClientConnection> = {
      name: peer.name,
      publicKeyBase64: peer.key.publicKeyBase64,
      fingerprint: peer.key.fingerprint,
      joinedAt: peer.joinedAt,
      prekey: peer.prekey,
      prekeySig: peer.prekeySig,
      keyId: keyIdOf(peer.key.publicKeyBase64, peer.prekey),
      connection,
    };
    registry.add(record);
    this.parts.names.joined(peer.name);
    this.parts.metrics.joined();
    logger.log('info', 'client.joined', {
      name: peer.name,
      fingerprint: shortFingerprint(peer.key.fingerprint),
      addr: connection.remoteAddress,
      online: registry.size,
    });
    const rooms = this.parts.rooms().directory.roomsOf(peer.name);
    const store = this.parts.forward().store;
    const limits = this.parts.limits();
    connection.send({
      type: 'welcome',
      name: peer.name,
      ...presence.welcome(connection, record, rooms),
      limits: {
        maxControlFrameBytes: limits.maxControlFrameBytes,
        maxMediaFrameBytes: limits.maxMediaFrameBytes,
        maxBatchSends: MAX_BATCH_SENDS,
        maxBatchReceived: MAX_BATCH_RECEIVED,
      },
      ...(store === undefined ? {} : { oneTimePrekeys: store.oneTimePrekeyCount(peer.name) }),
      rooms,
    });
    presence.announceSummary(toSummary(record), connection);
    void this.parts.forward().joined(connection);
  }
}
