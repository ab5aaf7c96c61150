// The headless client, as a thin facade: a ServerLink (transport, join, keepalive), an E2eEngine
// (sealing and opening, no I/O), a PeerDirectory (who is online, and the trust in each key) and a
// VideoRemote, reported as typed events. The TUI, the --json line mode, bots and tests are all
// views over this one object.
// Its parts do the work: receiving in inbox.ts, sealing and sending in message-sender.ts,
// delivery states in delivery-tracker.ts; the events it reports are typed in session-events.ts.
// (Still past 400 lines: presence, rooms and trust are the next to leave.)
import type { Duplex } from 'node:stream';
import type { KeyRetirement } from '../core/key-retirement.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import { shortFingerprint } from '../core/fingerprint.js';
import type { Identity } from '../core/identity.js';
import {
  type Census,
  type FollowedMessage,
  MAX_AWAY_CHARS,
  type PeerSummary,
  type RoomModeChange,
  type RoomView,
  type WelcomeMessage,
} from '../core/messages.js';
import { stripControlCharacters } from '../core/names.js';
import { buildHello } from '../core/prekey.js';
import type { ReplayGuardOptions } from '../core/replay-guard.js';
import { safetyNumber } from '../core/safety-number.js';
import type { SenderKeyBudget } from '../core/sender-key-store.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { DeliveryTracker, type DeliverySummary } from './delivery-tracker.js';
import { E2eEngine } from './e2e-engine.js';
import { Inbox, KEY_REQUEST_WAIT_MS, OPEN_LOBBY_KEY_WAIT_MS } from './inbox.js';
import { MessageSender } from './message-sender.js';
import type { SentMessage, SessionEvents } from './session-events.js';
import { SIGNED_PREKEY_CHECK_MS } from './own-prekeys.js';
import { PrekeyUpkeep } from './prekey-upkeep.js';
import { KeyResolver } from './key-resolver.js';
import { ClientState } from './state/client-state.js';
import { KnownPeers } from './known-peers.js';
import { type AddOutcome, PeerDirectory, type PeerView } from './peer-directory.js';
import { type LinkMessage, type LinkState, ServerLink } from './server-link.js';
import { type VideoRequest, VideoRemote } from './video-remote.js';
import type { FileAttachment } from './files/attachment.js';
import { FileShelf } from './files/file-shelf.js';
import { FileTransfers } from './files/file-transfers.js';
import { relayNews } from './server-news.js';
import { RoomRequests } from './room-requests.js';
import { RoomRosters } from './room-rosters.js';
import { PresenceFollower } from './presence-follower.js';
import { isRoomTarget } from '../core/room-names.js';

export type { RoomChange } from './room-rosters.js';

export type { PeerView } from './peer-directory.js';
export { JOIN_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS } from './server-link.js';

export { MAX_MESSAGE_CHARS } from './message-sender.js';
export type { ChatMessageEvent, SentMessage, SessionErrorEvent, SessionEvents } from './session-events.js';
/** On a big server, how many of our latest DM partners we follow on joining (see recentContacts). */
const RECENT_CONTACTS = 200;

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
  /**
   * How long a room message waits for a key asked of its sender: default KEY_REQUEST_WAIT_MS, and
   * OPEN_LOBBY_KEY_WAIT_MS for the lobby of a server that tells us only of whom we follow.
   */
  readonly keyWaitMs?: { readonly closed: number; readonly openLobby: number };
  /** Ping interval; default KEEPALIVE_INTERVAL_MS. */
  readonly keepaliveMs?: number;
  /** Time allowed from the opened connection to the welcome; default JOIN_TIMEOUT_MS. */
  readonly joinTimeoutMs?: number;
  /** Budget for other members' room sender keys; default DEFAULT_SENDER_KEY_BUDGET. */
  readonly senderKeyBudget?: SenderKeyBudget;
  /** What survives this connection (ChatClient keeps one for all of them); default: fresh, in memory. */
  readonly state?: ClientState;
  readonly engine?: E2eEngine;
  readonly tracker?: DeliveryTracker;
  /**
   * The statements by which our earlier keys retired, oldest first, ending at this one (after
   * `keys rotate`): the server moves our name to the new key.
   */
  readonly retirements?: readonly KeyRetirement[];
  /** Files sent and received (client/files/file-shelf.ts); default: kept for this run only. */
  readonly files?: FileShelf;
  /** Transfers that outlive this connection (ChatClient keeps one for all of them); default: this session's own. */
  readonly fileTransfers?: FileTransfers;
}

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
  private readonly inbox: Inbox;
  /** Seals, tracks and sends what the user writes and what we owe peers (receipts, keys). */
  private readonly sender: MessageSender;
  /** Keys on demand: presence carries none (protocol v4). */
  private readonly keys: KeyResolver;
  /** The chain presence and messages are handled on, in order (see inOrder). */
  private ordered: Promise<void> = Promise.resolve();
  /** Settles the current connect() or rejoin() once the welcome's peers are listed. */
  private welcomed: (() => void) | undefined;
  private newsScheduled = false;
  /** Checks hourly, while connected, whether the signed prekey is due for rotation. */
  private rotationTimer: NodeJS.Timeout | undefined;
  /** The named rooms we are in, with their members: who a room message is sealed for. */
  private readonly rosters = new RoomRosters();
  private readonly roomRequests = new RoomRequests(this.rosters, (request) => {
    if (!this.isReady) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    this.link.send(request);
  });
  /** On a big server, whose presence we follow (and so who is listed): see PresenceFollower. */
  private readonly follower: PresenceFollower;
  private latestCensus: Census | undefined;
  /** Names to follow at the end of this turn, all in one request (see ensureListed). */
  private nextFollow: { readonly names: Set<string>; readonly done: Promise<void> } | undefined;

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
        welcomed: (welcome) => this.onWelcome(welcome),
        message: (message) => this.handle(message),
        videoFrame: (frame) => this.emit('video-frame', frame),
        fileChunk: (chunk) => this.files.onChunk(chunk),
        error: (error) => {
          // A refusal about a file goes to the transfer it is about, which says it in its own words.
          if (error.ref === undefined || !this.files.onServerError(error.ref, error.code, error.message)) this.emit('error', error);
        },
        closed: (reason) => this.onClosed(reason),
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
    this.keys = new KeyResolver(this.state, (names) => {
      if (this.link.state === 'ready') this.link.send({ type: 'keys', names });
    });
    this.follower = new PresenceFollower((names) => {
      if (this.link.state !== 'ready') return false;
      this.link.send({ type: 'follow', names });
      return true;
    });
    this.sender = new MessageSender({
      engine: this.engine,
      directory: this.directory,
      state: this.state,
      tracker: this.tracker,
      link: this.link,
      isReady: () => this.isReady,
      sent: (sent) => this.emit('sent', sent),
      error: (event) => this.emit('error', event),
      unusablePrekey: (name) => this.reportUnusablePrekey(name),
    });
    this.inbox = new Inbox(
      this.engine,
      this.directory,
      this.state,
      {
        message: (event) => {
          this.emit('message', event);
          if (event.file !== undefined) this.files.received(event.id, event.from, event.to, event.file);
        },
        error: (event) => this.emit('error', event),
        confirm: (received) => {
          if (this.isReady) this.link.send(received);
        },
        requestKey: (sender, chain, n, room) => this.sender.requestKey(sender, chain, n, room),
        answerKeyRequest: (sender, chain, n, room) => this.sender.answerKeyRequest(sender, chain, n, room, room === null && this.follower.followsOnly),
        payReceipts: (sender) => this.sender.payReceipts(sender),
        receiptArrived: (sender, ids) => {
          // On disk before anyone is told: this news comes once (the receipt is confirmed with the
          // turn), so "delivered" shown and then lost to a crash would never come back.
          const news = this.tracker.onEndToEndReceipt(sender, ids);
          if (news.length > 0) this.state.commit(undefined);
          this.afterDeliveryNews(news);
        },
      },
      (to) => {
        const { closed, openLobby } = options.keyWaitMs ?? { closed: KEY_REQUEST_WAIT_MS, openLobby: OPEN_LOBBY_KEY_WAIT_MS };
        return to === null && this.follower.followsOnly ? openLobby : closed;
      },
    );
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
    return this.latestCensus;
  }

  /** True when the server tells us only of users we follow (a big server): the rest are not listed. */
  get followsOnly(): boolean {
    return this.follower.followsOnly;
  }

  /**
   * Lists `name` if the server has such a user (on a big server, by following them); false when
   * nobody has that name. Used before writing to someone not listed yet.
   */
  async lookup(name: string): Promise<boolean> {
    await this.ensureListed([name]);
    return this.directory.get(name) !== undefined;
  }

  /** True when a DM to `to` must wait for lookup() first: a big server, and nobody listed by that name. */
  needsLookup(to: string | null): boolean {
    return to !== null && !isRoomTarget(to) && this.follower.followsOnly && this.directory.get(to) === undefined && !this.directory.isSelf(to);
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
    return this.directory.views();
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
    return this.sender.sendToRoom(null, this.directory.others(), text, shownAs, this.follower.followsOnly);
  }

  /** Sends to a named room we are in: sealed for its members (those away get it stored). */
  sendToRoom(room: string, text: string, shownAs?: string, file?: FileAttachment): SentMessage {
    const roster = this.rosters.get(room);
    if (roster === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${room}: :join ${room} first`);
    const members = roster.members.flatMap((member) => {
      const peer = this.directory.get(member.name);
      return peer === undefined || this.directory.isSelf(peer.name) ? [] : [peer];
    });
    return this.sender.sendToRoom(roster.name, members, text, shownAs, false, file);
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

  // ---- trust ---------------------------------------------------------------------------------

  /** Accepts the key a peer now announces, unverified (refused for a contact you had verified). */
  trust(name: string): PeerView {
    return this.accepted(this.directory.accept(name, false));
  }

  /** The user compared the safety number out of band and it matched: accept and mark verified. */
  verify(name: string): PeerView {
    return this.accepted(this.directory.accept(name, true));
  }

  /** A peer's new key accepted: what was held from them is shown, what was read is receipted. */
  private accepted(view: PeerView): PeerView {
    this.showHeld(view.name);
    this.sender.payReceipts(view.name);
    return view;
  }

  /** Kept messages containing `query` (any case), newest first. */
  search(query: string): ReturnType<ClientState['search']> {
    return this.state.search(query);
  }

  /** Drops the messages held from a contact whose key changed, unread. Returns how many. */
  discardHeld(name: string): number {
    return this.inbox.discardHeld(name);
  }

  /** Messages held from `name` while its new key was unconfirmed: shown now, marked so. */
  private showHeld(name: string): void {
    this.inbox.showHeld(name);
  }

  /**
   * The number to compare with that peer; the same on both sides (see core/safety-number.ts).
   * verify() afterwards confirms exactly the key this number was computed from.
   */
  safetyNumberWith(name: string): string {
    const peer = this.directory.requireOther(name);
    this.directory.markNumberShown(peer);
    return safetyNumber(
      { name: this.link.name, publicKeyDer: this.identity.publicKeyDer },
      { name: peer.name, publicKeyDer: Buffer.from(peer.publicKeyBase64, 'base64') },
    );
  }

  // ---- receiving -----------------------------------------------------------------------------

  private onWelcome(welcome: WelcomeMessage): void {
    this.rosters.replace(welcome.rooms ?? []);
    this.follower.reset(welcome.presence ?? 'everyone');
    this.latestCensus = welcome.census;
    if (welcome.oneTimePrekeys !== undefined) this.prekeys.topUp(welcome.oneTimePrekeys);
    if (this.rotationTimer === undefined) {
      this.rotationTimer = setInterval(() => this.rotateSignedPrekeyIfDue(), SIGNED_PREKEY_CHECK_MS);
      this.rotationTimer.unref();
    }
    this.inOrder(async () => {
      this.replacePeers(await this.keys.resolve(welcome.peers));
      // On a big server the welcome lists our room-mates only: follow whom we wrote with, too.
      await this.ensureListed(this.recentContacts());
      this.emit('ready', { name: welcome.name, fingerprint: this.identity.fingerprint, peers: this.peers() });
      this.welcomed?.();
      this.files.resume();
    });
  }

  /**
   * Presence and messages are handled one after another, in the order they came: one that needs
   * keys fetched first holds back those behind it (a message from a user who just joined must
   * find them listed).
   */
  private inOrder(step: () => Promise<void> | void): void {
    this.ordered = this.ordered.then(step).catch((error: unknown) => {
      if (!(error instanceof ChatError)) throw error;
      this.emit('error', { code: error.code, message: error.message, fatal: false });
    });
  }

  /**
   * On a big server, follows those of `names` not listed yet (they are listed once the server
   * answered, their keys fetched); elsewhere everyone is listed already and this does nothing.
   * Names asked for in one turn go in one `follow`: a burst of messages from strangers (a lobby
   * line's readers all asking for its chain) costs one round trip and one request against our
   * flood-control budget, not one each.
   */
  private ensureListed(names: readonly string[]): Promise<void> {
    if (!this.follower.followsOnly) return Promise.resolve();
    const missing = names.filter((name) => this.directory.get(name) === undefined && !this.directory.isSelf(name));
    if (missing.length === 0) return Promise.resolve();
    if (this.nextFollow === undefined) {
      const batch = new Set<string>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.nextFollow = undefined;
        await this.follower.follow([...batch].filter((name) => this.directory.get(name) === undefined));
      });
      this.nextFollow = { names: batch, done };
    }
    for (const name of missing) this.nextFollow.names.add(name);
    return this.nextFollow.done;
  }

  /** The users we last had DMs with (newest first, at most RECENT_CONTACTS), from the kept history. */
  private recentContacts(): string[] {
    const contacts = new Set<string>();
    const history = this.state.history();
    for (let i = history.length - 1; i >= 0 && contacts.size < RECENT_CONTACTS; i--) {
      const record = history[i]!;
      if (record.kind === 'in' && record.to !== null && !isRoomTarget(record.to)) contacts.add(record.from);
      if (record.kind === 'out' && record.to !== null && !isRoomTarget(record.to)) contacts.add(record.to);
    }
    return [...contacts];
  }

  /** The server's answer to a `follow`: those found are listed (keys cached or fetched), then the asker goes on. */
  private async onFollowed(message: FollowedMessage): Promise<void> {
    const waiter = this.follower.answered();
    try {
      for (const summary of await this.keys.resolve(message.peers)) {
        const added = this.directory.add(summary);
        this.reportAdded(added);
      }
      this.emit('peers', this.peers());
    } finally {
      waiter?.(message.unknown);
    }
  }

  private onJoin(summary: PeerSummary): void {
    const wasOnline = this.directory.get(summary.name)?.online === true;
    const added = this.directory.add(summary);
    this.reportAdded(added);
    if (added.kind !== 'added') return;
    // v4 presence: a registered user going away stays listed, as away.
    if (!added.peer.online) {
      if (wasOnline) this.emit('leave', { name: added.peer.name });
      return;
    }
    // Someone online announced again (a rotated signed prekey): their keys are updated, nobody joined.
    if (wasOnline) {
      this.emit('peers', this.peers());
      return;
    }
    this.emit('join', this.directory.view(added.peer));
  }

  private handle(message: LinkMessage): void {
    switch (message.type) {
      case 'key-bundles':
        return this.keys.received(message.bundles);
      case 'followed':
        // Not in order: a message waiting in order for its sender to be listed waits for this.
        return void this.onFollowed(message);
      case 'prekey-pool':
        return this.prekeys.topUp(message.oneTime);
      case 'peers':
        return this.inOrder(async () => {
          this.replacePeers(await this.keys.resolve(message.peers));
          this.emit('peers', this.peers());
        });
      case 'join':
        return this.inOrder(async () => {
          const [peer] = await this.keys.resolve([message.peer]);
          if (peer !== undefined) this.onJoin(peer);
        });
      case 'leave':
        return this.inOrder(() => {
          if (this.directory.remove(message.name)) this.emit('leave', { name: message.name });
        });
      case 'away':
        return this.inOrder(() => {
          if (this.directory.setAway(message.name, message.message)) {
            this.emit('away', { name: message.name, message: this.directory.get(message.name)?.awayMessage ?? '' });
          }
        });
      case 'message': {
        // On a big server a sender may not be listed yet (someone we never heard of): followed
        // from now, with any other stranger of this turn, so the message finds them listed.
        const listed = this.ensureListed([message.from]);
        return this.inOrder(async () => {
          await listed;
          this.inbox.receive(message);
        });
      }
      case 'room': {
        // In order with presence and messages: a room message after it is sealed for these members.
        const listed = this.ensureListed(message.room.members.map((member) => member.name));
        return this.inOrder(async () => {
          await listed;
          const room = this.rosters.set(message.room);
          this.emit('room-change', { event: { type: 'room-event', room: room.name, kind: 'join', name: this.link.name }, room });
        });
      }
      case 'room-event': {
        const listed = message.kind === 'join' ? this.ensureListed([message.name]) : undefined;
        return this.inOrder(async () => {
          await listed;
          const change = this.rosters.apply(message, this.link.name);
          if (change !== undefined) this.emit('room-change', change);
        });
      }
      case 'ack': {
        // The codec let through only valid names here: nothing in them can reach a terminal raw.
        const summary = this.tracker.onAck({ ...message, refused: message.refused.map((r) => ({ ...r, reason: stripControlCharacters(r.reason) })) });
        this.afterDeliveryNews(summary === undefined ? [] : [summary]);
        return;
      }
      case 'receipts':
        this.afterDeliveryNews(
          this.tracker.onReceipts(message.receipts.map((r) => (r.reason === undefined ? r : { ...r, reason: stripControlCharacters(r.reason) }))),
        );
        return;
      default:
        // The rest is news for the views, passed on cleaned (server-news.ts).
        return relayNews(message, (event, payload) => this.emit(event, payload), this.files);
    }
  }

  private afterDeliveryNews(summaries: readonly DeliverySummary[]): void {
    for (const summary of summaries) this.emit('delivery', summary);
    // Written once per turn of the event loop, not per ack: news lost in a crash only means a
    // resend, which recipients drop by id.
    if (this.newsScheduled) return;
    this.newsScheduled = true;
    setImmediate(() => {
      this.newsScheduled = false;
      this.tracker.prune();
      this.state.commit(undefined);
    });
  }

  private onClosed(reason: string): void {
    this.follower.reset(this.follower.scope);
    clearInterval(this.rotationTimer);
    this.rotationTimer = undefined;
    this.inbox.reset();
    this.directory.clear();
    this.rosters.clear();
    this.video.reset();
    this.files.disconnected();
    this.emit('disconnected', { reason });
  }

  // ---- peers ---------------------------------------------------------------------------------

  private replacePeers(peers: WelcomeMessage['peers']): void {
    for (const added of this.directory.replace(peers)) this.reportAdded(added);
  }

  /** Says what the user must know of a peer the server announced: a changed key, a forgery, a dead prekey. */
  private reportAdded(added: AddOutcome): void {
    if (added.kind === 'impostor') {
      this.emit('error', {
        code: ErrorCode.IMPERSONATION,
        message:
          `the server listed someone under YOUR name with another key (${shortFingerprint(added.fingerprint)}): ` +
          'refused; anything it sends as you is not shown',
        fatal: false,
      });
      return;
    }
    if (added.kind !== 'added') return;
    if (added.keyChange !== undefined) this.emit('key-changed', added.keyChange);
    if (!added.peer.prekeyUsable) this.reportUnusablePrekey(added.peer.name);
  }

  private reportUnusablePrekey(name: string): void {
    this.emit('error', {
      code: ErrorCode.PEER_PREKEY_INVALID,
      message: `${name} announced a key no session can start from (a low-order prekey): nothing is sent to ${name}; everyone else still gets your messages`,
      fatal: false,
      peer: name,
    });
  }
}
