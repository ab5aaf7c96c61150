// One object per accepted socket: framing, the join handshake, and the try/catch boundary.
//
// Nothing a peer sends may escape this class as an exception. Framing and protocol errors become
// an error message to this peer and, when the stream can no longer be trusted, a disconnect of this
// peer alone; the rest of the server never sees them.
// What it needs of the server is connection-host.ts; the stateless hello checks hello-checks.ts;
// flood control per frame frame-budgets.ts. Still past 400 lines: the join state machine, the
// backlog and the try/catch boundary act on one socket's state (the next cut is the backlog).
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ChatError, ErrorCode, FrameError, ProtocolError } from '../core/errors.js';
import { FrameDecoder } from '../core/frame-decoder.js';
import { FrameType } from '../core/frame-types.js';
import type { PublicIdentity } from '../core/identity.js';
import { verifyJoinProof } from '../core/join-proof.js';
import { encodeMessage } from '../core/message-codec.js';
import { MAX_FILE_FRAME_BODY, decodeFileChunk } from '../core/file-codec.js';
import { nameKey } from '../core/names.js';
import type { ClientMessage, HelloMessage, ServerMessage } from '../core/messages.js';
import type { ConnectionHost, JoinedClient } from './connection-host.js';
import { FrameBudgets, type InboundFrame, withBudgets } from './frame-budgets.js';
import { checkSignedPrekey, readHello } from './hello-checks.js';
import { InboundPacer } from './inbound-pacer.js';
import { handleMemberRequest } from './member-requests.js';
import { OutboundQueue } from './outbound-queue.js';

export type { ConnectionHost, JoinedClient, VideoRequest } from './connection-host.js';

type ConnectionState = 'awaiting-hello' | 'awaiting-auth' | 'admitting' | 'joined' | 'closing' | 'closed';

/** After a fatal error we send the reason and close; a peer that will not read gets this long. */
const CLOSE_GRACE_MS = 1000;
const NONCE_BYTES = 32;
/**
 * Hellos one connection may send: a client offered another name tries up to 9 (alice2..alice9 and
 * a random one) after its first; a few more for slack. More is a stranger probing, not a user.
 */
export const MAX_HELLO_ATTEMPTS = 12;

interface PendingJoin {
  readonly name: string;
  readonly key: PublicIdentity;
  readonly prekey: string;
  readonly prekeySig: string;
  readonly nonce: Buffer;
}

export class ClientConnection {
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  private state: ConnectionState = 'awaiting-hello';
  private readonly decoder: FrameDecoder;
  private readonly outbound: OutboundQueue;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Hands on what was read at the pace of the flood control (which starts where this address left it). */
  private readonly pacer: InboundPacer;
  private throttledCount = 0;
  private pending: PendingJoin | undefined;
  private helloAttempts = 0;
  private joined: JoinedClient | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost<ClientConnection>,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // Clients never send MEDIA frames, so the decoder refuses that type outright.
    this.decoder = new FrameDecoder({ [FrameType.CONTROL]: host.limits.maxControlFrameBytes, [FrameType.FILE]: MAX_FILE_FRAME_BODY });
    this.outbound = new OutboundQueue(socket, host.limits.maxQueueBytes, (pending) => this.onSlowReader(pending));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error) => this.host.logger.log('debug', 'socket.error', { addr: this.remoteAddress, error: error.message }));
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), host.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    const now = performance.now();
    const budgets = new FrameBudgets(host.limits, now, host.budgetCarryover.startFor([this.addressKey], now));
    this.pacer = new InboundPacer(socket, budgets, {
      isOpen: () => this.isOpen,
      handle: (inbound) => this.handleFrame(inbound),
      throttled: (waitMs) => this.onThrottled(waitMs),
    });
  }

  /** This connection's address, as the flood control remembers it. */
  private get addressKey(): string {
    return `a:${this.socket.remoteAddress ?? '?'}`;
  }

  /** Calls back once the socket has written out what it holds (a download sends its next chunks then). */
  whenDrained(callback: () => void): void {
    if (this.socket.writableNeedDrain) this.socket.once('drain', callback);
    else setImmediate(callback);
  }

  /** The peer's IP address (no port), for the per-address limit. */
  get ipAddress(): string {
    return this.socket.remoteAddress ?? '?';
  }

  /** False once closing has begun: further input from this peer is ignored. */
  get isOpen(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  get isJoined(): boolean {
    return this.state === 'joined';
  }

  /** Set once joined; undefined before. */
  get peer(): JoinedClient | undefined {
    return this.joined;
  }

  /** Bytes waiting to be written to this client. */
  get pendingBytes(): number {
    return this.outbound.pendingBytes;
  }

  send(message: ServerMessage): boolean {
    return this.sendFrame(encodeMessage(message));
  }

  /** A video frame: latest wins when the client is behind. Returns frames replaced (0 or 1). */
  sendMedia(frame: Buffer): number {
    if (!this.isOpen) return 1;
    this.host.metrics.bytesOut(frame.length);
    return this.outbound.sendMedia(frame);
  }

  /** Sends an already-encoded frame (a broadcast encoded once for everyone), or one in parts (a file chunk passed on). */
  sendFrame(frame: Buffer | readonly Buffer[]): boolean {
    if (!this.isOpen) return false;
    const sent = this.outbound.send(frame);
    if (sent) this.host.metrics.bytesOut(Buffer.isBuffer(frame) ? frame.length : frame.reduce((sum, part) => sum + part.length, 0));
    return sent;
  }

  /** Sends the error and, when fatal, closes this connection. */
  reject(error: ChatError, fatal: boolean, ref?: string): void {
    if (this.state !== 'joined' && this.isOpen) this.host.metrics.joinFailed(error.code);
    this.send({ type: 'error', code: error.code, message: error.message, fatal, ...(ref === undefined ? {} : { ref }) });
    if (fatal) this.close(error.code);
  }

  /** Graceful close: flush what is queued, then FIN; destroy if the peer does not finish in time. */
  close(reason: string): void {
    if (!this.isOpen) return;
    this.state = 'closing';
    this.clearHandshakeTimer();
    this.host.logger.log('info', 'client.closing', { addr: this.remoteAddress, name: this.joined?.name ?? null, reason });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Immediate close, for a peer we cannot even send to. */
  destroy(reason: string): void {
    if (this.state === 'closed') return;
    this.host.logger.log('warn', 'client.dropped', { addr: this.remoteAddress, name: this.joined?.name ?? null, reason });
    this.state = 'closing';
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    this.host.metrics.bytesIn(chunk.length);
    this.armIdleTimer();
    let frames: InboundFrame[];
    try {
      frames = withBudgets(this.decoder.push(chunk));
    } catch (error) {
      this.onPeerError(error);
      return;
    }
    this.pacer.push(frames);
  }

  /** One frame the pacer lets through; false when the connection is ending. */
  private handleFrame({ frame, message }: InboundFrame): boolean {
    try {
      if (message === undefined) {
        if (this.state !== 'joined') throw unexpected('a file chunk before joining');
        const chunk = decodeFileChunk(frame.body);
        this.runRequest(() => this.host.fileChunk(this, chunk), chunk.file);
        return true;
      }
      this.handle(message);
      return true;
    } catch (error) {
      this.onPeerError(error);
      return false;
    }
  }

  private onThrottled(waitMs: number): void {
    this.host.metrics.throttled();
    if (this.throttledCount++ === 0) {
      this.host.logger.log('info', 'client.throttled', { addr: this.remoteAddress, name: this.joined?.name ?? null, waitMs });
    }
  }

  private armIdleTimer(): void {
    if (this.state !== 'joined') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.reject(new ChatError(ErrorCode.IDLE_TIMEOUT, `nothing received for ${this.host.limits.idleTimeoutMs} ms`), true);
    }, this.host.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private onPeerError(error: unknown): void {
    if (error instanceof FrameError || error instanceof ProtocolError) {
      this.host.logger.log('warn', 'client.protocol_error', { addr: this.remoteAddress, code: error.code });
      this.reject(error, true);
      return;
    }
    if (error instanceof ChatError) {
      this.reject(error, true);
      return;
    }
    // A bug of ours, not the peer's: log it, drop this client, keep the server up.
    this.host.logger.log('error', 'client.internal_error', {
      addr: this.remoteAddress,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    this.destroy('internal error');
  }

  private handle(message: ClientMessage): void {
    switch (message.type) {
      case 'hello':
        return this.onHello(message);
      case 'auth':
        return this.onAuth(message.signature);
      case 'ping':
        this.send({ type: 'pong', nonce: message.nonce });
        return;
      case 'bye':
        return this.close('bye');
    }
    // Everything else is for members only.
    if (this.state !== 'joined') throw unexpected(`${message.type} before joining`);
    handleMemberRequest(this, this.host, message);
  }

  /** A rotated signed prekey (a client connected past its rotation): checked as at hello. */
  rotateSignedPrekey(signed: { readonly prekey: string; readonly prekeySig: string }): void {
    const joined = this.joined!;
    checkSignedPrekey(joined.key, joined.name, Buffer.from(signed.prekey, 'base64'), signed.prekeySig);
    this.joined = { ...joined, prekey: signed.prekey, prekeySig: signed.prekeySig };
  }

  /** Runs a request that may finish later; a ChatError it ends with goes back to the client, not fatal. */
  runRequest(run: () => Promise<void> | void, ref?: string): void {
    const answer = (error: unknown) => {
      if (error instanceof ChatError) this.reject(error, false, ref);
      else this.onPeerError(error);
    };
    try {
      const pending = run();
      if (pending !== undefined) pending.catch(answer);
    } catch (error) {
      answer(error);
    }
  }

  /**
   * The cheapest checks come first (version, sizes), the key parse and the name next (a name held
   * by a connection of this same key is free to it), and the RSA signature last, so a stranger
   * replaying a bad hello costs no signature check. Anything wrong
   * with the key or its signature ends the connection; only a taken name may be retried, and that
   * costs nothing.
   */
  private onHello(hello: HelloMessage): void {
    if (this.state !== 'awaiting-hello') throw unexpected('hello after the handshake started');
    if (++this.helloAttempts > MAX_HELLO_ATTEMPTS) {
      throw new ProtocolError(ErrorCode.UNEXPECTED_MESSAGE, `more than ${MAX_HELLO_ATTEMPTS} names tried on one connection`);
    }
    const { key, prekey } = readHello(hello);
    try {
      this.host.checkNameAvailable(hello.name, key.fingerprint);
    } catch (error) {
      // Not fatal: the client may say hello again with another name.
      if (error instanceof ChatError) return this.reject(error, false);
      throw error;
    }
    try {
      this.host.checkRegistration(hello.name, key.fingerprint, hello.retirements ?? (hello.retirement === undefined ? [] : [hello.retirement]), this.ipAddress);
    } catch (error) {
      // A forged retirement statement is no honest mistake: it ends the connection.
      if (error instanceof ProtocolError) throw error;
      if (error instanceof ChatError) return this.reject(error, false);
      throw error;
    }
    checkSignedPrekey(key, hello.name, prekey, hello.prekeySig);
    const nonce = randomBytes(NONCE_BYTES);
    this.pending = { name: hello.name, key, prekey: hello.prekey, prekeySig: hello.prekeySig, nonce };
    this.state = 'awaiting-auth';
    this.send({ type: 'challenge', nonce: nonce.toString('base64') });
  }

  private onAuth(signatureBase64: string): void {
    const pending = this.pending;
    if (this.state !== 'awaiting-auth' || pending === undefined) throw unexpected('auth without a challenge');
    const publicKeyDer = Buffer.from(pending.key.publicKeyBase64, 'base64');
    const signature = Buffer.from(signatureBase64, 'base64');
    if (!verifyJoinProof(pending.key.publicKey, pending.nonce, pending.name, publicKeyDer, signature)) {
      throw new ChatError(ErrorCode.AUTH_FAILED, 'the challenge signature does not match the public key');
    }
    this.pending = undefined;
    this.joined = { name: pending.name, key: pending.key, prekey: pending.prekey, prekeySig: pending.prekeySig, joinedAt: Date.now() };
    // What this name had left when it last hung up counts too (another address buys no fresh burst).
    const now = performance.now();
    const left = this.host.budgetCarryover.startFor([`n:${nameKey(pending.name)}`], now);
    if (left !== undefined) this.pacer.budgets.lowerTo(left, now);
    // A clustered server claims the name across nodes first, so admission may finish later.
    this.state = 'admitting';
    let admitted: Promise<void> | void;
    try {
      admitted = this.host.admit(this);
    } catch (error) {
      return this.onAdmitFailed(error);
    }
    if (admitted === undefined) return this.onAdmitted();
    admitted.then(
      () => this.onAdmitted(),
      (error: unknown) => this.onAdmitFailed(error),
    );
  }

  private onAdmitted(): void {
    if (this.state !== 'admitting') return;
    this.state = 'joined';
    this.clearHandshakeTimer();
    this.armIdleTimer();
  }

  private onAdmitFailed(error: unknown): void {
    this.joined = undefined;
    if (!this.isOpen) return;
    if (error instanceof ChatError && error.code === ErrorCode.NAME_TAKEN) {
      // Someone took the name between our hello check and now; let the client pick again.
      this.state = 'awaiting-hello';
      return this.reject(error, false);
    }
    // Anything else (the cluster is unreachable) ends the attempt; the client retries later.
    this.onPeerError(error);
  }

  private onHandshakeTimeout(): void {
    if (this.state === 'awaiting-hello' || this.state === 'awaiting-auth' || this.state === 'admitting') {
      this.reject(new ChatError(ErrorCode.HANDSHAKE_TIMEOUT, `no completed join within ${this.host.limits.handshakeTimeoutMs} ms`), true);
    }
  }

  private onSlowReader(pendingBytes: number): void {
    // It is not reading, so an error frame would never arrive: drop it and free its buffers now.
    this.host.metrics.slowReaderDropped();
    this.host.logger.log('warn', 'client.slow_reader', { addr: this.remoteAddress, name: this.joined?.name ?? null, pendingBytes });
    this.destroy(ErrorCode.SLOW_READER);
  }

  private onEnd(): void {
    try {
      this.decoder.finish();
    } catch (error) {
      if (error instanceof FrameError) this.host.logger.log('warn', 'client.truncated', { addr: this.remoteAddress });
    }
    this.close('peer closed');
  }

  private onClose(): void {
    this.state = 'closed';
    this.clearHandshakeTimer();
    clearTimeout(this.idleTimer);
    this.pacer.stop();
    const now = performance.now();
    const name = this.joined?.name;
    this.host.budgetCarryover.remember([this.addressKey, ...(name === undefined ? [] : [`n:${nameKey(name)}`])], this.pacer.budgets.levels(now), now);
    this.host.onClosed(this);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

function unexpected(what: string): ProtocolError {
  return new ProtocolError(ErrorCode.UNEXPECTED_MESSAGE, what);
}

/**
 * A signed prekey must be 32 bytes, not a low-order point (even correctly signed, it would make
 * every member's room re-key fail), and signed by the identity key (else anyone, the server
 * included, could sit in the middle of DMs). Throws INVALID_MESSAGE: the connection ends.
 */
