// A ChatSession that survives the network: reconnects with backoff, re-joins with the same
// identity, offers another name when its own is taken, and queues what the user sends while
// offline (up to a limit, OutgoingQueue) instead of dropping it. The TUI is a view over this.
import { ChatError, ErrorCode } from '../core/errors.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { alternativeNames } from './alternative-names.js';
import { ChatSession, type PeerView } from './chat-session.js';
import { type ChatClientOptions, type ClientEvents, FORWARDED_EVENTS, type LinkState } from './client-events.js';
import type { SessionEvents } from './session-events.js';
import type { RoomModeChange, RoomView } from '../core/messages.js';
import { type DeliverySummary, DeliveryTracker } from './delivery-tracker.js';
import { OutgoingQueue, type SendOutcome } from './outgoing-queue.js';
import { E2eEngine } from './e2e-engine.js';
import { KnownPeers } from './known-peers.js';
import { ClientState, type HistoryRecord } from './state/client-state.js';
import { VideoRemote } from './video-remote.js';
import { FileShelf } from './files/file-shelf.js';
import { FileTransfers } from './files/file-transfers.js';

export type { BackoffOptions, ChatClientOptions, ClientEvents, LinkState } from './client-events.js';
export type { QueueReason, SendOutcome } from './outgoing-queue.js';

/** Refusals no retry can change: stop and say why (NAME_LIMIT: this key or address has its share of names). */
const PERMANENT_REFUSALS: ReadonlySet<string> = new Set([ErrorCode.VERSION_MISMATCH, ErrorCode.AUTH_FAILED, ErrorCode.NAME_INVALID, ErrorCode.NAME_LIMIT]);
/**
 * Failures to reach the server, said once per outage through 'state' rather than per retry. A
 * changed server certificate is one: the client keeps trying, so it connects again as soon as the
 * right server (or a proxy that was in the way, gone) answers, and never sends a byte before.
 */
const RETRIED_QUIETLY: ReadonlySet<string> = new Set([ErrorCode.NOT_CONNECTED, ErrorCode.SERVER_KEY_CHANGED]);

export class ChatClient extends TypedEmitter<ClientEvents> {
  private readonly options: ChatClientOptions;
  private readonly knownPeers: KnownPeers;
  private readonly wantedName: string;
  private session: ChatSession | undefined;
  private awayMessage = '';
  private linkState: LinkState = 'offline';
  private attempt = 0;
  /** The server answered once (this run, or an earlier one whose sessions this state holds). */
  private reached: boolean;
  /** The code of the last error of the connection attempt under way (said with the offline state). */
  private failureCode: string | undefined;
  /** What was typed and could not be sealed yet (offline, or waiting for a lookup). */
  private readonly outgoing: OutgoingQueue;
  /** Connection attempts so far: picks the server to try next among host:port and the alternates. */
  private attemptsMade = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastName: string;
  /** What outlives each connection: one engine (so sessions continue), the outbox and history. */
  private readonly kept: ClientState;
  private readonly tracker: DeliveryTracker;
  private engine: E2eEngine | undefined;
  /** The server's videos over whichever connection is up (requests fail with NOT_CONNECTED offline). */
  readonly video: VideoRemote;
  /** Files sent and received, over whichever connection is up (one set of transfers for all of them). */
  readonly files: FileTransfers;

  constructor(options: ChatClientOptions) {
    super();
    this.video = new VideoRemote((request) => this.requireSession().requestVideo(request), this);
    this.files = new FileTransfers(
      {
        isReady: () => this.session?.isReady === true,
        send: (message) => this.requireSession().sendFileMessage(message),
        announce: (to, text, file) => void this.requireSession().send(to, text, undefined, file),
        isSelf: (name) => name.toLowerCase() === this.name.toLowerCase(),
      },
      options.files ?? FileShelf.inMemory(),
    );
    this.options = options;
    this.knownPeers = options.knownPeers ?? KnownPeers.inMemory();
    this.wantedName = options.name;
    this.lastName = options.name;
    this.kept = options.state ?? ClientState.inMemory();
    this.reached = this.kept.engine !== undefined;
    this.tracker = new DeliveryTracker(this.kept);
    this.outgoing = new OutgoingQueue(
      this.kept,
      {
        queued: (event) => this.emit('queued', event),
        failed: (error, delivery) => {
          this.emit('error', error);
          this.emit('delivery', delivery);
        },
        flushed: (count) => this.emit('flushed', { count }),
      },
      (session) => session === this.session,
    );
  }

  /** Every message kept from earlier runs and this one, oldest first. */
  history(): readonly HistoryRecord[] {
    return this.kept.history();
  }

  /** Where one of our messages stands (for lines shown from the history): while tracked, and its final word once settled. */
  deliveryOf(id: string, to: string | null): DeliverySummary | undefined {
    return this.tracker.summaryOf(id, to);
  }

  /** Messages whose text contains `query` (any case), newest first. */
  search(query: string): HistoryRecord[] {
    return this.kept.search(query);
  }

  discardHeld(name: string): number {
    return this.requireSession().discardHeld(name);
  }

  get state(): LinkState {
    return this.linkState;
  }

  get name(): string {
    return this.session?.name ?? this.lastName;
  }

  get fingerprint(): string {
    return this.options.identity.fingerprint;
  }

  get queuedCount(): number {
    return this.outgoing.length;
  }

  peers(): PeerView[] {
    return this.session?.isReady === true ? this.session.peers() : [];
  }

  peer(name: string): PeerView | undefined {
    return this.session?.isReady === true ? this.session.peer(name) : undefined;
  }

  /** See ChatSession.census: how many users the server has (undefined while offline). */
  get census(): ChatSession['census'] {
    return this.session?.isReady === true ? this.session.census : undefined;
  }

  /** See ChatSession.followsOnly: a big server lists only those we follow. */
  get followsOnly(): boolean {
    return this.session?.isReady === true && this.session.followsOnly;
  }

  /** See ChatSession.lookup: lists `name` if the server has such a user. */
  async lookup(name: string): Promise<boolean> {
    return this.session?.isReady === true ? this.session.lookup(name) : false;
  }

  /** Starts connecting; keeps trying until stop(). */
  start(): void {
    if (this.linkState !== 'offline' || this.session !== undefined) return;
    this.announceHeld();
    void this.connectOnce();
  }

  /**
   * Messages held in an earlier run (a verified contact's key changed) are said again at start:
   * kept in the state, they were otherwise found only by a :discard.
   */
  private announceHeld(): void {
    const bySender = new Map<string, number>();
    for (const message of this.kept.held) bySender.set(message.from, (bySender.get(message.from) ?? 0) + 1);
    for (const [from, count] of bySender) {
      this.emit('error', {
        code: ErrorCode.PEER_KEY_CHANGED,
        message: `${count === 1 ? 'a message' : `${count} messages`} from ${from} ${count === 1 ? 'is' : 'are'} held: this verified contact's key changed; compare safety numbers with :verify ${from} (or :discard ${from})`,
        fatal: false,
        peer: from,
      });
    }
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    clearTimeout(this.retryTimer);
    await this.session?.close('bye');
  }

  sendRoom(text: string): SendOutcome {
    return this.sendOrQueue(null, text);
  }

  sendDirect(name: string, text: string): SendOutcome {
    return this.sendOrQueue(name, text);
  }

  /** To the lobby (null), a named room ('#name') or a user; queued while offline. */
  send(to: string | null, text: string): SendOutcome {
    return this.sendOrQueue(to, text);
  }

  /** The named rooms we are in (none while offline: the server says again on reconnect). */
  rooms(): RoomView[] {
    return this.session?.isReady === true ? this.session.rooms() : [];
  }

  room(name: string): RoomView | undefined {
    return this.session?.isReady === true ? this.session.room(name) : undefined;
  }

  /** Room commands (see ChatSession): refused with NOT_CONNECTED while offline. */
  joinRoom(room: string): void {
    this.requireSession().joinRoom(room);
  }

  partRoom(room: string): void {
    this.requireSession().partRoom(room);
  }

  setTopic(room: string, topic: string): void {
    this.requireSession().setTopic(room, topic);
  }

  invite(room: string, name: string): void {
    this.requireSession().invite(room, name);
  }

  kick(room: string, name: string, reason = ''): void {
    this.requireSession().kick(room, name, reason);
  }

  setMode(room: string, mode: RoomModeChange): void {
    this.requireSession().setMode(room, mode);
  }

  listRooms(): void {
    this.requireSession().listRooms();
  }

  trust(name: string): PeerView {
    return this.requireSession().trust(name);
  }

  verify(name: string): PeerView {
    return this.requireSession().verify(name);
  }

  safetyNumberWith(name: string): string {
    return this.requireSession().safetyNumberWith(name);
  }

  /** `:away TEXT`, or '' for back: sent now if online, and again after every reconnect. */
  setAway(message: string): void {
    this.awayMessage = message.trim();
    if (this.session?.isReady === true) this.session.setAway(this.awayMessage);
  }

  // ---- internals -----------------------------------------------------------------------------

  private requireSession(): ChatSession {
    if (this.session?.isReady !== true) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    return this.session;
  }

  private sendOrQueue(to: string | null, text: string): SendOutcome {
    const session = this.session?.isReady === true ? this.session : undefined;
    if (session !== undefined && this.queuedCount === 0 && !session.needsLookup(to)) {
      const sent = session.send(to, text);
      return { status: 'sent', sent };
    }
    // Online, a message waits only behind others waiting, or for its recipient to be looked up.
    if (session !== undefined) {
      const outcome = this.outgoing.add(to, text, 'lookup');
      this.outgoing.sendWhenListed(session, false);
      return outcome;
    }
    if (this.linkState === 'stopped') throw new ChatError(ErrorCode.NOT_CONNECTED, 'the client has stopped');
    if (!this.reached) {
      // A wrong port or host would otherwise collect messages for a server that never existed.
      throw new ChatError(
        ErrorCode.NOT_CONNECTED,
        `not sent: ${this.options.host}:${this.options.port} has not answered yet, and nothing is queued for a server never reached`,
      );
    }
    const max = this.options.maxQueued ?? 100;
    if (this.queuedCount >= max) {
      throw new ChatError(ErrorCode.NOT_CONNECTED, `offline, and ${max} messages are already waiting: this one was not queued`);
    }
    return this.outgoing.add(to, text, 'connection');
  }

  private async connectOnce(): Promise<void> {
    if (this.linkState === 'stopped') return;
    this.setState('connecting');
    this.failureCode = undefined;
    const servers = [{ host: this.options.host, port: this.options.port }, ...(this.options.alternates ?? [])];
    const server = servers[this.attemptsMade++ % servers.length]!;
    // One engine for every connection: the same prekey, ratchets and chains go on after a reconnect.
    this.engine ??= new E2eEngine({
      identity: this.options.identity,
      selfName: () => this.name,
      ...(this.kept.engine === undefined ? {} : { state: this.kept.engine }),
      ...(this.options.replay === undefined ? {} : { replay: this.options.replay }),
      ...(this.options.senderKeyBudget === undefined ? {} : { senderKeyBudget: this.options.senderKeyBudget }),
    });
    const session = new ChatSession({
      ...this.options,
      ...server,
      name: this.lastName,
      knownPeers: this.knownPeers,
      state: this.kept,
      engine: this.engine,
      tracker: this.tracker,
      fileTransfers: this.files,
    });
    this.session = session;
    for (const event of FORWARDED_EVENTS) {
      session.on(event, (payload: SessionEvents[typeof event]) => {
        // A failed connection attempt is reported once per outage through 'state', not per retry.
        if (event === 'error' && session === this.session) this.failureCode = (payload as SessionEvents['error']).code;
        if (event === 'error' && RETRIED_QUIETLY.has((payload as SessionEvents['error']).code)) return;
        // A name taken while joining is answered by joining under another (the 'renamed' event says
        // so once); shown as an error too, it read as if the join had failed.
        if (event === 'error' && (payload as SessionEvents['error']).code === ErrorCode.NAME_TAKEN && session.connectionState === 'connecting') return;
        this.emit(event, payload as ClientEvents[typeof event]);
      });
    }
    session.once('disconnected', ({ reason }) => this.onDisconnected(session, reason));
    try {
      await session.connect();
    } catch (caught) {
      if (!(caught instanceof ChatError)) return;
      if (session !== this.session) return;
      let error = caught;
      if (error.code === ErrorCode.NAME_TAKEN && session.connectionState === 'connecting') {
        const renamed = await this.joinUnderAnotherName(session);
        if (renamed === true) return this.onJoined(session);
        // Another refusal on the way (this key or address has its share of names) stops as below.
        if (renamed === false) return;
        error = renamed;
      }
      if (PERMANENT_REFUSALS.has(error.code)) {
        clearTimeout(this.retryTimer);
        this.setState('stopped', error.message);
        await session.close('refused');
      }
      return; // otherwise the disconnect handler schedules a retry
    }
    this.onJoined(session);
  }

  /** True once joined under another name; the refusal that ended the tries, or false when the connection went. */
  private async joinUnderAnotherName(session: ChatSession): Promise<boolean | ChatError> {
    for (const candidate of alternativeNames(this.wantedName)) {
      try {
        await session.rejoin(candidate);
        this.lastName = candidate;
        this.emit('renamed', { wanted: this.wantedName, got: candidate });
        return true;
      } catch (error) {
        if (!(error instanceof ChatError) || session.connectionState !== 'connecting') return false;
        if (error.code !== ErrorCode.NAME_TAKEN) return error;
      }
    }
    return false;
  }

  private onJoined(session: ChatSession): void {
    // Gone again since the welcome (a server restarting)? Its disconnect handler has scheduled the next try.
    if (session !== this.session || !session.isReady) return;
    this.attempt = 0;
    this.reached = true;
    this.setState('online');
    // The server forgets an away message with the connection: say it again on the new one.
    if (this.awayMessage !== '') session.setAway(this.awayMessage);
    // First what never got a final word before the connection went (the same envelopes: recipients
    // drop repeats), then what was typed while offline, in order. Each one's fate is reported.
    session.resendUnsettled();
    this.outgoing.sendWhenListed(session, true);
  }

  /** Hands what is queued to the session, in order. */
  private onDisconnected(session: ChatSession, reason: string): void {
    if (session !== this.session) return;
    this.session = undefined;
    if (this.linkState === 'stopped') return;
    if (this.failureCode === ErrorCode.REPLACED) return this.setState('stopped', reason); // our key joined again elsewhere: no tug of war
    const { initialMs = 500, maxMs = 30_000 } = this.options.backoff ?? {};
    // Exponential backoff with +-20% jitter, so a restarted server is not hit by everyone at once.
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt);
    const retryInMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.emitState({ state: 'offline', reason, retryInMs, reached: this.reached, ...(this.failureCode === undefined ? {} : { code: this.failureCode }) });
    this.retryTimer = setTimeout(() => void this.connectOnce(), retryInMs);
    this.retryTimer.unref?.();
  }

  private setState(state: LinkState, reason?: string): void {
    this.emitState({ state, ...(reason === undefined ? {} : { reason }) });
  }

  private emitState(event: ClientEvents['state']): void {
    if (this.linkState === 'stopped' && event.state !== 'stopped') return;
    this.linkState = event.state;
    // The server drops a stream with its connection.
    if (event.state !== 'online') this.video.reset();
    this.emit('state', event);
  }
}
