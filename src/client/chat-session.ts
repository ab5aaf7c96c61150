// The headless client, as a thin facade: a ServerLink (transport, join, keepalive), an E2eEngine
// (sealing and opening, no I/O), a PeerDirectory (who is online, and the trust in each key) and a
// VideoRemote, reported as typed events. The TUI, the --json line mode, bots and tests are all
// views over this one object.
// Its parts do the work: what comes from the server in session-receiver.ts (messages opened in
// inbox.ts), who is listed in session-presence.ts, sealing and sending in message-sender.ts,
// delivery states in delivery-tracker.ts; the events it reports are typed in session-events.ts.
import { ChatError, ErrorCode } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import { type Census, MAX_AWAY_CHARS, type RoomModeChange, type RoomView } from '../core/messages.js';
import { buildHello } from '../core/prekey.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { DeliveryTracker } from './delivery-tracker.js';
import { E2eEngine } from './e2e-engine.js';
import { SessionReceiver } from './session-receiver.js';
import { MessageSender } from './message-sender.js';
import type { SentMessage, SessionEvents } from './session-events.js';
import { PrekeyUpkeep } from './prekey-upkeep.js';
import { ClientState } from './state/client-state.js';
import { KnownPeers } from './known-peers.js';
import { PeerDirectory, type PeerView } from './peer-directory.js';
import { Recipients } from './recipients.js';
import { type LinkState, ServerLink } from './server-link.js';
import { type VideoRequest, VideoRemote } from './video-remote.js';
import type { FileAttachment } from './files/attachment.js';
import { FileShelf } from './files/file-shelf.js';
import { FileTransfers } from './files/file-transfers.js';
import { RoomRequests } from './room-requests.js';
import { RoomRosters } from './room-rosters.js';
import { SessionPresence } from './session-presence.js';
import { SessionTrust } from './session-trust.js';
import { isRoomTarget } from '../core/room-names.js';

export type { RoomChange } from './room-rosters.js';
import type { ChatSessionOptions } from './chat-session-options.js';
export type { ChatSessionOptions } from './chat-session-options.js';

export type { PeerView } from './peer-directory.js';
export { JOIN_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS } from './server-link.js';

export { MAX_MESSAGE_CHARS } from './message-sender.js';
export type { ChatMessageEvent, SentMessage, SessionErrorEvent, SessionEvents } from './session-events.js';

export class ChatSession extends TypedEmitter<SessionEvents> {
  readonly identity: Identity;
  /** The server's videos: requests, and the current stream's state. */
  readonly video: VideoRemote;
  /** Files: `:send`, `:files`, `:save` (client/files/file-transfers.ts). */
  readonly files: FileTransfers;
  private readonly knownPeers: KnownPeers;
  private readonly directory: PeerDirectory;
  private readonly engine: E2eEngine;
  private readonly prekeys: PrekeyUpkeep;
  private readonly link: ServerLink;
  private readonly state: ClientState;
  private readonly tracker: DeliveryTracker;
  /** What comes from the server, handled in order (session-receiver.ts). */
  private readonly receiver: SessionReceiver;
  /** Seals, tracks and sends what the user writes and what we owe peers (receipts, keys). */
  private readonly sender: MessageSender;
  /** Settles the current connect() or rejoin() once the welcome's peers are listed. */
  private welcomed: (() => void) | undefined;
  /** The named rooms we are in, with their members: who a room message is sealed for. */
  private readonly rosters: RoomRosters;
  private readonly roomRequests: RoomRequests;
  /** Who is listed, as the server tells it (session-presence.ts). */
  private readonly presence: SessionPresence;
  /** Whom a line goes to, and whether it must wait for their keys (recipients.ts). */
  private readonly recipients: Recipients;
  /** Accepting and verifying peers' keys (session-trust.ts). */
  private readonly trustKeeper: SessionTrust;

  constructor(options: ChatSessionOptions) {
    super();
    this.identity = options.identity;
    this.knownPeers = options.knownPeers ?? KnownPeers.inMemory();
    this.state = options.state ?? ClientState.inMemory();
    this.tracker = options.tracker ?? new DeliveryTracker(this.state);
    this.engine =
      options.engine ??
      new E2eEngine({
        identity: options.identity,
        selfName: () => this.link.name,
        ...(this.state.engine === undefined ? {} : { state: this.state.engine }),
        ...(options.replay === undefined ? {} : { replay: options.replay }),
        ...(options.senderKeyBudget === undefined ? {} : { senderKeyBudget: options.senderKeyBudget }),
      });
    this.link = new ServerLink(
      {
        host: options.host,
        port: options.port,
        identity: options.identity,
        hello: (name) => buildHello(options.identity, name, this.engine.signedPrekey, options.retirements),
        ...(options.openStream === undefined ? {} : { openStream: options.openStream }),
        ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
        ...(options.joinTimeoutMs === undefined ? {} : { joinTimeoutMs: options.joinTimeoutMs }),
      },
      {
        welcomed: (welcome) => this.receiver.welcomed(welcome, () => this.welcomed?.()),
        message: (message) => this.receiver.handle(message),
        videoFrame: (frame) => this.emit('video-frame', frame),
        fileChunk: (chunk) => this.files.onChunk(chunk),
        error: (error) => {
          // A refusal about a file goes to the transfer it is about, which says it in its own words.
          if (error.ref === undefined || !this.files.onServerError(error.ref, error.code, error.message)) this.emit('error', error);
        },
        closed: (reason) => this.receiver.closed(reason),
      },
      options.name,
    );
    this.directory = new PeerDirectory(this.knownPeers, () => this.link.name, options.identity.fingerprint);
    this.video = new VideoRemote((request) => this.requestVideo(request), this);
    this.prekeys = new PrekeyUpkeep({
      identity: options.identity,
      engine: this.engine,
      state: this.state,
      name: () => this.link.name,
      isReady: () => this.isReady,
      send: (message) => this.link.send(message),
    });
    this.files =
      options.fileTransfers ??
      new FileTransfers(
        {
          isReady: () => this.isReady,
          send: (message) => this.sendFileMessage(message),
          announce: (to, text, file) => this.send(to, text, undefined, file),
          isSelf: (name) => this.directory.isSelf(name),
        },
        options.files ?? FileShelf.inMemory(),
      );
    this.rosters = new RoomRosters(options.keysOnSightMaxRoomMembers);
    this.roomRequests = new RoomRequests(this.rosters, (request) => {
      if (!this.isReady) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
      this.link.send(request);
    });
    this.presence = new SessionPresence({
      directory: this.directory,
      state: this.state,
      send: (message) => {
        if (this.link.state !== 'ready') return false;
        this.link.send(message);
        return true;
      },
      keysOnSight: (name) => this.rosters.sharesSmallRoom(name),
      isRoomMate: (name) => this.rosters.isMember(name),
      emit: this.emit.bind(this),
    });
    this.recipients = new Recipients(this.directory, this.rosters, this.presence);
    this.sender = new MessageSender({
      engine: this.engine,
      directory: this.directory,
      state: this.state,
      tracker: this.tracker,
      link: this.link,
      isReady: () => this.isReady,
      sent: (sent) => this.emit('sent', sent),
      error: (event) => this.emit('error', event),
      unusablePrekey: (name) => this.presence.reportUnusablePrekey(name),
    });
    this.receiver = new SessionReceiver({
      engine: this.engine,
      directory: this.directory,
      state: this.state,
      tracker: this.tracker,
      presence: this.presence,
      prekeys: this.prekeys,
      rosters: this.rosters,
      files: this.files,
      sender: this.sender,
      selfName: () => this.link.name,
      confirm: (received) => {
        if (this.isReady) this.link.send(received);
      },
      ...(options.keyWaitMs === undefined ? {} : { keyWaitMs: options.keyWaitMs }),
      video: this.video,
      fingerprint: options.identity.fingerprint,
      emit: this.emit.bind(this),
    });
    this.trustKeeper = new SessionTrust({
      identity: options.identity,
      directory: this.directory,
      sender: this.sender,
      inbox: this.receiver.inbox,
      selfName: () => this.link.name,
    });
  }

  /** Writes a file message or chunk (client/files/file-transfers.ts); resolves when the link can take more. */
  sendFileMessage(message: Parameters<ServerLink['sendFile']>[0]): Promise<void> {
    return this.link.sendFile(message);
  }

  /** Sends a video request now (NOT_CONNECTED when not joined); see VideoRemote. */
  requestVideo(request: VideoRequest): void {
    this.link.send(request);
  }

  /** The name we joined with (or are trying to join with). */
  get name(): string {
    return this.link.name;
  }

  get isReady(): boolean {
    return this.link.state === 'ready';
  }

  get connectionState(): LinkState {
    return this.link.state;
  }

  /**
   * How many users the server had when we joined (online, registered), as its welcome said; undefined before
   * one, or from an older server. On a big server the peer list holds only those we follow.
   */
  get census(): Census | undefined {
    return this.receiver.census;
  }

  /** True when the server tells us only of users we follow (a big server): the rest are not listed. */
  get followsOnly(): boolean {
    return this.presence.follower.followsOnly;
  }

  /** See Recipients.lookup: lists `to` (a user, or a room's members) with keys; false when there is no such user or room. */
  lookup(to: string): Promise<boolean> {
    return this.recipients.lookup(to);
  }

  /** See Recipients.needsLookup: a line to `to` must wait for lookup() first. */
  needsLookup(to: string | null): boolean {
    return this.recipients.needsLookup(to);
  }

  /** Sender-key chains held for other members, for tests and the memory bound in SECURITY.md. */
  get roomKeyStats(): E2eEngine['roomKeyStats'] {
    return this.engine.roomKeyStats;
  }

  /** Opens the connection and joins. Rejects with the server's error (e.g. NAME_TAKEN) or on disconnect. */
  async connect(): Promise<void> {
    // The signed prekey is replaced once it is due (the last few are kept, so sessions started to
    // them while we were away still open). The one we are about to announce must be on disk
    // first: messages sealed to it may wait on the server for our next run.
    if (this.engine.rotateSignedPrekeyIfDue() || this.state.engine === undefined) this.state.commit(this.engine.exportState());
    const listed = this.untilWelcomed();
    await this.link.connect();
    // Joined; ready once everyone in the welcome is listed (their keys cached or fetched).
    await listed;
  }

  private untilWelcomed(): Promise<void> {
    return new Promise((resolve) => {
      this.welcomed = () => {
        this.welcomed = undefined;
        resolve();
      };
    });
  }

  /** After a NAME_TAKEN or NAME_INVALID refusal the connection stays open: try another name. */
  async rejoin(name: string): Promise<void> {
    const listed = this.untilWelcomed();
    await this.link.rejoin(name);
    await listed;
  }

  /** Says goodbye and resolves once the connection is closed and the pins are on disk. */
  async close(reason = 'bye'): Promise<void> {
    await this.link.close(reason);
    await this.knownPeers.flush();
  }

  peers(): PeerView[] {
    return this.presence.views();
  }

  peer(name: string): PeerView | undefined {
    const peer = this.directory.get(name);
    return peer === undefined ? undefined : this.directory.view(peer);
  }

  // ---- sending -------------------------------------------------------------------------------

  /** `:away TEXT` (or '' to say you are back): the server keeps it while you are connected. */
  setAway(message: string): void {
    if (this.link.state !== 'ready') throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    this.link.send({ type: 'away', message: message.slice(0, MAX_AWAY_CHARS) });
  }

  /** Sends to the lobby (null), a named room ('#name') or one user, as `to` says. */
  send(to: string | null, text: string, shownAs?: string, file?: FileAttachment): SentMessage {
    if (to === null) return this.sendRoom(text, shownAs);
    return isRoomTarget(to) ? this.sendToRoom(to, text, shownAs, file) : this.sendDirect(to, text, shownAs, file);
  }

  /**
   * Sends to the lobby: everyone on the server. Peers whose key changed are left out until trusted
   * again, and so is a peer no session can start with (an unusable prekey): one bad member never
   * stops the room.
   */
  sendRoom(text: string, shownAs?: string): SentMessage {
    // Members away count too (protocol v4): what they miss is stored for them.
    return this.sender.sendToRoom(null, this.directory.others(), text, shownAs, this.presence.follower.followsOnly);
  }

  /** Sends to a named room we are in: sealed for its members (those away get it stored). */
  sendToRoom(room: string, text: string, shownAs?: string, file?: FileAttachment): SentMessage {
    const recipients = this.recipients.ofRoom(room);
    if (recipients === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${room}: :join ${room} first`);
    // Members whose keys never came (lookup first: see needsLookup) are told as not delivered.
    return this.sender.sendToRoom(recipients.room, recipients.members, text, shownAs, false, file, recipients.unkeyed);
  }

  /** Sends to one peer. Refused for a peer whose key changed until the user trusts the new key. */
  sendDirect(name: string, text: string, shownAs?: string, file?: FileAttachment): SentMessage {
    return this.sender.sendDirect(name, text, shownAs, file);
  }

  /** Replaces our signed prekey if it is due and announces it (see PrekeyUpkeep). */
  rotateSignedPrekeyIfDue(now?: number): boolean {
    return this.prekeys.rotateIfDue(now);
  }

  /** Sends again what never got a final word before the last disconnect, and receipts owed (see MessageSender.resend). */
  resendUnsettled(): number {
    return this.sender.resend();
  }

  // ---- rooms ---------------------------------------------------------------------------------

  /** The named rooms we are in, with their members. */
  rooms(): RoomView[] {
    return this.rosters.list();
  }

  room(name: string): RoomView | undefined {
    return this.rosters.get(name);
  }

  /** Room commands (room-requests.ts checks them first). */
  joinRoom(room: string): void {
    this.roomRequests.join(room);
  }

  partRoom(room: string): void {
    this.roomRequests.part(room);
  }

  setTopic(room: string, topic: string): void {
    this.roomRequests.setTopic(room, topic);
  }

  invite(room: string, name: string): void {
    this.roomRequests.invite(room, name);
  }

  kick(room: string, name: string, reason = ''): void {
    this.roomRequests.kick(room, name, reason);
  }

  setMode(room: string, mode: RoomModeChange): void {
    this.roomRequests.setMode(room, mode);
  }

  /** `:rooms`: answered with a 'rooms' event. */
  listRooms(): void {
    this.roomRequests.list();
  }

  // ---- trust (session-trust.ts) --------------------------------------------------------------

  trust(name: string): PeerView {
    return this.trustKeeper.trust(name);
  }

  verify(name: string): PeerView {
    return this.trustKeeper.verify(name);
  }

  safetyNumberWith(name: string): string {
    return this.trustKeeper.safetyNumberWith(name);
  }

  /** Kept messages containing `query` (any case), newest first. */
  search(query: string): ReturnType<ClientState['search']> {
    return this.state.search(query);
  }

  /** Drops the messages held from a contact whose key changed, unread. Returns how many. */
  discardHeld(name: string): number {
    return this.receiver.inbox.discardHeld(name);
  }
}
