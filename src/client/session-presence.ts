// Who a session lists, as the server tells it: the welcome's peers, joins, leaves and away
// messages, each listed with its keys (KeyResolver) and its trust (PeerDirectory); on a big server
// (presence of followed users only) the follows that list someone before what needs them is
// handled. On a big server, a user presence tells us of is listed without keys (UnkeyedPeers)
// unless a session with them is likely: we share a small room, or we asked for them; keys come
// when one is needed. What the user must hear of a listing (a changed key, an impostor under our
// name, a dead prekey) is said here.
import { ErrorCode } from '../core/errors.js';
import { shortFingerprint } from '../core/fingerprint.js';
import type { FollowedMessage, PeerSummary, WelcomeMessage } from '../core/messages.js';
import { isRoomTarget } from '../core/room-names.js';
import { KeyResolver } from './key-resolver.js';
import { type AddOutcome, type PeerDirectory, type PeerView, awayText } from './peer-directory.js';
import { PresenceFollower } from './presence-follower.js';
import type { LinkMessage } from './server-link.js';
import type { SessionEvents } from './session-events.js';
import type { ClientState } from './state/client-state.js';
import { UnkeyedPeers } from './unkeyed-peers.js';

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
  /** On a big server, whether a user presence tells us of gets their keys now (we share a small room). */
  keysOnSight(name: string): boolean;
  /** Whether `name` is in one of our rooms: the server tells us of them already, no follow needed. */
  isRoomMate(name: string): boolean;
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
  /** On a big server, users listed from presence alone, their keys not fetched yet. */
  private readonly unkeyed = new UnkeyedPeers();
  /** Unkeyed users whose keys are needed, all fetched in one request at the end of the turn. */
  private nextKeys: { readonly names: Set<string>; readonly done: Promise<void> } | undefined;

  constructor(private readonly parts: SessionPresenceParts) {
    this.keys = new KeyResolver(parts.state, (names) => void parts.send({ type: 'keys', names }));
    this.follower = new PresenceFollower((names) => parts.send({ type: 'follow', names }));
  }

  /** The welcome's peers listed (keys cached or fetched), and on a big server whom we wrote with followed. */
  async listWelcomed(peers: WelcomeMessage['peers']): Promise<void> {
    this.unkeyed.clear();
    this.replace(await this.keys.resolve(this.keyedOnSight(peers)));
    await this.ensureListed(this.recentContacts());
  }

  /** Everyone listed, with keys or (on a big server) from presence alone: what the views show. */
  views(): PeerView[] {
    const { directory } = this.parts;
    const views = directory.views();
    return this.unkeyed.size === 0 ? views : [...views, ...this.unkeyed.views((name) => directory.lookalikeOf(name))];
  }

  /** Forgets who was listed (the link closed). */
  clear(): void {
    this.parts.directory.clear();
    this.unkeyed.clear();
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
    // Listed from presence already, or a room-mate (whom the server has us follow): only their
    // keys are missing, one request, no follow.
    const known = (name: string) => this.unkeyed.get(name) !== undefined || this.parts.isRoomMate(name);
    const unkeyed = missing.filter(known);
    const keyed = unkeyed.length === 0 ? undefined : this.fetchKeys(unkeyed);
    const strangers = unkeyed.length === 0 ? missing : missing.filter((name) => !known(name));
    const followed = strangers.length === 0 ? undefined : this.followNext(strangers);
    if (keyed === undefined) return followed!;
    return followed === undefined ? keyed : Promise.all([keyed, followed]).then(() => undefined);
  }

  /** Queues names for the next `follow` (one on its way at a time: see ensureListed). */
  private followNext(missing: readonly string[]): Promise<void> {
    const { directory } = this.parts;
    const follower = this.follower;
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

  /**
   * Fetches the keys of users listed from presence alone (cached ones need no request) and of
   * room-mates we have no presence of, those asked for in one turn in one request, and lists them
   * with their keys (the presence we had of them kept: away, online).
   */
  private fetchKeys(names: readonly string[]): Promise<void> {
    if (this.nextKeys === undefined) {
      const batch = new Set<string>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.nextKeys = undefined;
        const names = [...batch];
        const summaries = names.flatMap((name) => this.unkeyed.get(name) ?? []);
        const bare = names.filter((name) => this.unkeyed.get(name) === undefined);
        const [fromPresence, fetched] = await Promise.all([this.keys.resolve(summaries), this.keys.fetch(bare)]);
        for (const bundle of [...fromPresence, ...fetched]) {
          const presence = this.unkeyed.get(bundle.name);
          this.unkeyed.remove(bundle.name);
          this.report(this.parts.directory.add(presence?.away === undefined ? bundle : { ...bundle, away: presence.away }));
        }
        // The views show them with their keys now (fingerprint, trust).
        if (fromPresence.length + fetched.length > 0) this.parts.emit('peers', this.views());
      });
      this.nextKeys = { names: batch, done };
    }
    for (const name of names) this.nextKeys.names.add(name);
    return this.nextKeys.done;
  }

  /**
   * Of what presence says, those listed with keys now: all of them on a small server; on a big one
   * those whose keys are cached (no request), or we share a small room with (a line there will
   * need them). The rest are listed from presence alone, their keys fetched when needed.
   */
  private keyedOnSight(summaries: readonly PeerSummary[]): PeerSummary[] {
    if (!this.follower.followsOnly) return [...summaries];
    const { directory, state, keysOnSight } = this.parts;
    return summaries.filter((summary) => {
      if (summary.publicKey !== undefined || directory.get(summary.name) !== undefined || directory.isSelf(summary.name)) return true;
      if (state.cachedBundle(summary.name, summary.keyId) !== undefined || keysOnSight(summary.name)) return true;
      this.unkeyed.set(summary);
      return false;
    });
  }

  /** The server's answer to a `follow`: those found are listed (keys cached or fetched), then the asker goes on. */
  async onFollowed(message: FollowedMessage): Promise<void> {
    const waiter = this.follower.answered();
    try {
      for (const summary of await this.keys.resolve(message.peers)) {
        this.unkeyed.remove(summary.name);
        this.report(this.parts.directory.add(summary));
      }
      this.parts.emit('peers', this.views());
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
          this.unkeyed.clear();
          this.replace(await keys.resolve(this.keyedOnSight(message.peers)));
          emit('peers', this.views());
        };
      case 'join':
        return async () => {
          const wasListed = this.unkeyed.get(message.peer.name);
          const onSight = this.keyedOnSight([message.peer]);
          if (onSight.length === 0) return this.onUnkeyedJoin(message.peer, wasListed);
          const [peer] = await keys.resolve(onSight);
          if (peer !== undefined) this.onJoin(peer);
        };
      case 'leave':
        return () => {
          if (directory.remove(message.name) || this.unkeyed.remove(message.name)) emit('leave', { name: message.name });
        };
      case 'away':
        return () => {
          if (directory.setAway(message.name, message.message)) emit('away', { name: message.name, message: directory.get(message.name)?.awayMessage ?? '' });
          else if (this.unkeyed.setAway(message.name, message.message)) {
            emit('away', { name: message.name, message: awayText(message.message) ?? '' });
          }
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

  /** Someone listed from presence alone joined, came back or went away (see onJoin). */
  private onUnkeyedJoin(summary: PeerSummary, before: PeerSummary | undefined): void {
    const { directory, emit } = this.parts;
    const wasOnline = before !== undefined && before.online !== false;
    const view = this.unkeyed.view(summary, (name) => directory.lookalikeOf(name));
    if (!view.online) {
      if (wasOnline) emit('leave', { name: summary.name });
      return;
    }
    if (!wasOnline) emit('join', view);
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
      emit('peers', this.views());
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
