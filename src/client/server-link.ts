// The client's link to its server: opens the byte stream, frames it (adopting the limits the
// server announces), runs the join (hello, challenge, auth, and hello again under another name
// when one is refused), keeps the connection alive, and hands every other message to a sink.
// States: idle -> connecting (hello sent) -> joining (challenge answered) -> ready -> closed.
import type { Duplex } from 'node:stream';
import { ChatError, ErrorCode, FrameError, ProtocolError } from '../core/errors.js';
import { FrameDecoder } from '../core/frame-decoder.js';
import { FRAME_HEADER_BYTES, FrameType, MAX_FRAME_BYTES_CEILING } from '../core/frame-types.js';
import type { Identity } from '../core/identity.js';
import { signJoinChallenge } from '../core/join-proof.js';
import { type VideoFrame, decodeVideoFrame } from '../core/media-frame.js';
import { decodeServerMessage, encodeMessage } from '../core/message-codec.js';
import { type FileChunk, MAX_FILE_FRAME_BODY, decodeFileChunk, encodeFileChunkFrameParts } from '../core/file-codec.js';
import type { AnnouncedLimits, ClientMessage, FileRequest, HelloMessage, ServerMessage, WelcomeMessage } from '../core/messages.js';
import { isValidName, nameKey, stripControlCharacters } from '../core/names.js';
import { openTcpStream } from './tls-transport.js';
import { BatchWriter } from './batch-writer.js';

/** A ping this often keeps the server's idle timeout (120 s by default) from dropping a quiet client. */
export const KEEPALIVE_INTERVAL_MS = 30_000;
/**
 * How long the server gets from the opened connection to our welcome. Default 20 s: a server
 * gives a client 10 s to join; one that says nothing (or stalls the join) must not hang us forever.
 */
export const JOIN_TIMEOUT_MS = 20_000;
/** A server announcing media frames smaller than this is treated as announcing this (64 KiB). */
const MIN_MEDIA_FRAME_BYTES = 64 * 1024;
/**
 * Incoming frame limits until the server announces its own: control frames from the server (a
 * welcome lists everyone online) and media frames may be as large as any server may make them.
 * After the welcome, media frames are held to what this server announced.
 */
/** File chunks an upload may have queued on the socket before it waits for it to drain (four chunks). */
const FILE_WRITE_WINDOW_BYTES = 256 * 1024;
const INCOMING_LIMITS_BEFORE_WELCOME = { [FrameType.CONTROL]: MAX_FRAME_BYTES_CEILING, [FrameType.MEDIA]: MAX_FRAME_BYTES_CEILING } as const;

export type LinkState = 'idle' | 'connecting' | 'joining' | 'ready' | 'closed';

/** A link-level problem to report: the server's error, a protocol error, a join that timed out. */
export interface LinkError {
  readonly code: string;
  readonly message: string;
  readonly fatal: boolean;
  readonly ref?: string;
}

/** What the link hands on after the welcome: everything but the handshake, errors, pongs and the shutdown notice. */
export type LinkMessage = Exclude<ServerMessage, { type: 'challenge' | 'welcome' | 'error' | 'pong' | 'shutdown' }>;

/** Where the link hands what it receives (nats.js-style: a sink, not an emitter). */
export interface ServerLinkSink {
  /** The welcome (already checked: our name, the limits adopted), before connect() resolves. */
  welcomed(welcome: WelcomeMessage): void;
  /** Every message after the welcome other than errors, pongs and the shutdown notice. */
  message(message: LinkMessage): void;
  videoFrame(frame: VideoFrame): void;
  /** One chunk of a file being downloaded (core/file-codec.ts). */
  fileChunk(chunk: FileChunk): void;
  error(error: LinkError): void;
  closed(reason: string): void;
}

export interface ServerLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly identity: Identity;
  /** Builds the hello for a name (the session signs its prekey into it). */
  readonly hello: (name: string) => HelloMessage;
  /** Opens the byte stream (TCP, or TLS checked against its pin). Default plain TCP. */
  readonly openStream?: (host: string, port: number) => Promise<Duplex>;
  /** Ping interval; default KEEPALIVE_INTERVAL_MS. */
  readonly keepaliveMs?: number;
  /** Time allowed from the opened connection to the welcome; default JOIN_TIMEOUT_MS. */
  readonly joinTimeoutMs?: number;
}

export class ServerLink {
  private stream: Duplex | undefined;
  private readonly decoder = new FrameDecoder(INCOMING_LIMITS_BEFORE_WELCOME);
  private linkState: LinkState = 'idle';
  private joinName: string;
  private announced: AnnouncedLimits | undefined;
  /** Frames encoded, by message (measured by checkFits or the batch writer, then written as they are): messages are never changed once sealed. */
  private readonly measured = new WeakMap<ClientMessage, Buffer>();
  /** DMs and confirmations written in one turn go as batch frames (batch-writer.ts). */
  private readonly batcher = new BatchWriter(
    (message) => this.write(message),
    () => this.announced,
    (message) => this.encoded(message).length - FRAME_HEADER_BYTES,
  );
  private joinWaiter: { resolve: () => void; reject: (error: ChatError) => void } | undefined;
  private closeReason: string | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  /** The server said it is shutting down: nothing more is sent on this link. */
  private goingAway = false;

  constructor(
    private readonly options: ServerLinkOptions,
    private readonly sink: ServerLinkSink,
    name: string,
  ) {
    this.joinName = name;
  }

  get state(): LinkState {
    return this.goingAway && this.linkState === 'ready' ? 'closed' : this.linkState;
  }

  /** The name we joined with (or are trying to join with). */
  get name(): string {
    return this.joinName;
  }

  /** What the server announced in its welcome; undefined before. */
  get limits(): AnnouncedLimits | undefined {
    return this.announced;
  }

  /** Opens the connection and joins. Rejects with the server's refusal (e.g. NAME_TAKEN) or on disconnect. */
  async connect(): Promise<void> {
    if (this.linkState !== 'idle') throw new Error('connect() called twice');
    this.linkState = 'connecting';
    let stream: Duplex;
    try {
      stream = await (this.options.openStream ?? openTcpStream)(this.options.host, this.options.port);
    } catch (error) {
      this.linkState = 'closed';
      const reason = error instanceof ChatError ? error : new ChatError(ErrorCode.NOT_CONNECTED, `cannot connect: ${(error as Error).message}`);
      this.sink.error({ code: reason.code, message: reason.message, fatal: true });
      this.sink.closed(reason.message);
      throw reason;
    }
    if (this.linkState !== 'connecting') {
      // close() was called while the transport was opening.
      stream.destroy();
      throw new ChatError(ErrorCode.NOT_CONNECTED, 'closed while connecting');
    }
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (error) => this.onStreamClosed(`connection error: ${error.message}`));
    stream.on('close', () => this.onStreamClosed(this.closeReason ?? 'connection closed'));
    const joined = this.waitForJoin();
    const joinTimeoutMs = this.options.joinTimeoutMs ?? JOIN_TIMEOUT_MS;
    this.joinTimer = setTimeout(() => this.fail(ErrorCode.HANDSHAKE_TIMEOUT, `the server did not let us join within ${joinTimeoutMs} ms`), joinTimeoutMs);
    this.sendHello();
    return joined;
  }

  /** After a NAME_TAKEN or NAME_INVALID refusal the connection stays open: try another name. */
  rejoin(name: string): Promise<void> {
    if (this.linkState !== 'connecting' || this.joinWaiter !== undefined) throw new Error('rejoin() is only for a refused name');
    this.joinName = name;
    this.sendHello();
    return this.waitForJoin();
  }

  /** Writes one message; refused (NOT_CONNECTED) unless joined. */
  send(message: ClientMessage): void {
    if (this.state !== 'ready') throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    this.batcher.send(message);
  }

  /**
   * Writes one sealed message after checking it against the frame limit the server announced;
   * throws MESSAGE_TOO_LARGE without writing. The check is separate so a sealer can refuse before
   * it counts a message as sent.
   */
  checkFits(message: ClientMessage): void {
    // Kept for write(): a sealed message is measured here and sent moments later, encoded once.
    const frame = this.encoded(message);
    const bytes = frame.length - FRAME_HEADER_BYTES;
    if (this.announced !== undefined && bytes > this.announced.maxControlFrameBytes) {
      throw new ChatError(ErrorCode.MESSAGE_TOO_LARGE, `the sealed message (${bytes} bytes) is over the server's frame limit`);
    }
  }

  /**
   * Writes a file message or chunk (core/file-messages.ts) and resolves once the connection can
   * take more: an upload goes at the pace of the socket, never faster than it drains, with up to
   * FILE_WRITE_WINDOW_BYTES queued (a socket's own mark, 16 KiB, is less than one chunk: waiting
   * on it would leave the wire idle while the next chunk is read and sealed). Kept small: a chat
   * line sent during an upload waits behind what is queued.
   */
  sendFile(message: FileRequest | FileChunk): Promise<void> {
    const stream = this.stream;
    if (this.linkState !== 'ready' || stream === undefined) return Promise.reject(new ChatError(ErrorCode.NOT_CONNECTED, 'not connected to the server'));
    // A chunk goes as its headers and its sealed data, written together (one writev), not copied into one buffer.
    const parts = 'type' in message ? [encodeMessage(message)] : encodeFileChunkFrameParts(message);
    // What waits to be batched goes first (a file's message before its chunks).
    this.batcher.flush();
    stream.cork();
    let accepted = true;
    for (const part of parts) accepted = stream.write(part);
    stream.uncork();
    if (accepted || stream.writableLength < FILE_WRITE_WINDOW_BYTES) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        stream.off('drain', drained);
        stream.off('close', closed);
        if (error === undefined) resolve();
        else reject(error);
      };
      const drained = () => done();
      const closed = () => done(new ChatError(ErrorCode.NOT_CONNECTED, 'the connection closed'));
      stream.once('drain', drained);
      stream.once('close', closed);
    });
  }

  /** Says goodbye and resolves once the connection is closed. */
  async close(reason = 'bye'): Promise<void> {
    const stream = this.stream;
    if (this.linkState === 'closed' || stream === undefined) {
      this.linkState = 'closed';
      return;
    }
    this.closeReason = reason;
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    if (this.linkState === 'ready') this.batcher.send({ type: 'bye' });
    stream.end();
    const timer = setTimeout(() => stream.destroy(), 2000);
    await closed;
    clearTimeout(timer);
  }

  // ---- internals -----------------------------------------------------------------------------

  private sendHello(): void {
    this.linkState = 'connecting';
    this.write(this.options.hello(this.joinName));
  }

  private write(message: ClientMessage): void {
    this.stream?.write(this.encoded(message));
  }

  /** The message's frame, encoded on first need and kept (messages are never changed once sealed). */
  private encoded(message: ClientMessage): Buffer {
    let frame = this.measured.get(message);
    if (frame === undefined) {
      frame = encodeMessage(message);
      this.measured.set(message, frame);
    }
    return frame;
  }

  private waitForJoin(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.joinWaiter = { resolve, reject };
    });
  }

  private settleJoin(error?: ChatError): void {
    const waiter = this.joinWaiter;
    this.joinWaiter = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }

  private onData(chunk: Buffer): void {
    if (this.linkState === 'closed') return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type === FrameType.CONTROL) this.handle(decodeServerMessage(frame.body));
        else if (frame.type === FrameType.FILE) this.sink.fileChunk(decodeFileChunk(frame.body));
        else this.sink.videoFrame(decodeVideoFrame(frame.body));
      }
    } catch (error) {
      if (error instanceof FrameError || error instanceof ProtocolError) {
        // The server's stream cannot be trusted any more: report and hang up.
        this.fail(error.code, error.message, `protocol error from server: ${error.message}`);
        return;
      }
      throw error;
    }
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'challenge': {
        this.linkState = 'joining';
        const signature = signJoinChallenge(
          this.options.identity.privateKey,
          Buffer.from(message.nonce, 'base64'),
          this.joinName,
          this.options.identity.publicKeyDer,
        );
        this.write({ type: 'auth', signature: signature.toString('base64') });
        return;
      }
      case 'welcome':
        return this.onWelcome(message);
      case 'error':
        return this.onServerError(message.code, message.message, message.fatal, message.ref);
      case 'pong':
        return;
      case 'shutdown':
        // The server is going away: what is typed from now on waits for the next connection (the
        // client queues it), and we hang up so the server's drain ends early. What we sent before
        // this notice is still delivered.
        this.closeReason = `server shut down: ${stripControlCharacters(message.reason)}`;
        this.goingAway = true;
        void this.close(this.closeReason);
        return;
      default:
        if (this.linkState !== 'ready') throw new ProtocolError(ErrorCode.UNEXPECTED_MESSAGE, `${message.type} before the welcome`);
        this.sink.message(message);
    }
  }

  private onWelcome(welcome: WelcomeMessage): void {
    if (this.linkState === 'ready') throw new ProtocolError(ErrorCode.UNEXPECTED_MESSAGE, 'a second welcome');
    // The server may not rename us: only the name we asked for (in any case) is ours.
    if (!isValidName(welcome.name) || nameKey(welcome.name) !== nameKey(this.joinName)) {
      throw new ProtocolError(ErrorCode.INVALID_MESSAGE, `the server welcomed us under a name we did not ask for (asked for ${this.joinName})`);
    }
    clearTimeout(this.joinTimer);
    this.linkState = 'ready';
    this.startKeepalive();
    this.joinName = welcome.name;
    this.announced = welcome.limits;
    this.decoder.setLimits({
      [FrameType.CONTROL]: MAX_FRAME_BYTES_CEILING,
      [FrameType.MEDIA]: Math.min(MAX_FRAME_BYTES_CEILING, Math.max(MIN_MEDIA_FRAME_BYTES, welcome.limits.maxMediaFrameBytes)),
      [FrameType.FILE]: MAX_FILE_FRAME_BODY,
    });
    this.sink.welcomed(welcome);
    this.settleJoin();
  }

  private startKeepalive(): void {
    let nonce = 0;
    this.keepalive = setInterval(() => {
      if (this.linkState === 'ready') this.write({ type: 'ping', nonce: nonce++ });
    }, this.options.keepaliveMs ?? KEEPALIVE_INTERVAL_MS);
    this.keepalive.unref();
  }

  private onServerError(code: string, text: string, fatal: boolean, ref?: string): void {
    const message = stripControlCharacters(text);
    if (fatal) this.closeReason = `${code}: ${message}`;
    this.sink.error({ code, message, fatal, ...(ref === undefined ? {} : { ref }) });
    if (this.linkState !== 'ready' && this.linkState !== 'closed') {
      // A refused join leaves the connection open for rejoin() unless the server said it is closing.
      if (!fatal) this.linkState = 'connecting';
      this.settleJoin(new ChatError(asErrorCode(code), message));
    }
  }

  /** The server broke the protocol or stalled: report it and hang up (ChatClient reconnects). */
  private fail(code: string, message: string, reason = message): void {
    this.closeReason = reason;
    this.sink.error({ code, message, fatal: true });
    this.stream?.destroy();
  }

  private onStreamClosed(reason: string): void {
    clearInterval(this.keepalive);
    clearTimeout(this.joinTimer);
    this.batcher.clear();
    if (this.linkState === 'closed') return;
    const wasJoining = this.linkState !== 'ready';
    this.linkState = 'closed';
    if (wasJoining) this.settleJoin(new ChatError(ErrorCode.NOT_CONNECTED, reason));
    this.sink.closed(reason);
  }
}

function asErrorCode(code: string): ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : ErrorCode.UNEXPECTED_MESSAGE;
}
