// The relay daemon, on one event loop: accepts sockets and routes envelopes it cannot read. Its
// parts: membership.ts (members in and out), member-presence.ts (what they hear of each other),
// store-services.ts (store, rooms, router), cluster-host.ts (other nodes), server-shutdown.ts.
import type { AddressInfo, Socket } from 'node:net';
import type { KeyRetirement } from '../core/key-retirement.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { encodeMessage } from '../core/message-codec.js';
import type { OneTimePrekey, PeerSummary, SendMessage } from '../core/messages.js';
import { PeerRegistry } from '../core/peer-registry.js';
import { ClientConnection, type ConnectionHost, type VideoRequest } from './client-connection.js';
import type { JoinedPeer } from './joined-peer.js';
import { KeyBundles } from './key-bundles.js';
import type { MessageRouter } from './message-router.js';
import { BudgetCarryover } from './budget-carryover.js';
import { ChatListener } from './chat-listener.js';
import { type ServerGauges, type ServerMetrics, noMetrics } from './metrics/server-metrics.js';
import { VideoService } from './video/video-service.js';
import type { FileService } from './files/file-service.js';
import { type ServerFilesParts, createServerFiles } from './files/server-files.js';
import type { FileChunk } from '../core/file-codec.js';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './server-limits.js';
import type { ClusterOptions } from './cluster/cluster-options.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { StoreAndForward } from './store-and-forward.js';
import { type StoreServices, expireStored, storeServicesOver } from './store-services.js';
import { OneTimePrekeyRation } from './one-time-prekey-ration.js';
import { NameRegistrar } from './name-registrar.js';
import type { DurableStore } from './store/durable-store.js';
import { type KeyValue, LmdbKeyValue, MemoryKeyValue } from './store/key-value.js';
import type { RoomService } from './rooms/room-service.js';
import type { FileRequest, RoomRequest } from '../core/messages.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../core/network-defaults.js';
import { joinCluster } from './cluster-host.js';
import { Membership } from './membership.js';
import { MemberPresence } from './member-presence.js';
import { ServerShutdown } from './server-shutdown.js';

import type { ChatServerOptions } from './chat-server-options.js';
export type { ChatServerOptions } from './chat-server-options.js';

/** How often stored messages and registrations are checked for expiry. */
const EXPIRY_SWEEP_MS = 60_000;

export class ChatServer implements ConnectionHost<ClientConnection> {
  private currentLimits: ServerLimits;
  readonly logger: Logger;
  readonly videosDir: string;
  private readonly host: string;
  private readonly port: number;
  /** The listening socket, and the count of every socket against the connection limits. */
  private readonly listener: ChatListener;
  private readonly connections = new Set<ClientConnection>();
  /** Flood control that outlives a connection: hanging up and coming back buys no fresh burst. */
  readonly budgetCarryover = new BudgetCarryover(() => this.limits);
  private readonly registry = new PeerRegistry<JoinedPeer<ClientConnection>>();
  readonly metrics: ServerMetrics;
  /** The store for away users, the rooms and the router (replaced when the store changes). */
  private services!: StoreServices;
  private readonly dataDir: string | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Closing down: draining, then cutting off (server-shutdown.ts). */
  private readonly shutdown: ServerShutdown;
  readonly videos: VideoService;
  /** Files (on a cluster, replaced once joined by one over the cluster's bucket). */
  files: FileService;
  private readonly clusterOptions: ClusterOptions | undefined;
  private cluster: ClusterLink | undefined;
  /** Who may join under which name: owners, look-alikes, and each key's and address's share of names. */
  private readonly names = new NameRegistrar(
    () => this.forward.store,
    () => this.cluster?.remotePeers() ?? [],
    // The logger is set in the constructor, after this field: read it when used.
    { log: (level, event, fields) => this.logger.log(level, event, fields) },
  );
  /** Key bundles and one-time prekeys, rationed per asker and address. */
  private readonly bundles = new KeyBundles({
    ration: new OneTimePrekeyRation(() => this.limits),
    summaryOf: (name) => this.presence.summaryOf(name),
    store: () => this.forward.store,
    online: (name) => this.registry.get(name),
    limits: () => this.limits,
    logger: () => this.logger,
  });
  /** What members are told of each other (member-presence.ts). */
  private readonly presence = new MemberPresence({
    registry: this.registry,
    limits: () => this.limits,
    cluster: () => this.cluster,
    store: () => this.forward.store,
    rooms: () => this.rooms.directory,
    isClosing: () => this.shutdown.isClosing,
  });
  /** Who is a member here, from admission to departure (membership.ts). */
  private readonly membership: Membership;

  constructor(options: ChatServerOptions = {}) {
    this.host = options.host ?? DEFAULT_HOST;
    this.port = options.port ?? DEFAULT_PORT;
    this.currentLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
    this.dataDir = options.dataDir;
    this.useStore(options.cluster === undefined ? (options.keyValue ?? new MemoryKeyValue()) : undefined);
    this.videosDir = options.videosDir ?? 'videos';
    this.listener = new ChatListener(options.tls, {
      logger: this.logger,
      metrics: this.metrics,
      limits: () => this.limits,
      isClosing: () => this.shutdown.isClosing,
      onStream: (socket) => this.onStream(socket),
      refuse: (socket, refusal) => new ClientConnection(socket, this).reject(refusal, true),
    });
    this.files = createServerFiles(this.filesParts());
    this.videos = new VideoService({
      videosDir: this.videosDir,
      ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
      maxStreams: this.limits.maxStreams,
      maxMediaFrameBytes: this.limits.maxMediaFrameBytes,
      logger: this.logger,
      // Read through `this.rooms` on each call: the store (and with it the rooms) opens in listen().
      rooms: {
        roomOf: (room, user) => (this.rooms.directory.isMember(room, user) ? this.rooms.directory.nameOf(room) : undefined),
        membersControl: (room) => this.rooms.directory.view(room)?.membersControlVideo === true,
        tell: (room, message) => this.rooms.tellMembers(room, encodeMessage(message)),
      },
    });
    this.clusterOptions = options.cluster;
    this.shutdown = new ServerShutdown({
      logger: this.logger,
      connections: this.connections,
      listener: this.listener,
      videos: this.videos,
      drainMs: options.shutdownDrainMs ?? 0,
      cluster: () => this.cluster,
      store: () => this.forward.store,
      stopped: () => clearInterval(this.expiryTimer),
    });
    this.membership = new Membership({
      registry: this.registry,
      names: this.names,
      presence: this.presence,
      metrics: this.metrics,
      logger: this.logger,
      limits: () => this.limits,
      cluster: () => this.cluster,
      rooms: () => this.rooms,
      forward: () => this.forward,
      replaced: (connection) => this.onClosed(connection),
    });
  }

  /** Joins the cluster first (when clustered), then resolves with the bound address once listening. */
  async listen(): Promise<AddressInfo> {
    if (this.dataDir !== undefined && this.clusterOptions === undefined && this.forward.store?.durable !== true) {
      const store = this.useStore(await LmdbKeyValue.open(this.dataDir));
      this.logger.log('info', 'store.opened', { dir: this.dataDir, ...store!.stats, rooms: this.rooms.directory.count });
    }
    if (this.clusterOptions !== undefined) {
      this.cluster = await joinCluster(this.clusterOptions, {
        logger: this.logger,
        registry: this.registry,
        membership: this.membership,
        presence: this.presence,
        videos: this.videos,
        router: () => this.router,
        forward: () => this.forward,
      });
      const watch = this.cluster.watch;
      if (watch !== undefined) this.videos.joinCluster(watch, this.cluster.nodeId);
      const files = await this.cluster.openFiles();
      if (files !== undefined) this.files = createServerFiles(this.filesParts(), files);
      // Registrations and messages for away users live in the broker's JetStream, shared by every node.
      const shared = await this.cluster.openStore();
      if (shared !== undefined) {
        const store = this.useStore(shared);
        this.logger.log('info', 'store.opened', { cluster: this.clusterOptions.name, ...store!.stats, rooms: this.rooms.directory.count });
      }
    }
    if (this.forward.store !== undefined) {
      this.expiryTimer = setInterval(() => void this.sweepExpired(), EXPIRY_SWEEP_MS);
      this.expiryTimer.unref();
      await this.sweepExpired();
    }
    return this.listener.listen(this.port, this.host);
  }

  /** The limits in force (reload() replaces them; a connection reads them when it needs one). */
  get limits(): ServerLimits {
    return this.currentLimits;
  }

  /**
   * SIGHUP: new limits and videos folder, without dropping anyone. Connection counts and frame
   * sizes apply at once; a connection's flood-control rates and handshake timeout are fixed when
   * it connects, so the new ones apply to connections made after. The TLS handshake timeout, the
   * address and clustering need a restart.
   */
  reload(changes: { readonly limits?: Partial<ServerLimits>; readonly videosDir?: string }): void {
    this.currentLimits = { ...this.currentLimits, ...changes.limits };
    this.forward.store?.reconfigure(this.currentLimits);
    this.rooms.directory.reconfigure(this.currentLimits);
    this.files.reconfigure(this.currentLimits);
    this.videos.reconfigure({
      maxStreams: this.currentLimits.maxStreams,
      maxMediaFrameBytes: this.currentLimits.maxMediaFrameBytes,
      ...(changes.videosDir === undefined ? {} : { videosDir: changes.videosDir }),
    });
    this.logger.log('info', 'server.reloaded', { maxClients: this.currentLimits.maxClients, maxStreams: this.currentLimits.maxStreams });
  }

  get address(): AddressInfo {
    return this.listener.address;
  }

  /** Names of joined clients, in join order, then (when clustered) those on other nodes. */
  get peerNames(): string[] {
    return this.presence.allPeers().map((peer) => peer.name);
  }

  /** This node's cluster id, or undefined when it stands alone. */
  get clusterNodeId(): string | undefined {
    return this.cluster?.nodeId;
  }

  /** Sockets open right now, in any state: joined, joining, or still in the TLS handshake. */
  get connectionCount(): number {
    return this.listener.count;
  }

  /** What a metrics scrape reads at that moment. */
  gauges(): ServerGauges {
    const joined = this.registry.size;
    return {
      connectionsHandshaking: Math.max(0, this.listener.count - joined),
      connectionsJoined: joined,
      maxClients: this.limits.maxClients,
      videoStreams: this.videos.activeStreams,
      ffmpegProcesses: this.videos.ffmpegProcesses,
      store: this.forward.store?.stats ?? { messages: 0, bytes: 0, registrations: 0 },
      cluster: this.cluster === undefined ? undefined : { name: this.clusterOptions!.name, up: this.cluster.isUp, nodes: this.cluster.nodeCount },
    };
  }

  /** Bytes waiting to go out per joined client: what a slow reader costs the server right now. */
  pendingBytesByClient(): Record<string, number> {
    return Object.fromEntries(this.registry.list().map((peer) => [peer.name, peer.connection.pendingBytes]));
  }

  /** The store for away users, or undefined (a clustered node); tests read it. */
  get store(): DurableStore | undefined {
    return this.forward.store;
  }

  /** Expires what is stored (store-services.ts: expireStored) and files; at start, every minute, and on SIGHUP. */
  sweepExpired(): Promise<void> {
    // On a cluster the store is shared: one node sweeps it (the lowest id this node knows of), so
    // a sender hears of an expiry once, not once per node.
    if (this.cluster !== undefined && !this.cluster.sweepsSharedStore) return Promise.resolve();
    this.files.sweep().catch((error: unknown) => this.logger.log('warn', 'files.sweep_failed', { error: String(error).slice(0, 120) }));
    return expireStored(this.services, (name) => this.registry.has(name) || this.cluster?.remotePeer(name) !== undefined, this.logger);
  }

  /** Builds what lives over the store on `kv` (store-services.ts); returns the store for away users, if any. */
  private useStore(kv: KeyValue | undefined): DurableStore | undefined {
    this.services = storeServicesOver(kv, {
      registry: this.registry,
      logger: this.logger,
      metrics: this.metrics,
      limits: () => this.limits,
      cluster: () => this.cluster,
      knowsUser: (name) => this.knowsUser(name),
      isBig: () => this.presence.isBig(),
      leftRoom: (room, name) => {
        const member = this.registry.get(name);
        if (member !== undefined) this.videos.leftRoom(member.connection, room);
      },
      joinedRoom: (room, name) => this.presence.followEachOther(room, name),
    });
    return this.services.store;
  }

  private get rooms(): RoomService {
    return this.services.rooms;
  }

  private get forward(): StoreAndForward {
    return this.services.forward;
  }

  private get router(): MessageRouter {
    return this.services.router;
  }

  /** Online here or on another node, or registered. */
  private knowsUser(name: string): boolean {
    return this.registry.has(name) || this.cluster?.remotePeer(name) !== undefined || this.forward.isRegistered(name);
  }

  readonly file = (connection: ClientConnection, message: FileRequest): Promise<void> => this.files.handle(connection, message);
  readonly fileChunk = (connection: ClientConnection, chunk: FileChunk): Promise<void> => this.files.chunk(connection, chunk);

  private filesParts(): ServerFilesParts {
    return {
      dataDir: this.dataDir,
      limits: this.currentLimits,
      logger: this.logger,
      rooms: () => this.rooms.directory,
      knowsUser: (name) => this.knowsUser(name),
      store: () => this.forward.store,
    };
  }

  /** A room request from a joined member (see RoomService). */
  room(connection: ClientConnection, request: RoomRequest): Promise<void> {
    return this.rooms.handle(connection, request);
  }

  /**
   * Stops accepting, tells every client it is going away, lets them finish for the drain time,
   * then closes what is left (server-shutdown.ts).
   */
  close(reason = 'server shutting down'): Promise<void> {
    return this.shutdown.close(reason);
  }

  // ---- ConnectionHost ------------------------------------------------------------------------

  checkNameAvailable(name: string, fingerprint?: string): void {
    this.membership.checkNameAvailable(name, fingerprint);
  }

  checkRegistration(name: string, fingerprint: string, retirements: readonly KeyRetirement[], address: string): void {
    this.membership.checkRegistration(name, fingerprint, retirements, address);
  }

  admit(connection: ClientConnection): Promise<void> {
    return this.membership.admit(connection);
  }

  follow(connection: ClientConnection, names: readonly string[]): void {
    this.presence.follow(connection, names);
  }

  /** The keys of these users, each with a one-time prekey while they last (see KeyBundles). */
  keyBundles(asker: string, names: readonly string[], address = ''): Promise<PeerSummary[]> {
    return this.bundles.of(asker, names, address);
  }

  signedPrekeyChanged(connection: ClientConnection, signed: { readonly prekey: string; readonly prekeySig: string }): void {
    this.membership.signedPrekeyChanged(connection, signed);
  }

  addOneTimePrekeys(connection: ClientConnection, keys: readonly OneTimePrekey[]): void {
    if (connection.peer !== undefined) this.bundles.addOneTimePrekeys(connection.peer.name, keys);
  }

  /** The client kept (or could not read) these envelopes: see StoreAndForward.received. */
  readonly received: ConnectionHost<ClientConnection>['received'] = (...args) => this.forward.received(...args);

  readonly route = (sender: ClientConnection, message: SendMessage): void => this.router.route(sender, message);

  async video(connection: ClientConnection, request: VideoRequest): Promise<void> {
    switch (request.type) {
      case 'list-videos':
        return this.videos.list(connection);
      case 'poster':
        return this.videos.poster(connection, request);
      case 'play':
        return this.videos.play(connection, request);
      case 'stop-video':
      case 'pause-video':
      case 'seek-video':
      case 'resize-video':
        return this.videos.control(connection, request);
    }
  }

  onClosed(connection: ClientConnection): void {
    this.connections.delete(connection);
    this.presence.forget(connection);
    this.shutdown.connectionClosed();
    // A viewer that leaves takes its stream (and that stream's ffmpeg) with it.
    this.videos.stopFor(connection);
    this.files.closed(connection);
    this.membership.left(connection);
  }

  setAway(connection: ClientConnection, message: string): void {
    this.membership.setAway(connection, message);
  }

  // ---- internals -----------------------------------------------------------------------------

  /** A byte stream ready for the protocol (the listener counted it): a connection, until it joins or goes. */
  private onStream(socket: Socket): void {
    const connection = new ClientConnection(socket, this);
    this.connections.add(connection);
    this.logger.log('debug', 'client.connected', { addr: connection.remoteAddress });
  }
}
