// The relay daemon: accepts sockets, keeps the registry of joined clients, routes envelopes it
// cannot read, and announces joins and leaves. One event loop serves every client.
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { ChatError, ErrorCode } from '../core/errors.js';
import { encodeTextFrame } from '../core/frame-encoder.js';
import { FrameType } from '../core/frame-types.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { encodeMessage } from '../core/message-codec.js';
import type { PeerSummary, SendMessage } from '../core/messages.js';
import { PeerRegistry, type PeerRecord } from '../core/peer-registry.js';
import { shortFingerprint } from '../core/fingerprint.js';
import { ClientConnection, type ConnectionHost, type VideoRequest } from './client-connection.js';
import { VideoService } from './video-service.js';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './server-limits.js';

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
  /** ffmpeg binary for video; default: resolved as in src/video/ffmpeg-path.ts on first use. */
  readonly ffmpegPath?: string;
  /** TLS key and certificate (PEM). Without them the server speaks plain TCP (tests, --plaintext). */
  readonly tls?: { readonly keyPem: string; readonly certPem: string };
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7373;

interface JoinedPeer extends PeerRecord {
  readonly prekey: string;
  readonly prekeySig: string;
  readonly connection: ClientConnection;
}

/** How long close() waits for clients to hang up after the shutdown notice before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;

export class ChatServer implements ConnectionHost {
  readonly limits: ServerLimits;
  readonly logger: Logger;
  readonly videosDir: string;
  private readonly host: string;
  private readonly port: number;
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private readonly registry = new PeerRegistry<JoinedPeer>();
  private closing = false;
  readonly videos: VideoService;

  constructor(options: ChatServerOptions = {}) {
    this.host = options.host ?? DEFAULT_HOST;
    this.port = options.port ?? DEFAULT_PORT;
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    this.logger = options.logger ?? silentLogger;
    this.videosDir = options.videosDir ?? 'videos';
    this.server =
      options.tls === undefined
        ? createServer((socket) => this.onSocket(socket))
        : createTlsServer(
            {
              key: options.tls.keyPem,
              cert: options.tls.certPem,
              minVersion: 'TLSv1.3',
              // A client that never finishes the TLS handshake is cut off like one that never joins.
              handshakeTimeout: this.limits.handshakeTimeoutMs,
            },
            (socket) => this.onSocket(socket),
          );
    // Garbage before or during the TLS handshake: that connection fails, nothing else notices.
    this.server.on('tlsClientError', (error: Error, socket: Socket) =>
      this.logger.log('warn', 'tls.client_error', { addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, error: error.message.slice(0, 120) }),
    );
    this.videos = new VideoService({
      videosDir: this.videosDir,
      ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
      maxStreams: this.limits.maxStreams,
      maxMediaFrameBytes: this.limits.maxMediaFrameBytes,
      logger: this.logger,
    });
  }

  /** Resolves with the bound address once listening. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        this.server.on('error', (error) => this.logger.log('error', 'server.error', { error: error.message }));
        const address = this.address;
        this.logger.log('info', 'server.listening', { host: address.address, port: address.port });
        resolve(address);
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Names of joined clients, in join order. */
  get peerNames(): string[] {
    return this.registry.list().map((peer) => peer.name);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes waiting to go out per joined client: what a slow reader costs the server right now. */
  pendingBytesByClient(): Record<string, number> {
    return Object.fromEntries(this.registry.list().map((peer) => [peer.name, peer.connection.pendingBytes]));
  }

  /** Tells every client, stops accepting, and resolves when all sockets are gone. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.logger.log('info', 'server.closing', { clients: this.connections.size });
    this.videos.stopAll();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) {
      connection.send({ type: 'shutdown', reason });
      connection.close(ErrorCode.SHUTDOWN);
    }
    const cutOff = setTimeout(() => {
      for (const connection of this.connections) connection.destroy(ErrorCode.SHUTDOWN);
    }, SHUTDOWN_GRACE_MS);
    await stopped;
    clearTimeout(cutOff);
  }

  // ---- ConnectionHost ------------------------------------------------------------------------

  checkNameAvailable(name: string): void {
    this.registry.checkAvailable(name);
  }

  admit(connection: ClientConnection): void {
    const peer = connection.peer;
    if (peer === undefined) throw new Error('admit() before the connection authenticated');
    const record: JoinedPeer = {
      name: peer.name,
      publicKeyBase64: peer.key.publicKeyBase64,
      fingerprint: peer.key.fingerprint,
      joinedAt: peer.joinedAt,
      prekey: peer.prekey,
      prekeySig: peer.prekeySig,
      connection,
    };
    this.registry.add(record);
    this.logger.log('info', 'client.joined', {
      name: peer.name,
      fingerprint: shortFingerprint(peer.key.fingerprint),
      addr: connection.remoteAddress,
      online: this.registry.size,
    });
    connection.send({
      type: 'welcome',
      name: peer.name,
      peers: this.registry.list().map(toSummary),
      limits: { maxControlFrameBytes: this.limits.maxControlFrameBytes, maxMediaFrameBytes: this.limits.maxMediaFrameBytes },
    });
    this.broadcast(encodeMessage({ type: 'join', peer: toSummary(record) }), connection);
  }

  route(sender: ClientConnection, message: SendMessage): void {
    const from = sender.peer!.name;
    const { envelope, keys } = message;
    // The envelope is the same for every recipient: serialize it once and splice in each key.
    const head = `{"type":"message","from":${JSON.stringify(from)},"to":${JSON.stringify(message.to)},"envelope":${JSON.stringify(envelope)},"key":"`;
    const deliver = (recipient: JoinedPeer, wrappedKey: string): boolean =>
      recipient.connection.sendFrame(encodeTextFrame(FrameType.CONTROL, `${head}${wrappedKey}"}`));

    if (message.to !== null) {
      const recipient = this.registry.get(message.to);
      // A ratcheted DM carries no wrapped key: the key comes from the pair's Double Ratchet.
      const wrappedKey = recipient === undefined ? undefined : envelope.ratchet !== undefined ? '' : keys[recipient.name];
      if (recipient === undefined) {
        sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, `${message.to} is not online`), false, envelope.id);
        return;
      }
      if (wrappedKey === undefined) {
        sender.reject(new ChatError(ErrorCode.NO_SUCH_PEER, `the message has no key for ${recipient.name}`), false, envelope.id);
        return;
      }
      const delivered = deliver(recipient, wrappedKey) ? 1 : 0;
      sender.send({ type: 'ack', id: envelope.id, delivered, missing: delivered ? [] : [recipient.name], unkeyed: [] });
      return;
    }

    let delivered = 0;
    const missing: string[] = [];
    // Names are case-insensitive: "bob" and "BOB" in one key table must not deliver twice.
    const reached = new Set<ClientConnection>([sender]);
    for (const [name, wrappedKey] of Object.entries(keys)) {
      const recipient = this.registry.get(name);
      if (recipient === undefined) {
        missing.push(name);
      } else if (!reached.has(recipient.connection)) {
        reached.add(recipient.connection);
        if (deliver(recipient, wrappedKey)) delivered++;
        else missing.push(recipient.name);
      }
    }
    const unkeyed = this.registry
      .list()
      .filter((peer) => peer.connection !== sender && keys[peer.name] === undefined)
      .map((peer) => peer.name);
    sender.send({ type: 'ack', id: envelope.id, delivered, missing, unkeyed });
  }

  async video(connection: ClientConnection, request: VideoRequest): Promise<void> {
    switch (request.type) {
      case 'list-videos':
        return this.videos.list(connection);
      case 'poster':
        return this.videos.poster(connection, request);
      case 'play':
        return this.videos.play(connection, request);
      case 'stop-video':
        this.videos.streamOf(connection, request.stream);
        return this.videos.stopFor(connection);
      case 'pause-video':
        return this.videos.streamOf(connection, request.stream).pause(request.paused);
      case 'seek-video':
        return this.videos.streamOf(connection, request.stream).seek(request.deltaMs);
      case 'resize-video':
        return this.videos.streamOf(connection, request.stream).resize({ width: request.width, height: request.height });
    }
  }

  onClosed(connection: ClientConnection): void {
    this.connections.delete(connection);
    // A viewer that leaves takes its stream (and that stream's ffmpeg) with it.
    this.videos.stopFor(connection);
    const peer = connection.peer;
    if (peer === undefined || this.registry.get(peer.name)?.connection !== connection) return;
    this.registry.remove(peer.name);
    this.logger.log('info', 'client.left', { name: peer.name, online: this.registry.size });
    if (!this.closing) this.broadcast(encodeMessage({ type: 'leave', name: peer.name }), connection);
  }

  // ---- internals -----------------------------------------------------------------------------

  private onSocket(socket: Socket): void {
    // Every socket gets an error listener from birth: an unhandled 'error' would crash the daemon.
    socket.on('error', () => {});
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new ClientConnection(socket, this);
    if (this.connections.size >= this.limits.maxClients) {
      this.logger.log('warn', 'client.refused_full', { addr: connection.remoteAddress, max: this.limits.maxClients });
      connection.reject(new ChatError(ErrorCode.SERVER_FULL, `the server is full (${this.limits.maxClients} clients)`), true);
      return;
    }
    const fromAddress = [...this.connections].filter((c) => c.ipAddress === connection.ipAddress).length;
    if (fromAddress >= this.limits.maxClientsPerAddress) {
      this.logger.log('warn', 'client.refused_address', { addr: connection.remoteAddress, max: this.limits.maxClientsPerAddress });
      connection.reject(new ChatError(ErrorCode.TOO_MANY_FROM_ADDRESS, `too many connections from ${connection.ipAddress} (${this.limits.maxClientsPerAddress})`), true);
      return;
    }
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

function toSummary(peer: JoinedPeer): PeerSummary {
  return { name: peer.name, publicKey: peer.publicKeyBase64, prekey: peer.prekey, prekeySig: peer.prekeySig, fingerprint: peer.fingerprint, joinedAt: peer.joinedAt };
}
