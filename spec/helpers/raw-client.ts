// A protocol-level test client over a real TCP socket: sends any bytes (well-formed or hostile)
// and records every message the server sends back, plus how the connection ended.
import type { KeyRetirement } from '../../src/core/key-retirement.js';
import { type Socket, connect } from 'node:net';
import { FrameDecoder } from '../../src/core/frame-decoder.js';
import { FrameType } from '../../src/core/frame-types.js';
import type { Identity } from '../../src/core/identity.js';
import { signJoinChallenge } from '../../src/core/join-proof.js';
import { decodeServerMessage, encodeMessage } from '../../src/core/message-codec.js';
import type { ClientMessage, ServerMessage } from '../../src/core/messages.js';
import { type X25519KeyPair, generateX25519 } from '../../src/core/double-ratchet.js';
import { connect as connectTls } from 'node:tls';
import { buildHello } from '../../src/core/prekey.js';
import { waitFor, withTimeout } from './events.js';

export interface RawClientOptions {
  readonly tls?: boolean;
}

export class RawClient {
  readonly received: ServerMessage[] = [];
  closed = false;
  /** The welcome, once join() has joined. */
  welcome: Extract<ServerMessage, { type: 'welcome' }> | undefined;
  private readonly decoder = new FrameDecoder({ [FrameType.CONTROL]: 16 << 20, [FrameType.MEDIA]: 16 << 20 });
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type === FrameType.CONTROL) this.received.push(decodeServerMessage(frame.body));
      }
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  /** Opens a TCP connection, or with `tls` a TLS one (the server's certificate is not checked). */
  static async open(port: number, options: RawClientOptions = {}): Promise<RawClient> {
    const socket = options.tls === true ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }) : connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls === true ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before it was open')));
    });
    socket.removeAllListeners('close');
    return new RawClient(socket);
  }

  /** Opens a connection and completes the real join handshake (with `prekey`, or a fresh one). */
  static async join(
    port: number,
    name: string,
    identity: Identity,
    options: RawClientOptions & { prekey?: X25519KeyPair; retirement?: KeyRetirement; retirements?: KeyRetirement[] } = {},
  ): Promise<RawClient> {
    const client = await RawClient.open(port, options);
    client.send(
      buildHello(identity, name, options.prekey ?? generateX25519(), options.retirements ?? (options.retirement === undefined ? [] : [options.retirement])),
    );
    const challenge = await client.next('challenge');
    const signature = signJoinChallenge(identity.privateKey, Buffer.from(challenge.nonce, 'base64'), name, identity.publicKeyDer);
    client.send({ type: 'auth', signature: signature.toString('base64') });
    client.welcome = await client.next('welcome');
    return client;
  }

  send(message: ClientMessage): void {
    this.socket.write(encodeMessage(message));
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for the first message of this type not yet taken, and returns it. */
  async next<T extends ServerMessage['type']>(type: T, timeoutMs = 10_000): Promise<Extract<ServerMessage, { type: T }>> {
    const found = await waitFor(() => this.received.find((m) => m.type === type), `a "${type}" message`, timeoutMs);
    this.received.splice(this.received.indexOf(found), 1);
    return found as Extract<ServerMessage, { type: T }>;
  }

  /** Waits for the first message of this type not yet taken that `matches`, and returns it. */
  async nextMatching<T extends ServerMessage['type']>(
    type: T,
    matches: (message: Extract<ServerMessage, { type: T }>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const found = await waitFor(
      () => this.received.find((m) => m.type === type && matches(m as Extract<ServerMessage, { type: T }>)),
      `a matching "${type}" message`,
      timeoutMs,
    );
    this.received.splice(this.received.indexOf(found), 1);
    return found as Extract<ServerMessage, { type: T }>;
  }

  /**
   * Waits for word that someone went: `leave` (nothing can be kept for them) or, for a registered
   * user (protocol v4), `join` with `online: false`. Returns their name.
   */
  async nextGone(timeoutMs = 10_000): Promise<{ name: string }> {
    const found = await waitFor(
      () => this.received.find((m) => m.type === 'leave' || (m.type === 'join' && m.peer.online === false)),
      'a "leave" (or "away") message',
      timeoutMs,
    );
    this.received.splice(this.received.indexOf(found), 1);
    return { name: found.type === 'leave' ? found.name : found.type === 'join' ? found.peer.name : '' };
  }

  waitClosed(timeoutMs = 10_000): Promise<void> {
    return withTimeout(this.closedPromise, 'the server to close the connection', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
