// What a session receives from its server, handled in the order it came: the welcome, presence,
// messages (opened by the Inbox it owns), room news, and the delivery outcomes of what we sent
// (acks, receipts), written to disk once per turn; and what a closed link takes with it. The rest
// is news for the views (server-news.ts).
import { ChatError } from '../core/errors.js';
import type { Census, WelcomeMessage } from '../core/messages.js';
import { stripControlCharacters } from '../core/names.js';
import type { DeliverySummary, DeliveryTracker } from './delivery-tracker.js';
import type { E2eEngine } from './e2e-engine.js';
import type { FileTransfers } from './files/file-transfers.js';
import type { ChatSessionOptions } from './chat-session-options.js';
import { Inbox, type InboxOutput, KEY_REQUEST_WAIT_MS, OPEN_LOBBY_KEY_WAIT_MS } from './inbox.js';
import type { MessageSender } from './message-sender.js';
import type { PeerDirectory } from './peer-directory.js';
import type { PrekeyUpkeep } from './prekey-upkeep.js';
import type { VideoRemote } from './video-remote.js';
import type { RoomRosters } from './room-rosters.js';
import { relayNews } from './server-news.js';
import type { LinkMessage } from './server-link.js';
import type { SessionPresence, SessionPresenceParts } from './session-presence.js';
import type { ClientState } from './state/client-state.js';

export interface SessionReceiverParts {
  readonly engine: E2eEngine;
  readonly directory: PeerDirectory;
  readonly state: ClientState;
  readonly tracker: DeliveryTracker;
  readonly presence: SessionPresence;
  readonly prekeys: PrekeyUpkeep;
  readonly rosters: RoomRosters;
  readonly files: FileTransfers;
  readonly sender: MessageSender;
  /** Our name now (a room we joined is news about us). */
  selfName(): string;
  /** Tells the server which messages we kept (only while connected). */
  confirm: InboxOutput['confirm'];
  /** How long a room message waits for a key asked of its sender (ChatSessionOptions.keyWaitMs). */
  readonly keyWaitMs?: ChatSessionOptions['keyWaitMs'];
  readonly video: VideoRemote;
  /** Our key's fingerprint, said in 'ready'. */
  readonly fingerprint: string;
  emit: SessionPresenceParts['emit'];
}

export class SessionReceiver {
  readonly inbox: Inbox;
  /** The chain presence and messages are handled on, in order (see inOrder). */
  private ordered: Promise<void> = Promise.resolve();
  private newsScheduled = false;
  /** How many users the server had when we joined (online, registered), as its welcome said. */
  census: Census | undefined;

  constructor(private readonly parts: SessionReceiverParts) {
    const { sender, tracker, state, files, emit } = parts;
    this.inbox = new Inbox(
      parts.engine,
      parts.directory,
      state,
      {
        message: (event) => {
          emit('message', event);
          if (event.file !== undefined) files.received(event.id, event.from, event.to, event.file);
        },
        error: (event) => emit('error', event),
        confirm: parts.confirm,
        requestKey: (from, chain, n, room) => sender.requestKey(from, chain, n, room),
        answerKeyRequest: (from, chain, n, room) => sender.answerKeyRequest(from, chain, n, room, room === null && parts.presence.follower.followsOnly),
        payReceipts: (from) => sender.payReceipts(from),
        receiptArrived: (from, ids) => {
          // On disk before anyone is told: this news comes once (the receipt is confirmed with the
          // turn), so "delivered" shown and then lost to a crash would never come back.
          const news = tracker.onEndToEndReceipt(from, ids);
          if (news.length > 0) state.commit(undefined);
          this.deliveryNews(news);
        },
      },
      (to) => {
        const { closed, openLobby } = parts.keyWaitMs ?? { closed: KEY_REQUEST_WAIT_MS, openLobby: OPEN_LOBBY_KEY_WAIT_MS };
        return to === null && parts.presence.follower.followsOnly ? openLobby : closed;
      },
    );
  }

  /** Joined: rooms, presence and prekeys as the welcome says; `ready` once its peers are listed. */
  welcomed(welcome: WelcomeMessage, ready: () => void): void {
    const { rosters, prekeys, presence, emit } = this.parts;
    const follower = presence.follower;
    rosters.replace(welcome.rooms ?? []);
    follower.reset(welcome.presence ?? 'everyone');
    this.census = welcome.census;
    if (welcome.oneTimePrekeys !== undefined) prekeys.topUp(welcome.oneTimePrekeys);
    prekeys.startRotationChecks();
    this.inOrder(async () => {
      // On a big server the welcome lists our room-mates only: whom we wrote with is followed too.
      await presence.listWelcomed(welcome.peers);
      emit('ready', { name: welcome.name, fingerprint: this.parts.fingerprint, peers: presence.views() });
      ready();
      this.parts.files.resume();
    });
  }

  /** The link closed: what was known of this connection goes (it comes again with the next welcome). */
  closed(reason: string): void {
    const { prekeys, rosters, video, files, emit } = this.parts;
    const follower = this.parts.presence.follower;
    follower.reset(follower.scope);
    prekeys.stopRotationChecks();
    this.inbox.reset();
    this.parts.presence.clear();
    rosters.clear();
    video.reset();
    files.disconnected();
    emit('disconnected', { reason });
  }

  /**
   * Presence and messages are handled one after another, in the order they came: one that needs
   * keys fetched first holds back those behind it (a message from a user who just joined must
   * find them listed).
   */
  inOrder(step: () => Promise<void> | void): void {
    this.ordered = this.ordered.then(step).catch((error: unknown) => {
      if (!(error instanceof ChatError)) throw error;
      this.parts.emit('error', { code: error.code, message: error.message, fatal: false });
    });
  }

  handle(message: LinkMessage): void {
    const { presence, rosters, tracker, emit } = this.parts;
    switch (message.type) {
      case 'key-bundles':
        return presence.keys.received(message.bundles);
      case 'followed':
        // Not in order: a message waiting in order for its sender to be listed waits for this.
        return void presence.onFollowed(message);
      case 'prekey-pool':
        return this.parts.prekeys.topUp(message.oneTime);
      case 'peers':
      case 'join':
      case 'leave':
      case 'away':
        return this.inOrder(presence.step(message));
      case 'message': {
        // On a big server a sender may not be listed yet (someone we never heard of): followed
        // from now, with any other stranger of this turn, so the message finds them listed.
        const listed = presence.ensureListed([message.from]);
        return this.inOrder(async () => {
          await listed;
          this.inbox.receive(message);
        });
      }
      case 'room': {
        // In order with presence and messages: a room message after it is sealed for these members.
        // A big room's members get their keys when a line there needs them (RoomRosters.isSmall).
        const listed = rosters.isSmall(message.room.members.length) ? presence.ensureListed(message.room.members.map((member) => member.name)) : undefined;
        return this.inOrder(async () => {
          await listed;
          const room = rosters.set(message.room);
          emit('room-change', { event: { type: 'room-event', room: room.name, kind: 'join', name: this.parts.selfName() }, room });
        });
      }
      case 'room-event': {
        // The room's size with the joiner counts: past the limit, the joiner's keys wait for a line.
        const room = rosters.get(message.room);
        const listed =
          message.kind === 'join' && room !== undefined && rosters.isSmall(room.members.length + 1) ? presence.ensureListed([message.name]) : undefined;
        return this.inOrder(async () => {
          await listed;
          const change = rosters.apply(message, this.parts.selfName());
          if (change !== undefined) emit('room-change', change);
        });
      }
      case 'ack': {
        // The codec let through only valid names here: nothing in them can reach a terminal raw.
        const summary = tracker.onAck({ ...message, refused: message.refused.map((r) => ({ ...r, reason: stripControlCharacters(r.reason) })) });
        this.deliveryNews(summary === undefined ? [] : [summary]);
        return;
      }
      case 'receipts':
        this.deliveryNews(tracker.onReceipts(message.receipts.map((r) => (r.reason === undefined ? r : { ...r, reason: stripControlCharacters(r.reason) }))));
        return;
      default:
        // The rest is news for the views, passed on cleaned (server-news.ts).
        return relayNews(message, emit, this.parts.files);
    }
  }

  private deliveryNews(summaries: readonly DeliverySummary[]): void {
    for (const summary of summaries) this.parts.emit('delivery', summary);
    // Written once per turn of the event loop, not per ack: news lost in a crash only means a
    // resend, which recipients drop by id.
    if (this.newsScheduled) return;
    this.newsScheduled = true;
    setImmediate(() => {
      this.newsScheduled = false;
      this.parts.tracker.prune();
      this.parts.state.commit(undefined);
    });
  }
}
