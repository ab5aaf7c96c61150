// The headless client: connects, joins with a proof of key possession, mirrors the peer list,
// seals and opens envelopes, and reports everything as typed events. The TUI, the --json line
// mode, bots and tests are all views over this one object.
import type { Duplex } from 'node:stream';
import { ChatError, CryptoError, ErrorCode, FrameError, ProtocolError } from '../core/errors.js';
import { type MessageKeySource, openEnvelope, sealEnvelope } from '../core/envelope.js';
import { FrameDecoder } from '../core/frame-decoder.js';
import { FrameType, MAX_FRAME_BYTES_CEILING } from '../core/frame-types.js';
import type { Identity } from '../core/identity.js';
import { signJoinChallenge } from '../core/join-proof.js';
import { decodeServerMessage, encodeMessage } from '../core/message-codec.js';
import {
  type AnnouncedLimits,
  type ClientMessage,
  type DeliverMessage,
  type PeerSummary,
  type ServerMessage,
  type StreamEndMessage,
  type StreamStartMessage,
  type StreamStatusMessage,
  type VideoInfo,
} from '../core/messages.js';
import { type VideoFrame, decodeVideoFrame } from '../core/media-frame.js';
import { isValidName, nameKey, stripControlCharacters } from '../core/names.js';
import { ReplayGuard, type ReplayGuardOptions } from '../core/replay-guard.js';
import { ChainTracker } from '../core/chain-tracker.js';
import { randomBytes } from 'node:crypto';
import { safetyNumber } from '../core/safety-number.js';
import { DoubleRatchet, type RatchetHeader, type X25519KeyPair, generateX25519 } from '../core/double-ratchet.js';
import { buildHello } from '../core/prekey.js';
import { type SenderKeyGrant, SenderKeyChain } from '../core/sender-key.js';
import { type SenderKeyBudget, SenderKeyStore } from '../core/sender-key-store.js';
import { shortFingerprint } from '../core/fingerprint.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { KnownPeers } from './known-peers.js';
import { type AddOutcome, type DirectoryPeer, PeerDirectory, type PeerView } from './peer-directory.js';

export type { PeerView } from './peer-directory.js';
import { openTcpStream } from './tls-transport.js';

/** A ping this often keeps the server's idle timeout (120 s by default) from dropping a quiet client. */
export const KEEPALIVE_INTERVAL_MS = 30_000;
/** Longest message text accepted for sending, in characters. Longer text is refused, not split. */
export const MAX_MESSAGE_CHARS = 8000;
/**
 * Incoming frame limits until the server announces its own: control frames from the server (a
 * welcome lists everyone online) and media frames may be as large as any server may make them.
 * After the welcome, media frames are held to what this server announced.
 */
const INCOMING_LIMITS_BEFORE_WELCOME = { [FrameType.CONTROL]: MAX_FRAME_BYTES_CEILING, [FrameType.MEDIA]: MAX_FRAME_BYTES_CEILING } as const;
/**
 * How long the server gets from the opened connection to our welcome. Default 20 s: a server
 * gives a client 10 s to join; one that says nothing (or stalls the join) must not hang us forever.
 */
export const JOIN_TIMEOUT_MS = 20_000;
/** A server announcing media frames smaller than this is treated as announcing this (64 KiB). */
const MIN_MEDIA_FRAME_BYTES = 64 * 1024;

export interface ChatMessageEvent {
  readonly id: string;
  readonly from: string;
  /** null for the room, else the recipient (you). */
  readonly to: string | null;
  /** Control characters and escape sequences already removed. */
  readonly text: string;
  /** Sender's timestamp (ms). */
  readonly ts: number;
  /** Signature checked and the sender's key matches the one pinned for that name. */
  readonly verified: boolean;
}

export interface SentMessage {
  readonly id: string;
  readonly to: string | null;
  /** Peers left out because their key changed since first use and the user has not accepted it. */
  readonly withheld: readonly string[];
}

export interface SessionErrorEvent {
  readonly code: string;
  readonly message: string;
  readonly fatal: boolean;
  readonly ref?: string;
  /** The peer a message-level error is about, if any. */
  readonly peer?: string;
}

export interface SessionEvents {
  [event: string]: unknown;
  ready: { readonly name: string; readonly fingerprint: string; readonly peers: readonly PeerView[] };
  peers: readonly PeerView[];
  join: PeerView;
  leave: { readonly name: string };
  message: ChatMessageEvent;
  sent: SentMessage;
  ack: { readonly id: string; readonly delivered: number; readonly missing: readonly string[]; readonly unkeyed: readonly string[] };
  'key-changed': { readonly name: string; readonly pinned: string; readonly announced: string };
  videos: readonly VideoInfo[];
  poster: { readonly name: string; readonly jpeg: Buffer };
  'stream-start': StreamStartMessage;
  'stream-status': StreamStatusMessage;
  'stream-end': StreamEndMessage;
  'video-frame': VideoFrame;
  error: SessionErrorEvent;
  /** A clustered server lost (degraded) or regained (ok) its link to the other servers. */
  cluster: { readonly state: 'ok' | 'degraded'; readonly message: string };
  disconnected: { readonly reason: string };
}

export interface ChatSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly identity: Identity;
  /** TOFU store; default: in memory only. */
  readonly knownPeers?: KnownPeers;
  readonly replay?: ReplayGuardOptions;
  /**
   * Opens the byte stream to the server and resolves once it may carry our bytes (TCP connected;
   * for TLS, the certificate checked against its pin). Default plain TCP.
   */
  readonly openStream?: (host: string, port: number) => Promise<Duplex>;
  /** Ping interval; default KEEPALIVE_INTERVAL_MS. */
  readonly keepaliveMs?: number;
  /** Time allowed from the opened connection to the welcome; default JOIN_TIMEOUT_MS. */
  readonly joinTimeoutMs?: number;
  /** Budget for other members' room sender keys; default DEFAULT_SENDER_KEY_BUDGET. */
  readonly senderKeyBudget?: SenderKeyBudget;
}

type SessionState = 'idle' | 'connecting' | 'joining' | 'ready' | 'closed';

export class ChatSession extends TypedEmitter<SessionEvents> {
  readonly identity: Identity;
  private readonly options: ChatSessionOptions;
  private readonly knownPeers: KnownPeers;
  private readonly replay: ReplayGuard;
  private readonly chains = new ChainTracker();
  /** Our chain: fresh per session, so counters restart without looking like a replay. */
  private readonly chainId = randomBytes(9).toString('base64url');
  /** This connection's X25519 prekey: announced signed at join, forgotten with the session. */
  private readonly prekey: X25519KeyPair = generateX25519();
  /** Our current sender-key chain for the room, and the members who hold it. */
  private roomChain: { readonly chain: SenderKeyChain; readonly membership: string } | undefined;
  /** Peers' sender-key chains, with a budget per sender. */
  private readonly roomKeys: SenderKeyStore;
  /** One Double Ratchet per DM peer (lowercase name), tied to the prekey it started from. */
  private readonly ratchets = new Map<string, { readonly prekey: string; readonly ratchet: DoubleRatchet }>();
  /** Next seq per conversation we send in ('#room' or the recipient's lowercase name). */
  private readonly sendCounters = new Map<string, number>();
  private readonly directory: PeerDirectory;
  private stream: Duplex | undefined;
  private readonly decoder = new FrameDecoder(INCOMING_LIMITS_BEFORE_WELCOME);
  private state: SessionState = 'idle';
  private joinName: string;
  private limits: AnnouncedLimits | undefined;
  private joinWaiter: { resolve: () => void; reject: (error: ChatError) => void } | undefined;
  private closeReason: string | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;

  constructor(options: ChatSessionOptions) {
    super();
    this.options = options;
    this.identity = options.identity;
    this.joinName = options.name;
    this.knownPeers = options.knownPeers ?? KnownPeers.inMemory();
    this.directory = new PeerDirectory(this.knownPeers, () => this.joinName, options.identity.fingerprint);
    this.replay = new ReplayGuard(options.replay);
    this.roomKeys = new SenderKeyStore(options.senderKeyBudget);
  }

  /** The name we joined with (or are trying to join with). */
  get name(): string {
    return this.joinName;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get connectionState(): SessionState {
    return this.state;
  }

  /** Opens the connection and joins. Rejects with the server's error (e.g. NAME_TAKEN) or on disconnect. */
  async connect(): Promise<void> {
    if (this.state !== 'idle') throw new Error('connect() called twice');
    this.state = 'connecting';
    let stream: Duplex;
    try {
      stream = await (this.options.openStream ?? openTcpStream)(this.options.host, this.options.port);
    } catch (error) {
      this.state = 'closed';
      const reason = error instanceof ChatError ? error : new ChatError(ErrorCode.NOT_CONNECTED, `cannot connect: ${(error as Error).message}`);
      this.emit('error', { code: reason.code, message: reason.message, fatal: true });
      this.emit('disconnected', { reason: reason.message });
      throw reason;
    }
    if (this.state !== 'connecting') {
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
    this.joinTimer = setTimeout(() => this.failConnection(ErrorCode.HANDSHAKE_TIMEOUT, `the server did not let us join within ${joinTimeoutMs} ms`), joinTimeoutMs);
    this.sendHello();
    return joined;
  }

  /** After a NAME_TAKEN or NAME_INVALID refusal the connection stays open: try another name. */
  rejoin(name: string): Promise<void> {
    if (this.state !== 'connecting' || this.joinWaiter !== undefined) throw new Error('rejoin() is only for a refused name');
    this.joinName = name;
    this.sendHello();
    return this.waitForJoin();
  }

  peers(): PeerView[] {
    return this.directory.views();
  }

  peer(name: string): PeerView | undefined {
    const peer = this.directory.get(name);
    return peer === undefined ? undefined : this.directory.view(peer);
  }

  /**
   * Sends to everyone online. Peers whose key changed are left out until trusted again, and so is a
   * peer no session can start with (an unusable prekey): one bad member never stops the room.
   */
  sendRoom(text: string): SentMessage {
    this.checkSendable(text);
    const { chain, members } = this.roomChainFor(this.directory.others().filter((peer) => peer.trust !== 'changed' && peer.prekeyUsable));
    const keyed = new Set(members.map((peer) => peer.name));
    const withheld = this.directory.others().filter((peer) => !keyed.has(peer.name)).map((peer) => peer.name);
    return this.seal(null, { text }, members, withheld, { roomKey: chain.next() });
  }

  /**
   * Our sender-key chain for the room, replaced by a fresh one (handed to each member over the
   * pairwise ratchets) whenever the members differ from those who hold the current one: a member
   * who left cannot read on, and a newcomer cannot read back. A member the handover fails for is
   * marked unreachable, reported, and left out; the others get the chain.
   */
  private roomChainFor(candidates: readonly DirectoryPeer[]): { chain: SenderKeyChain; members: DirectoryPeer[] } {
    const membership = (members: readonly DirectoryPeer[]) => members.map((peer) => peer.name.toLowerCase()).sort().join('\u0000');
    if (this.roomChain !== undefined && this.roomChain.membership === membership(candidates)) return { chain: this.roomChain.chain, members: [...candidates] };
    const chain = new SenderKeyChain();
    const grant = chain.grant();
    const members: DirectoryPeer[] = [];
    for (const member of candidates) {
      try {
        this.seal(member.name, { senderKey: grant }, [], [], { ratchet: this.ratchetWith(member).nextSendingKey() }, false);
        members.push(member);
      } catch (error) {
        if (!(error instanceof CryptoError)) throw error;
        member.prekeyUsable = false;
        this.reportUnusablePrekey(member.name);
      }
    }
    this.roomChain = { chain, membership: membership(members) };
    return { chain, members };
  }

  private reportUnusablePrekey(name: string): void {
    this.emit('error', {
      code: ErrorCode.PEER_PREKEY_INVALID,
      message: `${name} announced a key no session can start from (a low-order prekey): nothing is sent to ${name}; everyone else still gets your messages`,
      fatal: false,
      peer: name,
    });
  }

  /** Sends to one peer. Refused for a peer whose key changed until the user trusts the new key. */
  sendDirect(name: string, text: string): SentMessage {
    const peer = this.directory.get(name);
    if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `${name} is not online`);
    if (peer.trust === 'changed') {
      throw new ChatError(ErrorCode.PEER_KEY_CHANGED, `${peer.name}'s key changed since you first saw it: compare safety numbers (:verify ${peer.name}), then confirm`);
    }
    if (!peer.prekeyUsable) {
      throw new ChatError(ErrorCode.PEER_PREKEY_INVALID, `${peer.name} announced a key no session can start from (a low-order prekey): nothing can be sent to ${peer.name}`);
    }
    this.checkSendable(text);
    return this.seal(peer.name, { text }, [], [], { ratchet: this.ratchetWith(peer).nextSendingKey() });
  }

  /**
   * The Double Ratchet with this peer, started from both prekeys on first use. A peer that
   * reconnected has a new prekey: the old ratchet (and its keys) are dropped for a new one.
   */
  private ratchetWith(peer: DirectoryPeer): DoubleRatchet {
    const key = peer.name.toLowerCase();
    const prekey = peer.prekey.toString('base64');
    const existing = this.ratchets.get(key);
    if (existing !== undefined && existing.prekey === prekey) return existing.ratchet;
    const ratchet = DoubleRatchet.start({ name: this.joinName, prekey: this.prekey }, { name: peer.name, prekey: peer.prekey });
    this.ratchets.set(key, { prekey, ratchet });
    return ratchet;
  }

  /** Accepts the key a peer now announces, unverified (refused for a contact you had verified). */
  trust(name: string): PeerView {
    return this.directory.accept(name, false);
  }

  /** The user compared the safety number out of band and it matched: accept and mark verified. */
  verify(name: string): PeerView {
    return this.directory.accept(name, true);
  }

  /**
   * The number to compare with that peer; the same on both sides (see core/safety-number.ts).
   * verify() afterwards confirms exactly the key this number was computed from.
   */
  safetyNumberWith(name: string): string {
    const peer = this.directory.requireOther(name);
    this.directory.markNumberShown(peer);
    return safetyNumber(
      { name: this.joinName, publicKeyDer: this.identity.publicKeyDer },
      { name: peer.name, publicKeyDer: Buffer.from(peer.publicKeyBase64, 'base64') },
    );
  }

  // ---- video ---------------------------------------------------------------------------------

  /** Asks for the server's video list; answered by a 'videos' event. */
  listVideos(): void {
    this.requireReady();
    this.write({ type: 'list-videos' });
  }

  /** Asks for a still of a video (answered by a 'poster' event); the server caps it at 160 px a side. */
  requestPoster(name: string, width: number, height: number): void {
    this.requireReady();
    this.write({ type: 'poster', name, width: evenPixels(width), height: evenPixels(height) });
  }

  /** Starts a stream fitted inside width x height pixels; answered by 'stream-start' or 'error'. */
  play(name: string, width: number, height: number): void {
    this.requireReady();
    this.write({ type: 'play', name, width: evenPixels(width), height: evenPixels(height) });
  }

  stopVideo(stream: number): void {
    this.requireReady();
    this.write({ type: 'stop-video', stream });
  }

  pauseVideo(stream: number, paused: boolean): void {
    this.requireReady();
    this.write({ type: 'pause-video', stream, paused });
  }

  seekVideo(stream: number, deltaMs: number): void {
    this.requireReady();
    this.write({ type: 'seek-video', stream, deltaMs: Math.round(deltaMs) });
  }

  resizeVideo(stream: number, width: number, height: number): void {
    this.requireReady();
    this.write({ type: 'resize-video', stream, width: evenPixels(width), height: evenPixels(height) });
  }

  private requireReady(): void {
    if (this.state !== 'ready') throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
  }

  /** Says goodbye and resolves once the connection is closed. */
  async close(reason = 'bye'): Promise<void> {
    const stream = this.stream;
    if (this.state === 'closed' || stream === undefined) {
      this.state = 'closed';
      return;
    }
    this.closeReason = reason;
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    if (this.state === 'ready') this.write({ type: 'bye' });
    stream.end();
    const timer = setTimeout(() => stream.destroy(), 2000);
    await closed;
    clearTimeout(timer);
    await this.knownPeers.flush();
  }

  // ---- sending -------------------------------------------------------------------------------

  private checkSendable(text: string): void {
    if (this.state !== 'ready') throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    if (text.length > MAX_MESSAGE_CHARS) {
      throw new ChatError(ErrorCode.MESSAGE_TOO_LARGE, `messages are limited to ${MAX_MESSAGE_CHARS} characters (this one has ${text.length})`);
    }
  }

  /**
   * Seals one envelope and writes it. Room messages name their recipients with no wrapped key
   * (members hold our sender key); DMs carry none at all. `announce: false` is for key handovers,
   * which are ours, not the user's, and raise no 'sent' event.
   */
  private seal(
    to: string | null,
    body: MessageBody,
    recipients: readonly DirectoryPeer[],
    withheld: string[],
    key: MessageKeySource,
    announce = true,
  ): SentMessage {
    const conversation = to === null ? '#room' : to.toLowerCase();
    const seq = this.sendCounters.get(conversation) ?? 0;
    const envelope = sealEnvelope({
      senderName: this.joinName,
      senderKey: this.identity.privateKey,
      chain: this.chainId,
      seq,
      to,
      plaintext: Buffer.from(JSON.stringify(body), 'utf8'),
      ...key,
    });
    const keys = Object.fromEntries(recipients.map((peer) => [peer.name, '']));
    const frame = encodeMessage({ type: 'send', to, envelope, keys });
    if (this.limits !== undefined && frame.length - 5 > this.limits.maxControlFrameBytes) {
      throw new ChatError(ErrorCode.MESSAGE_TOO_LARGE, `the sealed message (${frame.length} bytes) is over the server's frame limit`);
    }
    this.stream!.write(frame);
    this.sendCounters.set(conversation, seq + 1);
    const sent: SentMessage = { id: envelope.id, to, withheld };
    if (announce) this.emit('sent', sent);
    return sent;
  }

  private sendHello(): void {
    this.state = 'connecting';
    this.write(buildHello(this.identity, this.joinName, this.prekey));
  }

  private write(message: ClientMessage): void {
    this.stream?.write(encodeMessage(message));
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

  // ---- receiving -----------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type === FrameType.CONTROL) this.handle(decodeServerMessage(frame.body));
        else this.emit('video-frame', decodeVideoFrame(frame.body));
      }
    } catch (error) {
      if (error instanceof FrameError || error instanceof ProtocolError) {
        // The server's stream cannot be trusted any more: report and hang up.
        this.closeReason = `protocol error from server: ${error.message}`;
        this.emit('error', { code: error.code, message: error.message, fatal: true });
        this.stream?.destroy();
        return;
      }
      throw error;
    }
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'challenge': {
        this.state = 'joining';
        const signature = signJoinChallenge(
          this.identity.privateKey,
          Buffer.from(message.nonce, 'base64'),
          this.joinName,
          this.identity.publicKeyDer,
        );
        this.write({ type: 'auth', signature: signature.toString('base64') });
        return;
      }
      case 'welcome':
        return this.onWelcome(message.name, message.peers, message.limits);
      case 'peers':
        this.replacePeers(message.peers);
        this.emit('peers', this.peers());
        return;
      case 'join': {
        const added = this.directory.add(message.peer);
        this.reportAdded(added);
        if (added.kind === 'added') this.emit('join', this.directory.view(added.peer));
        return;
      }
      case 'leave':
        if (this.directory.remove(message.name)) this.emit('leave', { name: message.name });
        return;
      case 'message':
        return this.onMessage(message);
      case 'ack':
        // The codec let through only valid names here: nothing in them can reach a terminal raw.
        this.emit('ack', { id: message.id, delivered: message.delivered, missing: message.missing, unkeyed: message.unkeyed });
        return;
      case 'error':
        return this.onServerError(message.code, message.message, message.fatal, message.ref);
      case 'pong':
        return;
      case 'cluster':
        this.emit('cluster', { state: message.state, message: stripControlCharacters(message.message) });
        return;
      case 'shutdown':
        this.closeReason = `server shut down: ${stripControlCharacters(message.reason)}`;
        return;
      case 'videos':
        this.emit('videos', message.videos.map((video) => ({ ...video, name: stripControlCharacters(video.name) })));
        return;
      case 'poster':
        this.emit('poster', { name: stripControlCharacters(message.name), jpeg: Buffer.from(message.jpeg, 'base64') });
        return;
      case 'stream-start':
        this.emit('stream-start', { ...message, name: stripControlCharacters(message.name) });
        return;
      case 'stream-status':
        this.emit('stream-status', message);
        return;
      case 'stream-end':
        this.emit('stream-end', { ...message, message: stripControlCharacters(message.message) });
        return;
    }
  }

  private onWelcome(name: string, peers: readonly PeerSummary[], limits: AnnouncedLimits): void {
    // The server may not rename us: only the name we asked for (in any case) is ours.
    if (!isValidName(name) || nameKey(name) !== nameKey(this.joinName)) {
      throw new ProtocolError(ErrorCode.INVALID_MESSAGE, `the server welcomed us under a name we did not ask for (asked for ${this.joinName})`);
    }
    clearTimeout(this.joinTimer);
    this.state = 'ready';
    if (this.keepalive === undefined) {
      let nonce = 0;
      this.keepalive = setInterval(() => {
        if (this.state === 'ready') this.write({ type: 'ping', nonce: nonce++ });
      }, this.options.keepaliveMs ?? KEEPALIVE_INTERVAL_MS);
      this.keepalive.unref();
    }
    this.joinName = name;
    this.limits = limits;
    this.decoder.setLimits({
      [FrameType.CONTROL]: MAX_FRAME_BYTES_CEILING,
      [FrameType.MEDIA]: Math.min(MAX_FRAME_BYTES_CEILING, Math.max(MIN_MEDIA_FRAME_BYTES, limits.maxMediaFrameBytes)),
    });
    this.replacePeers(peers);
    this.emit('ready', { name, fingerprint: this.identity.fingerprint, peers: this.peers() });
    this.settleJoin();
  }

  private onServerError(code: string, text: string, fatal: boolean, ref?: string): void {
    const message = stripControlCharacters(text);
    if (fatal) this.closeReason = `${code}: ${message}`;
    this.emit('error', { code, message, fatal, ...(ref === undefined ? {} : { ref }) });
    if (this.state !== 'ready' && this.state !== 'closed') {
      // A refused join leaves the connection open for rejoin() unless the server said it is closing.
      this.state = fatal ? this.state : 'connecting';
      this.settleJoin(new ChatError(asErrorCode(code), message));
    }
  }

  private onMessage(message: DeliverMessage): void {
    const sender = this.directory.get(message.from);
    const ref = message.envelope.id;
    if (sender === undefined) {
      this.emit('error', { code: ErrorCode.ENVELOPE_INVALID, message: 'message from a peer who is not online', fatal: false, ref });
      return;
    }
    const addressedToUs = message.to === null || this.directory.isSelf(message.to);
    let text: string;
    try {
      if (!addressedToUs) throw new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
      // Direct messages come through the pair's ratchet, room messages through the sender's
      // sender-key chain: both forward secret, and nothing else is accepted. The chains move
      // only once the message has opened.
      const source = message.to === null ? this.roomKeys.keyFor(sender.name, message.envelope.senderKey) : this.dmKeyFor(sender, message.envelope.ratchet);
      const plaintext = openEnvelope({
        from: sender.name,
        to: message.to,
        envelope: message.envelope,
        senderPublicKey: sender.key.publicKey,
        messageKey: source.messageKey,
      });
      // Replay check only after the signature held, so forged ids cannot fill the table.
      this.replay.check(message.envelope.id, message.envelope.ts);
      source.commit();
      this.checkOrder(sender.name, message);
      const body = parseBody(plaintext);
      if ('senderKey' in body) {
        // A key handover (DMs only): kept even from a held contact, since it shows nothing.
        if (message.to === null) throw new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
        this.roomKeys.remember(sender.name, body.senderKey);
        return;
      }
      text = body.text;
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.emit('error', { code: error.code, message: `dropped a message from ${sender.name}: ${error.message}`, fatal: false, ref, peer: sender.name });
      return;
    }
    if (this.directory.isHeld(sender)) {
      // A verified contact with a new key must not carry on silently: hold its messages until the
      // user compares the new safety number.
      this.emit('error', {
        code: ErrorCode.PEER_KEY_CHANGED,
        message: `held a message from ${sender.name}: this verified contact's key changed; compare safety numbers with :verify ${sender.name}`,
        fatal: false,
        ref,
        peer: sender.name,
      });
      return;
    }
    this.emit('message', {
      id: message.envelope.id,
      from: sender.name,
      to: message.to,
      text: stripControlCharacters(text),
      ts: message.envelope.ts,
      verified: sender.trust !== 'changed',
    });
  }

  private dmKeyFor(sender: DirectoryPeer, header: RatchetHeader | undefined): { messageKey: Buffer; commit: () => void } {
    if (header === undefined) throw new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
    return this.ratchetWith(sender).receivingKey(header);
  }

  /** Sender-key chains held for other members, for tests and the memory bound in SECURITY.md. */
  get roomKeyStats(): SenderKeyStore['stats'] {
    return this.roomKeys.stats;
  }

  /** Reports messages the server dropped or delivered out of order (the message itself is shown). */
  private checkOrder(from: string, message: DeliverMessage): void {
    const { chain, seq, id } = message.envelope;
    const observation = this.chains.observe(from, chain, message.to === null ? '#room' : 'dm', seq);
    if (observation.kind === 'gap') {
      const count = observation.missing === 1 ? '1 message' : `${observation.missing} messages`;
      this.emit('error', { code: ErrorCode.MESSAGES_MISSING, message: `${count} from ${from} never arrived (dropped on the way)`, fatal: false, ref: id, peer: from });
    } else if (observation.kind === 'late') {
      this.emit('error', { code: ErrorCode.MESSAGE_LATE, message: `a message from ${from} arrived out of order`, fatal: false, ref: id, peer: from });
    }
  }

  /** The server broke the protocol or stalled: report it and hang up (ChatClient reconnects). */
  private failConnection(code: ErrorCode, message: string): void {
    this.closeReason = `${message}`;
    this.emit('error', { code, message, fatal: true });
    this.stream?.destroy();
  }

  private onStreamClosed(reason: string): void {
    clearInterval(this.keepalive);
    clearTimeout(this.joinTimer);
    if (this.state === 'closed') return;
    const wasJoining = this.state !== 'ready';
    this.state = 'closed';
    this.directory.clear();
    if (wasJoining) this.settleJoin(new ChatError(ErrorCode.NOT_CONNECTED, reason));
    this.emit('disconnected', { reason });
  }

  // ---- peers ---------------------------------------------------------------------------------

  private replacePeers(peers: readonly PeerSummary[]): void {
    for (const added of this.directory.replace(peers)) this.reportAdded(added);
  }

  /** Says what the user must know of a peer the server announced: a changed key, a forgery, a dead prekey. */
  private reportAdded(added: AddOutcome): void {
    if (added.kind === 'impostor') {
      this.emit('error', {
        code: ErrorCode.IMPERSONATION,
        message: `the server listed someone under YOUR name with another key (${shortFingerprint(added.fingerprint)}): refused; anything it sends as you is not shown`,
        fatal: false,
      });
      return;
    }
    if (added.kind !== 'added') return;
    if (added.keyChange !== undefined) this.emit('key-changed', added.keyChange);
    if (!added.peer.prekeyUsable) this.reportUnusablePrekey(added.peer.name);
  }
}

/** The server wants 2..2048 even pixels per side. */
function evenPixels(n: number): number {
  return Math.min(2048, Math.max(2, Math.floor(n / 2) * 2));
}

/** What an envelope carries: text for the user, or a sender-key handover. */
type MessageBody = { readonly text: string } | { readonly senderKey: SenderKeyGrant };

function parseBody(plaintext: Buffer): MessageBody {
  const fail = () => new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
  let body: unknown;
  try {
    body = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw fail();
  }
  const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof obj['text'] === 'string') return { text: obj['text'] };
  const grant = obj['senderKey'] as Partial<SenderKeyGrant> | undefined;
  if (typeof grant?.id === 'string' && typeof grant.key === 'string' && typeof grant.n === 'number') {
    return { senderKey: { id: grant.id, key: grant.key, n: grant.n } };
  }
  throw fail();
}

function asErrorCode(code: string): ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : ErrorCode.UNEXPECTED_MESSAGE;
}
