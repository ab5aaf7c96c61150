// The server's listening socket: plain TCP, or TLS 1.3. Every accepted socket is counted by the
// connection gate from accept, before any TLS work, until it closes, and refused past the limits
// (before a TLS handshake nothing can be said, so it is closed; over plain TCP the reason goes
// out as an error frame). A TLS handshake that fails or times out is destroyed here (Node reports
// it but leaves the socket open). What passes is handed on as a byte stream ready for the
// protocol; the listener knows nothing of what is said on it.
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type ChatError, ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ConnectionGate } from './connection-gate.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { ServerLimits } from './server-limits.js';

export interface ListenerParts {
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  limits(): ServerLimits;
  /** True once the server is shutting down: new sockets are closed at once. */
  isClosing(): boolean;
  /** A byte stream ready for the protocol (TCP accepted, or its TLS handshake done), counted already. */
  onStream(socket: Socket): void;
  /** Tells a plain-TCP socket why it is refused, in the protocol's words, and closes it. */
  refuse(socket: Socket, refusal: ChatError): void;
}

export class ChatListener {
  private readonly server: Server;
  /** Counts sockets from accept to close, TLS handshakes included, against the connection limits. */
  private readonly gate: ConnectionGate;
  private readonly isTls: boolean;

  constructor(
    tls: { readonly keyPem: string; readonly certPem: string } | undefined,
    private readonly parts: ListenerParts,
  ) {
    this.gate = new ConnectionGate(() => parts.limits());
    this.isTls = tls !== undefined;
    this.server =
      tls === undefined
        ? createServer()
        : createTlsServer(
            {
              key: tls.keyPem,
              cert: tls.certPem,
              minVersion: 'TLSv1.3',
              // A client that never finishes the TLS handshake is cut off like one that never joins.
              handshakeTimeout: parts.limits().handshakeTimeoutMs,
            },
            (socket) => this.onStream(socket),
          );
    // Every accepted socket is counted from here, before any TLS, until it closes.
    this.server.on('connection', (socket: Socket) => this.onAccepted(socket));
    // Garbage before or during the TLS handshake, or a handshake that times out: Node reports it
    // here but leaves the socket open, so closing it is ours to do.
    this.server.on('tlsClientError', (error: Error, socket: Socket) => {
      parts.logger.log('warn', 'tls.client_error', { addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, error: error.message.slice(0, 120) });
      socket.destroy();
    });
  }

  /** Sockets open right now, in any state: joined, joining, or still in the TLS handshake. */
  get count(): number {
    return this.gate.count;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (error) => this.parts.logger.log('error', 'server.error', { error: error.message }));
        const address = this.address;
        this.parts.logger.log('info', 'server.listening', { host: address.address, port: address.port });
        resolve(address);
      });
    });
  }

  /** Stops accepting; resolves once every connection has closed. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A TCP socket accepted: counted against the limits, or refused, before any TLS work is spent on it. */
  private onAccepted(socket: Socket): void {
    // Every socket gets an error listener from birth: an unhandled 'error' would crash the daemon.
    socket.on('error', () => {});
    if (this.parts.isClosing()) {
      socket.destroy();
      return;
    }
    const refusal = this.gate.enter(socket);
    if (refusal !== undefined) {
      const full = refusal.code === ErrorCode.SERVER_FULL;
      this.parts.metrics.refused(full ? 'max_clients' : 'max_clients_per_address');
      this.parts.logger.log('warn', full ? 'client.refused_full' : 'client.refused_address', {
        addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
        max: full ? this.parts.limits().maxClients : this.parts.limits().maxClientsPerAddress,
      });
      if (this.isTls) socket.destroy();
      else this.parts.refuse(socket, refusal);
      return;
    }
    if (!this.isTls) this.onStream(socket);
  }

  /** The byte stream is ready (TCP accepted, or the TLS handshake finished) and already counted. */
  private onStream(socket: Socket): void {
    socket.on('error', () => {});
    if (this.parts.isClosing()) {
      socket.destroy();
      return;
    }
    this.parts.onStream(socket);
  }
}
