// Who a session lists, as the server tells it: the welcome's peers, joins, leaves and away
// messages, each listed with its keys (KeyResolver) and its trust (PeerDirectory); on a big server
// (presence of followed users only) the follows that list someone before what needs them is
// handled. What the user must hear of a listing (a changed key, an impostor under our name, a dead
// prekey) is said here.
import { ErrorCode } from '../core/errors.js';
import { shortFingerprint } from '../core/fingerprint.js';
import type { FollowedMessage, PeerSummary, WelcomeMessage } from '../core/messages.js';
import { isRoomTarget } from '../core/room-names.js';
import { KeyResolver } from './key-resolver.js';
import type { AddOutcome, PeerDirectory } from './peer-directory.js';
import { PresenceFollower } from './presence-follower.js';
import type { LinkMessage } from './server-link.js';
import type { SessionEvents } from './session-events.js';
import type { ClientState } from './state/client-state.js';

/** On a big server, how many of our latest DM partners we follow on joining (see recentContacts). */
const RECENT_CONTACTS = 200;

/** The presence news the server sends (handled in order with messages: see ChatSession.inOrder). */
export type PresenceNews = Extract<LinkMessage, { type: 'peers' | 'join' | 'leave' | 'away' }>;

export interface SessionPresenceParts {
  readonly directory: PeerDirectory;
  /** The kept history (whom we wrote with, followed on joining a big server) and the cached key bundles. */
  readonly state: ClientState;
  /** Puts a `keys` or `follow` request on the wire; false when not joined. */
  send(message: { type: 'keys' | 'follow'; names: string[] }): boolean;
  emit<K extends keyof SessionEvents & string>(event: K, payload: SessionEvents[K]): void;
}

export class SessionPresence {
  /** Keys on demand: presence carries none (protocol v4). */
  readonly keys: KeyResolver;
  /** On a big server, whose presence we follow (and so who is listed). */
  readonly follower: PresenceFollower;
  /** Names to follow next, all in one request, once the one on its way is answered (see ensureListed). */
  private nextFollow: { readonly names: Set<string>; readonly done: Promise<void> } | undefined;
  /** The `follow` on its way (settled once answered, or given up on after FOLLOW_TIMEOUT_MS). */
  private followInFlight: Promise<void> = Promise.resolve();

  constructor(private readonly parts: SessionPresenceParts) {
    this.keys = new KeyResolver(parts.state, (names) => void parts.send({ type: 'keys', names }));
    this.follower = new PresenceFollower((names) => parts.send({ type: 'follow', names }));
  }

  /** The welcome's peers listed (keys cached or fetched), and on a big server whom we wrote with followed. */
  async listWelcomed(peers: WelcomeMessage['peers']): Promise<void> {
    this.replace(await this.keys.resolve(peers));
    await this.ensureListed(this.recentContacts());
  }

  /**
   * On a big server, follows those of `names` not listed yet (they are listed once the server
   * answered, their keys fetched); elsewhere everyone is listed already and this does nothing.
   * One `follow` at a time: names asked for while one is on its way (and in the turn it is sent)
   * wait and go together in the next, once it is answered. A burst of messages from strangers (a
   * lobby line's readers all asking for its chain) so costs a request per round trip, not one per
   * turn, against our flood-control budget: a follow each turn ran past it (twenty a second after
   * a burst of sixty), and every request behind them waited seconds.
   */
  ensureListed(names: readonly string[]): Promise<void> {
    const { directory } = this.parts;
    const follower = this.follower;
    if (!follower.followsOnly) return Promise.resolve();
    const missing = names.filter((name) => directory.get(name) === undefined && !directory.isSelf(name));
    if (missing.length === 0) return Promise.resolve();
    if (this.nextFollow === undefined) {
      const batch = new Set<string>();
      const ahead = this.followInFlight;
      const done = Promise.all([ahead, new Promise<void>((resolve) => setImmediate(resolve))]).then(async () => {
        this.nextFollow = undefined;
        const asked = follower.follow([...batch].filter((name) => directory.get(name) === undefined)).then(() => undefined);
        this.followInFlight = asked;
        await asked;
      });
      this.nextFollow = { names: batch, done };
    }
    for (const name of missing) this.nextFollow.names.add(name);
    return this.nextFollow.done;
  }

  /** The server's answer to a `follow`: those found are listed (keys cached or fetched), then the asker goes on. */
  async onFollowed(message: FollowedMessage): Promise<void> {
    const waiter = this.follower.answered();
    try {
      for (const summary of await this.keys.resolve(message.peers)) this.report(this.parts.directory.add(summary));
      this.parts.emit('peers', this.parts.directory.views());
    } finally {
      waiter?.(message.unknown);
    }
  }

  /** What to do, in order, with one piece of presence news. */
  step(message: PresenceNews): () => Promise<void> | void {
    const { directory, emit } = this.parts;
    const keys = this.keys;
    switch (message.type) {
      case 'peers':
        return async () => {
          this.replace(await keys.resolve(message.peers));
          emit('peers', directory.views());
        };
      case 'join':
        return async () => {
          const [peer] = await keys.resolve([message.peer]);
          if (peer !== undefined) this.onJoin(peer);
        };
      case 'leave':
        return () => {
          if (directory.remove(message.name)) emit('leave', { name: message.name });
        };
      case 'away':
        return () => {
          if (directory.setAway(message.name, message.message)) emit('away', { name: message.name, message: directory.get(message.name)?.awayMessage ?? '' });
        };
    }
  }

  /** Says a peer was left out because no session can start from its prekey. */
  reportUnusablePrekey(name: string): void {
    this.parts.emit('error', {
      code: ErrorCode.PEER_PREKEY_INVALID,
      message: `${name} announced a key no session can start from (a low-order prekey): nothing is sent to ${name}; everyone else still gets your messages`,
      fatal: false,
      peer: name,
    });
  }

  private onJoin(summary: PeerSummary): void {
    const { directory, emit } = this.parts;
    const wasOnline = directory.get(summary.name)?.online === true;
    const added = directory.add(summary);
    this.report(added);
    if (added.kind !== 'added') return;
    // v4 presence: a registered user going away stays listed, as away.
    if (!added.peer.online) {
      if (wasOnline) emit('leave', { name: added.peer.name });
      return;
    }
    // Someone online announced again (a rotated signed prekey): their keys are updated, nobody joined.
    if (wasOnline) {
      emit('peers', directory.views());
      return;
    }
    emit('join', directory.view(added.peer));
  }

  private replace(peers: WelcomeMessage['peers']): void {
    for (const added of this.parts.directory.replace(peers)) this.report(added);
  }

  /** The users we last had DMs with (newest first, at most RECENT_CONTACTS), from the kept history. */
  private recentContacts(): string[] {
    const contacts = new Set<string>();
    const history = this.parts.state.history();
    for (let i = history.length - 1; i >= 0 && contacts.size < RECENT_CONTACTS; i--) {
      const record = history[i]!;
      if (record.kind === 'in' && record.to !== null && !isRoomTarget(record.to)) contacts.add(record.from);
      if (record.kind === 'out' && record.to !== null && !isRoomTarget(record.to)) contacts.add(record.to);
    }
    return [...contacts];
  }

  /** Says what the user must know of a peer the server announced: a changed key, a forgery, a dead prekey. */
  private report(added: AddOutcome): void {
    if (added.kind === 'impostor') {
      this.parts.emit('error', {
        code: ErrorCode.IMPERSONATION,
        message:
          `the server listed someone under YOUR name with another key (${shortFingerprint(added.fingerprint)}): ` +
          'refused; anything it sends as you is not shown',
        fatal: false,
      });
      return;
    }
    if (added.kind !== 'added') return;
    if (added.keyChange !== undefined) this.parts.emit('key-changed', added.keyChange);
    if (!added.peer.prekeyUsable) this.reportUnusablePrekey(added.peer.name);
  }
}
