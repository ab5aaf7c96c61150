// The relay daemon: accepts sockets, keeps the registry of joined clients, routes envelopes it
// cannot read, and announces joins and leaves. One event loop serves every client.
import type { AddressInfo, Socket } from 'node:net';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { KeyRetirement } from '../core/key-retirement.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { encodeMessage } from '../core/message-codec.js';
import { MAX_BATCH_SENDS, type OneTimePrekey, type PeerSummary, type SendMessage } from '../core/messages.js';
import { NameTakenError, PeerRegistry } from '../core/peer-registry.js';
import { shortFingerprint } from '../core/fingerprint.js';
import { ClientConnection, type ConnectionHost, type VideoRequest } from './client-connection.js';
import type { JoinedPeer } from './joined-peer.js';
import { awaySummary, keyIdOf, presenceOf, registeringPeerOf, toSummary } from './peer-summaries.js';
import { KeyBundles } from './key-bundles.js';
import { MessageRouter } from './message-router.js';
import { BudgetCarryover } from './budget-carryover.js';
import { ChatListener } from './chat-listener.js';
import { type ServerGauges, type ServerMetrics, noMetrics } from './metrics/server-metrics.js';
import { VideoService } from './video/video-service.js';
import type { FileService } from './files/file-service.js';
import { type ServerFilesParts, createServerFiles } from './files/server-files.js';
import type { FileChunk } from '../core/file-codec.js';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './server-limits.js';
import type { ClusterOptions } from './cluster/cluster-options.js';
import type { ClusterHost, ClusterLink } from './cluster/cluster-link.js';
import type { UndeliveredNotice } from './cluster/cluster-bus.js';
import type { DirectRelay, ReceiptRelay, RoomRelay } from './cluster/cluster-wire.js';
import { nameKey, stripControlCharacters } from '../core/names.js';
import { StoreAndForward } from './store-and-forward.js';
import { OneTimePrekeyRation } from './one-time-prekey-ration.js';
import { RoomCreationRation } from './rooms/room-creation-ration.js';
import { NameRegistrar, nameUnavailable } from './name-registrar.js';
import { DurableStore } from './store/durable-store.js';
import { type KeyValue, LmdbKeyValue, MemoryKeyValue } from './store/key-value.js';
import { RoomDirectory } from './rooms/room-directory.js';
import { RoomService } from './rooms/room-service.js';
import type { FileRequest, RoomRequest, RoomView } from '../core/messages.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../core/network-defaults.js';
import { PresenceAudience } from './presence-audience.js';

export interface ChatServerOptions {
  /** Interface to listen on. Default 127.0.0.1: exposing the server is a deliberate choice. */
  readonly host?: string;
  /** TCP port. Default 7373; 0 picks a free port (tests). */
  readonly port?: number;
  /** Overrides for individual limits; the rest keep DEFAULT_SERVER_LIMITS. */
  readonly limits?: Partial<ServerLimits>;
  readonly logger?: Logger;
  /** Folder of playable videos (used by the video streams). Default ./videos. */
  readonly videosDir?: string;
  /** ffmpeg binary for video; default: resolved as in src/server/video/ffmpeg-path.ts on first use. */
  readonly ffmpegPath?: string;
  /** TLS key and certificate (PEM). Without them the server speaks plain TCP (tests, --plaintext). */
  readonly tls?: { readonly keyPem: string; readonly certPem: string };
  /** Join a cluster of nodes over a broker (docs/SCALING.md). Without it the server stands alone. */
  readonly cluster?: ClusterOptions;
  /** Where the server counts what operators watch (serve --metrics); default: counts nothing. */
  readonly metrics?: ServerMetrics;
  /**
   * On close(), how long clients get after the shutdown notice to finish what they were sending
   * (it is still routed) and hang up themselves. Default 0: close at once (tests); `serve` uses
   * --shutdown-drain-ms.
   */
  readonly shutdownDrainMs?: number;
  /**
   * Where registrations and messages for away users are kept (LMDB, serve --data-dir). Without it a
   * lone server keeps them in memory (tests); a clustered node keeps them in the broker's JetStream.
   */
  readonly dataDir?: string;
  /** The store's engine, given directly (specs inject a failing disk here); overrides dataDir. */
  readonly keyValue?: KeyValue;
}

/** How often stored messages and registrations are checked for expiry. */
const EXPIRY_SWEEP_MS = 60_000;

export { DEFAULT_HOST, DEFAULT_PORT };

/** How long close() waits for clients to hang up after the shutdown notice before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;

export class ChatServer implements ConnectionHost<ClientConnection>, ClusterHost {
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
  private readonly registry = new PeerRegistry<JoinedPeer>();
  readonly metrics: ServerMetrics;
  private router!: MessageRouter;
  private forward!: StoreAndForward;
  private rooms!: RoomService;
  private readonly dataDir: string | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly shutdownDrainMs: number;
  private drainWaiter: (() => void) | undefined;
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
  /** Names whose cluster-wide claim is in flight: taken here already, though not yet joined. */
  private readonly admitting = new Set<string>();
  /** How many of a user's one-time prekeys each requester and address is handed a day. */
  /** Key bundles and one-time prekeys, rationed per asker and address. */
  private readonly bundles = new KeyBundles({
    ration: new OneTimePrekeyRation(() => this.limits),
    summaryOf: (name) => this.summaryOf(name),
    store: () => this.forward.store,
    online: (name) => this.registry.get(name),
    limits: () => this.limits,
    logger: () => this.logger,
  });
  /** Who hears of whose joins and departures: everyone on a small server, followers on a big one. */
  private readonly presence = new PresenceAudience<ClientConnection>(() => this.limits);

  constructor(options: ChatServerOptions = {}) {
    this.host = options.host ?? DEFAULT_HOST;
    this.port = options.port ?? DEFAULT_PORT;
    this.currentLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
    this.shutdownDrainMs = options.shutdownDrainMs ?? 0;
    this.dataDir = options.dataDir;
    this.useStore(options.cluster === undefined ? (options.keyValue ?? new MemoryKeyValue()) : undefined);
    this.videosDir = options.videosDir ?? 'videos';
    this.listener = new ChatListener(options.tls, {
      logger: this.logger,
      metrics: this.metrics,
      limits: () => this.limits,
      isClosing: () => this.closing,
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
  }

  /** Joins the cluster first (when clustered), then resolves with the bound address once listening. */
  async listen(): Promise<AddressInfo> {
    if (this.dataDir !== undefined && this.clusterOptions === undefined && this.forward.store?.durable !== true) {
      const store = this.useStore(await LmdbKeyValue.open(this.dataDir));
      this.logger.log('info', 'store.opened', { dir: this.dataDir, ...store!.stats, rooms: this.rooms.directory.count });
    }
    if (this.clusterOptions !== undefined) {
      this.cluster = await joinCluster(this.clusterOptions, this);
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
    return this.allPeers().map((peer) => peer.name);
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

  /**
   * Deletes stored messages past the retention time (each sender is told) and registrations past
   * their time to live. Runs at start, every minute, and on SIGHUP.
   */
  sweepExpired(): Promise<void> {
    // On a cluster the store is shared: one node sweeps it (the lowest id this node knows of), so
    // a sender hears of an expiry once, not once per node.
    if (this.cluster !== undefined && !this.cluster.sweepsSharedStore) return Promise.resolve();
    this.files.sweep().catch((error: unknown) => this.logger.log('warn', 'files.sweep_failed', { error: String(error).slice(0, 120) }));
    return this.forward.expire(Date.now()).then(() => this.dropReleasedMembers());
  }

  /** Names released (expired, or by `serve release-name`) leave their rooms: whoever takes one next starts in none. */
  private async dropReleasedMembers(): Promise<void> {
    if (this.forward.store === undefined) return;
    for (const name of new Set(this.rooms.directory.memberNames())) {
      if (!this.forward.isRegistered(name) && !this.registry.has(name) && this.cluster?.remotePeer(name) === undefined) {
        await this.rooms.forget(name).catch((error: unknown) => this.logger.log('warn', 'rooms.forget_failed', { error: String(error).slice(0, 120) }));
      }
    }
  }

  /**
   * Builds what lives in the store over `kv`: registrations and messages for away users (none when
   * undefined: a cluster whose bus keeps no store), and the rooms (in memory then).
   */
  private useStore(kv: KeyValue | undefined): DurableStore | undefined {
    const store = kv === undefined ? undefined : new DurableStore(kv, this.currentLimits);
    this.rooms = new RoomService(
      new RoomDirectory(kv ?? new MemoryKeyValue(), this.currentLimits),
      this.registry,
      (name) => this.knowsUser(name),
      (room, name) => {
        const member = this.registry.get(name);
        if (member !== undefined) this.videos.leftRoom(member.connection, room);
      },
      (room, name) => this.followEachOther(room, name),
      new RoomCreationRation(() => this.limits.maxRoomsCreatedPerAddress),
    );
    this.forward = new StoreAndForward(
      this.registry,
      store,
      this.logger,
      this.metrics,
      (sender, receipt) => this.cluster?.tellRemote(sender, receipt) ?? false,
      (a, b) => this.rooms.directory.sharesRoom(a, b),
    );
    this.router = new MessageRouter(
      this.registry,
      () => this.cluster,
      this.forward,
      // The lobby is kept for away users while the server is small; past its full-presence size the
      // lobby is an open, live room (named rooms are for day-to-day talk there): a line stored for
      // every one of thousands of registered users would cost its sender its whole share of the store.
      () => (store === undefined || this.isBig() ? [] : store.registeredNames()),
      this.rooms.directory,
      this.metrics,
    );
    return store;
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
   * Stops accepting, tells every client it is going away, routes what they still send for the
   * drain time (or until they have all hung up), then leaves the cluster and closes what is left.
   * Resolves when every socket is gone: at most drain + SHUTDOWN_GRACE_MS after the call.
   */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.logger.log('info', 'server.closing', { clients: this.connections.size, drainMs: this.shutdownDrainMs });
    this.videos.stopAll();
    const stopped = this.listener.close();
    for (const connection of this.connections) connection.send({ type: 'shutdown', reason });
    if (this.shutdownDrainMs > 0 && this.connections.size > 0) await this.drained(this.shutdownDrainMs);
    await this.cluster?.close().catch((error: unknown) => this.logger.log('warn', 'cluster.close_failed', { error: String(error).slice(0, 120) }));
    for (const connection of this.connections) connection.close(ErrorCode.SHUTDOWN);
    const cutOff = setTimeout(() => {
      for (const connection of this.connections) connection.destroy(ErrorCode.SHUTDOWN);
    }, SHUTDOWN_GRACE_MS);
    await stopped;
    clearTimeout(cutOff);
    clearInterval(this.expiryTimer);
    await this.forward.store?.close();
  }

  /** Resolves once every client has hung up, or after `ms`. */
  private drained(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      this.drainWaiter = finish;
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  // ---- ConnectionHost ------------------------------------------------------------------------

  checkNameAvailable(name: string, fingerprint?: string): void {
    // Held here by a connection of the same key (a client back after a crash, before the server
    // noticed the old connection die): available; admit() closes the old one once the key is proven.
    const held = this.registry.get(name);
    if (held !== undefined && fingerprint !== undefined && held.fingerprint === fingerprint && this.cluster === undefined) return;
    try {
      this.registry.checkAvailable(name);
    } catch (error) {
      // Online or not, a taken name gets the one answer (a hello must not tell who is online).
      if (error instanceof NameTakenError) throw nameUnavailable(name);
      throw error;
    }
    if (this.admitting.has(nameKey(name)) || this.cluster?.remotePeer(name) !== undefined) throw nameUnavailable(name);
  }

  checkRegistration(name: string, fingerprint: string, retirements: readonly KeyRetirement[], address: string): void {
    this.names.checkHello(name, fingerprint, retirements, address);
  }

  admit(connection: ClientConnection): Promise<void> | void {
    const peer = connection.peer;
    if (peer === undefined) throw new Error('admit() before the connection authenticated');
    if (this.cluster !== undefined) return this.admitClustered(connection, this.cluster);
    return this.admitLocal(connection);
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

  /** Closes an older connection of the same key under this name: the new one takes its place, nothing it was owed is lost (its unconfirmed deliveries are stored). */
  private replaceStale(connection: ClientConnection): void {
    const old = this.registry.get(connection.peer!.name)?.connection;
    if (old === undefined || old === connection) return;
    this.logger.log('info', 'client.replaced', { name: connection.peer!.name });
    old.reject(new ChatError(ErrorCode.REPLACED, 'you joined again under this name (from elsewhere, or after a restart): this connection is closed'), true);
    this.onClosed(old);
  }

  /**
   * Writes the joining member's registration (on disk before its welcome). A name new here starts
   * in no room, even if someone who held it before (released, or expired) was still listed in one.
   */
  private async registerJoining(connection: ClientConnection): Promise<void> {
    const isNewName = await this.names.register(registeringPeerOf(connection), { address: connection.ipAddress, joining: true });
    if (isNewName) await this.rooms.forget(connection.peer!.name);
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
      cluster.memberJoined(toSummary(this.registry.get(name)!));
    } finally {
      this.admitting.delete(key);
      if (!won) cluster.nameFreed(name);
    }
  }

  private addMember(connection: ClientConnection): void {
    const peer = connection.peer!;
    const record: JoinedPeer = {
      name: peer.name,
      publicKeyBase64: peer.key.publicKeyBase64,
      fingerprint: peer.key.fingerprint,
      joinedAt: peer.joinedAt,
      prekey: peer.prekey,
      prekeySig: peer.prekeySig,
      keyId: keyIdOf(peer.key.publicKeyBase64, peer.prekey),
      connection,
    };
    this.registry.add(record);
    this.names.joined(peer.name);
    this.metrics.joined();
    this.logger.log('info', 'client.joined', {
      name: peer.name,
      fingerprint: shortFingerprint(peer.key.fingerprint),
      addr: connection.remoteAddress,
      online: this.registry.size,
    });
    const census = this.census();
    const everyone = this.presence.admit(connection, Math.max(census.online, census.registered));
    const rooms = this.rooms.directory.roomsOf(peer.name);
    connection.send({
      type: 'welcome',
      name: peer.name,
      peers: (everyone ? [...this.allPeers(), ...this.awayPeers()] : [toSummary(record), ...this.followRoomMates(connection, rooms)]).map(presenceOf),
      limits: { maxControlFrameBytes: this.limits.maxControlFrameBytes, maxMediaFrameBytes: this.limits.maxMediaFrameBytes, maxBatchSends: MAX_BATCH_SENDS },
      ...(this.forward.store === undefined ? {} : { oneTimePrekeys: this.forward.store.oneTimePrekeyCount(peer.name) }),
      rooms,
      presence: everyone ? 'everyone' : 'followed',
      census,
    });
    this.presence.announce(encodeMessage({ type: 'join', peer: presenceOf(toSummary(record)) }), peer.name, connection);
    void this.forward.joined(connection);
  }

  /** Past its full-presence size: presence goes to followers, and the lobby is live only. */
  private isBig(): boolean {
    const census = this.census();
    return Math.max(census.online, census.registered) > this.limits.fullPresenceMaxUsers;
  }

  /** Users online (here and on other nodes) and registered: the welcome's census, and what decides full presence. */
  private census(): { online: number; registered: number } {
    const online = this.registry.size + (this.cluster?.remoteCount ?? 0);
    return { online, registered: this.forward.store?.stats.registrations ?? online };
  }

  /** A connection told only of whom it follows starts by following its room-mates; their presence now. */
  private followRoomMates(connection: ClientConnection, rooms: readonly RoomView[]): PeerSummary[] {
    const self = nameKey(connection.peer!.name);
    const names = new Set<string>();
    for (const room of rooms) {
      for (const member of room.members) if (nameKey(member.name) !== self) names.add(member.name);
    }
    const mates = [...names].slice(0, this.limits.maxFollowed);
    this.presence.follow(connection, mates);
    return mates.flatMap((name) => this.summaryOf(name) ?? []);
  }

  /** `name` joined `room`: they and the room's members connected here hear of each other from now on. */
  private followEachOther(room: string, name: string): void {
    const members = this.rooms.directory.membersOf(room);
    const joiner = this.registry.get(name)?.connection;
    if (joiner !== undefined)
      this.presence.follow(
        joiner,
        members.filter((member) => nameKey(member) !== nameKey(name)),
      );
    for (const member of members) {
      const connection = this.registry.get(member)?.connection;
      if (connection !== undefined && connection !== joiner) this.presence.follow(connection, [name]);
    }
  }

  /**
   * `follow`: the connection hears of these users' presence from now on (a connection told of
   * everyone hears of them already); the answer lists them as they are now, and names nobody has.
   */
  follow(connection: ClientConnection, names: readonly string[]): void {
    const peers: PeerSummary[] = [];
    const unknown: string[] = [];
    for (const name of names) {
      const found = this.summaryOf(name);
      if (found === undefined) unknown.push(name);
      else peers.push(presenceOf(found));
    }
    this.presence.follow(
      connection,
      peers.map((peer) => peer.name),
    );
    connection.send({ type: 'followed', peers, unknown });
  }

  /** One user as the server knows them: online here, on another node, or registered and away. */
  private summaryOf(name: string): PeerSummary | undefined {
    const local = this.registry.get(name);
    if (local !== undefined) return toSummary(local);
    return this.cluster?.remotePeer(name)?.peer ?? this.awayPeer(name);
  }

  /** Registered users who are not connected: listed offline, and can be messaged. */
  private awayPeers(): PeerSummary[] {
    const store = this.forward.store;
    if (store === undefined) return [];
    // Names first (kept in memory), registrations read only for those away: on a busy server most
    // registered users are online, and a welcome is sent on every join.
    const away: PeerSummary[] = [];
    for (const name of store.registeredNames()) {
      if (this.registry.has(name) || this.cluster?.remotePeer(name) !== undefined) continue;
      const registration = store.registration(name);
      if (registration !== undefined) away.push(awaySummary(registration));
    }
    return away;
  }

  private awayPeer(name: string): PeerSummary | undefined {
    const registration = this.forward.store?.registration(name);
    return registration === undefined ? undefined : awaySummary(registration);
  }

  /** The keys of these users, each with a one-time prekey while they last (see KeyBundles). */
  keyBundles(asker: string, names: readonly string[], address = ''): Promise<PeerSummary[]> {
    return this.bundles.of(asker, names, address);
  }

  /**
   * A member rotated its signed prekey while connected: kept with its registration, and its
   * presence announced again (a new keyId) so peers fetch the new bundle when they next need it.
   */
  signedPrekeyChanged(connection: ClientConnection, signed: { readonly prekey: string; readonly prekeySig: string }): void {
    const record = connection.peer === undefined ? undefined : this.registry.get(connection.peer.name);
    if (record === undefined) return;
    record.prekey = signed.prekey;
    record.prekeySig = signed.prekeySig;
    record.keyId = keyIdOf(record.publicKeyBase64, record.prekey);
    void this.names.register(record);
    this.presence.announce(encodeMessage({ type: 'join', peer: presenceOf(toSummary(record)) }), record.name, connection);
    this.cluster?.memberJoined(toSummary(record));
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
    if (this.connections.size === 0) this.drainWaiter?.();
    // A viewer that leaves takes its stream (and that stream's ffmpeg) with it.
    this.videos.stopFor(connection);
    this.files.closed(connection);
    const peer = connection.peer;
    if (peer === undefined || this.registry.get(peer.name)?.connection !== connection) return;
    const record = this.registry.get(peer.name)!;
    this.registry.remove(peer.name);
    this.names.left(peer.name);
    this.forward.closed(connection);
    void this.names.register(record);
    this.logger.log('info', 'client.left', { name: peer.name, online: this.registry.size });
    // A registered user stays listed, as away; only a user nothing can be kept for leaves the list.
    const away = this.forward.isRegistered(peer.name);
    if (!this.closing) {
      this.presence.announce(
        encodeMessage(
          away ? { type: 'join', peer: presenceOf({ ...toSummary(record), joinedAt: Date.now(), online: false }) } : { type: 'leave', name: peer.name },
        ),
        peer.name,
        connection,
      );
    }
    this.cluster?.memberLeft(peer.name);
  }

  // ---- ClusterHost: what other nodes ask of this one ------------------------------------------

  readonly nodeGone = (node: string): void => this.videos.nodeGone(node);

  localMembers(): PeerSummary[] {
    return this.registry.list().map(toSummary);
  }

  holdsLocally(name: string): boolean {
    return this.registry.has(name) || this.admitting.has(nameKey(name));
  }

  isMember(name: string): boolean {
    return this.registry.has(name);
  }

  remoteJoined(peer: PeerSummary): void {
    this.presence.announce(encodeMessage({ type: 'join', peer: presenceOf(peer) }), peer.name);
  }

  remoteAway(name: string, message: string): void {
    this.presence.announce(encodeMessage({ type: 'away', name, message }), name);
  }

  /**
   * `:away TEXT`: kept with the member while connected (shown in presence to whoever joins later),
   * told to everyone now, across the cluster as a fresh announcement. Control characters are
   * dropped here: the text reaches every member's terminal.
   */
  setAway(connection: ClientConnection, message: string): void {
    const record = connection.peer === undefined ? undefined : this.registry.get(connection.peer.name);
    if (record === undefined) return;
    const text = stripControlCharacters(message).trim();
    if ((record.away ?? '') === text) return;
    record.away = text === '' ? undefined : text;
    const frame = encodeMessage({ type: 'away', name: record.name, message: text });
    this.presence.announce(frame, record.name);
    // The owner hears it too (the views show it from there); one told of everyone did just now.
    if (!this.presence.tellsEverything(connection)) connection.sendFrame(frame);
    this.cluster?.memberJoined(toSummary(record));
  }

  remoteLeft(name: string): void {
    if (!this.closing) this.presence.announce(encodeMessage({ type: 'leave', name }), name);
  }

  deliverRoom(relay: RoomRelay, recipients: Readonly<Record<string, string>>): string[] {
    return this.router.deliverRoom(relay, recipients);
  }

  deliverDirect(relay: DirectRelay): boolean {
    return this.router.deliverDirect(relay);
  }

  undelivered(notice: UndeliveredNotice): void {
    this.router.undelivered(notice);
  }

  receiptsArrived(receipts: readonly ReceiptRelay[]): void {
    this.forward.receiptsArrived(receipts);
  }

  linkChanged(up: boolean): void {
    const message = up
      ? // Only this server's link: another server may still be reconnecting, and a message to its
        // users meanwhile is reported to the sender as unconfirmed.
        'this server is linked to the rest of the cluster again'
      : 'this server lost its link to the rest of the cluster: only people on this server can be reached until it is back';
    this.broadcast(encodeMessage({ type: 'cluster', state: up ? 'ok' : 'degraded', message }));
  }

  evict(name: string): void {
    const member = this.registry.get(name);
    if (member === undefined) return;
    this.logger.log('warn', 'cluster.evicted', { name });
    member.connection.reject(
      new ChatError(ErrorCode.NAME_TAKEN, `the name ${member.name} was given to someone on another server while this one was cut off from the cluster`),
      true,
    );
  }

  private allPeers(): PeerSummary[] {
    const local = this.registry.list().map(toSummary);
    return this.cluster === undefined ? local : [...local, ...this.cluster.remotePeers()];
  }

  // ---- internals -----------------------------------------------------------------------------

  /** A byte stream ready for the protocol (the listener counted it): a connection, until it joins or goes. */
  private onStream(socket: Socket): void {
    const connection = new ClientConnection(socket, this);
    this.connections.add(connection);
    this.logger.log('debug', 'client.connected', { addr: connection.remoteAddress });
  }

  /** Sends one pre-encoded frame to every joined client except `except`. */
  private broadcast(frame: Buffer, except?: ClientConnection): void {
    for (const peer of this.registry.list()) {
      if (peer.connection !== except) peer.connection.sendFrame(frame);
    }
  }
}

/** Connects the bus, loaded only when clustering is asked for: a lone node never loads a broker client. */
async function joinCluster(options: ClusterOptions, host: ClusterHost): Promise<ClusterLink> {
  const [{ NatsBus }, { ClusterLink: Link }] = await Promise.all([import('./cluster/nats-bus.js'), import('./cluster/cluster-link.js')]);
  const link = new Link(new NatsBus(options, host.logger), options, host);
  await link.start();
  return link;
}
