// What the server tells members of each other: who is online (here or on another node) or away,
// the welcome's list, joins, departures, away messages and rotated keys, to everyone on a small
// server and to followers on a big one (PresenceAudience decides who hears what).
import type { PeerSummary, RoomView } from '../core/messages.js';
import { encodeMessage } from '../core/message-codec.js';
import { nameKey, stripControlCharacters } from '../core/names.js';
import type { PeerRegistry } from '../core/peer-registry.js';
import type { MemberLink } from './member-link.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { JoinedPeer } from './joined-peer.js';
import { awaySummary, presenceOf, toSummary } from './peer-summaries.js';
import { PresenceAudience } from './presence-audience.js';
import type { RoomDirectory } from './rooms/room-directory.js';
import type { ServerLimits } from './server-limits.js';
import type { DurableStore } from './store/durable-store.js';

export interface MemberPresenceParts {
  readonly registry: PeerRegistry<JoinedPeer>;
  limits(): ServerLimits;
  cluster(): ClusterLink | undefined;
  store(): DurableStore | undefined;
  rooms(): RoomDirectory;
  /** True once the server is shutting down: departures are not announced then. */
  isClosing(): boolean;
}

/** What a welcome says of presence: whom it lists, and whether the member hears of everyone. */
export interface WelcomePresence {
  readonly peers: PeerSummary[];
  readonly presence: 'everyone' | 'followed';
  readonly census: { online: number; registered: number };
}

export class MemberPresence {
  /** Who hears of whose joins and departures: everyone on a small server, followers on a big one. */
  private readonly audience: PresenceAudience<MemberLink>;

  constructor(private readonly parts: MemberPresenceParts) {
    this.audience = new PresenceAudience<MemberLink>(() => parts.limits());
  }

  /** Users online (here and on other nodes) and registered: the welcome's census, and what decides full presence. */
  census(): { online: number; registered: number } {
    const online = this.parts.registry.size + (this.parts.cluster()?.remoteCount ?? 0);
    return { online, registered: this.parts.store()?.stats.registrations ?? online };
  }

  /** Past its full-presence size: presence goes to followers, and the lobby is live only. */
  isBig(): boolean {
    const census = this.census();
    return Math.max(census.online, census.registered) > this.parts.limits().fullPresenceMaxUsers;
  }

  /** One user as the server knows them: online here, on another node, or registered and away. */
  summaryOf(name: string): PeerSummary | undefined {
    const local = this.parts.registry.get(name);
    if (local !== undefined) return toSummary(local);
    const remote = this.parts.cluster()?.remotePeer(name)?.peer;
    if (remote !== undefined) return remote;
    const registration = this.parts.store()?.registration(name);
    return registration === undefined ? undefined : awaySummary(registration);
  }

  /** Everyone online: here, in join order, then on other nodes. */
  allPeers(): PeerSummary[] {
    const local = this.parts.registry.list().map(toSummary);
    const cluster = this.parts.cluster();
    return cluster === undefined ? local : [...local, ...cluster.remotePeers()];
  }

  /**
   * A member joined here: what its welcome lists (everyone, or itself and its room-mates, whom it
   * follows from now). Those who hear of it are told after its welcome (announceSummary).
   */
  welcome(connection: MemberLink, record: JoinedPeer, rooms: readonly RoomView[]): WelcomePresence {
    const census = this.census();
    const everyone = this.audience.admit(connection, Math.max(census.online, census.registered));
    const peers = everyone ? [...this.allPeers(), ...this.awayPeers()] : [toSummary(record), ...this.followRoomMates(connection, rooms)];
    return { peers: peers.map(presenceOf), presence: everyone ? 'everyone' : 'followed', census };
  }

  /** `name` joined `room`: they and the room's members connected here hear of each other from now on. */
  followEachOther(room: string, name: string): void {
    const { registry } = this.parts;
    const members = this.parts.rooms().membersOf(room);
    const joiner = registry.get(name)?.connection;
    if (joiner !== undefined)
      this.audience.follow(
        joiner,
        members.filter((member) => nameKey(member) !== nameKey(name)),
      );
    for (const member of members) {
      const connection = registry.get(member)?.connection;
      if (connection !== undefined && connection !== joiner) this.audience.follow(connection, [name]);
    }
  }

  /**
   * `follow`: the connection hears of these users' presence from now on (a connection told of
   * everyone hears of them already); the answer lists them as they are now, and names nobody has.
   */
  follow(connection: MemberLink, names: readonly string[]): void {
    const peers: PeerSummary[] = [];
    const unknown: string[] = [];
    for (const name of names) {
      const found = this.summaryOf(name);
      if (found === undefined) unknown.push(name);
      else peers.push(presenceOf(found));
    }
    this.audience.follow(
      connection,
      peers.map((peer) => peer.name),
    );
    connection.send({ type: 'followed', peers, unknown });
  }

  /** A user joined, came back or changed keys (here, `except` being their connection, or on another node). */
  announceSummary(summary: PeerSummary, except?: MemberLink): void {
    this.audience.announce(encodeMessage({ type: 'join', peer: presenceOf(summary) }), summary.name, except);
  }

  /** A member's connection here closed (and was forgotten): listed as away when registered, else gone. */
  left(record: JoinedPeer, connection: MemberLink, registered: boolean): void {
    if (this.parts.isClosing()) return;
    const news = registered
      ? { type: 'join' as const, peer: presenceOf({ ...toSummary(record), joinedAt: Date.now(), online: false }) }
      : { type: 'leave' as const, name: record.name };
    this.audience.announce(encodeMessage(news), record.name, connection);
  }

  /** A connection closed (joined or not): it hears of nobody any more. */
  forget(connection: MemberLink): void {
    this.audience.forget(connection);
  }

  /** A user on another node left the cluster. */
  remoteLeft(name: string): void {
    if (!this.parts.isClosing()) this.audience.announce(encodeMessage({ type: 'leave', name }), name);
  }

  /** A user on another node set or cleared their away message. */
  remoteAway(name: string, message: string): void {
    this.audience.announce(encodeMessage({ type: 'away', name, message }), name);
  }

  /**
   * `:away TEXT`: kept with the member while connected (shown in presence to whoever joins later),
   * told to everyone now. Control characters are dropped here: the text reaches every member's
   * terminal. Returns the member when it changed (the cluster is told of it), else undefined.
   */
  setAway(connection: MemberLink, message: string): JoinedPeer | undefined {
    const record = connection.peer === undefined ? undefined : this.parts.registry.get(connection.peer.name);
    if (record === undefined) return undefined;
    const text = stripControlCharacters(message).trim();
    if ((record.away ?? '') === text) return undefined;
    record.away = text === '' ? undefined : text;
    const frame = encodeMessage({ type: 'away', name: record.name, message: text });
    this.audience.announce(frame, record.name);
    // The owner hears it too (the views show it from there); one told of everyone did just now.
    if (!this.audience.tellsEverything(connection)) connection.sendFrame(frame);
    return record;
  }

  /** A connection told only of whom it follows starts by following its room-mates; their presence now. */
  private followRoomMates(connection: MemberLink, rooms: readonly RoomView[]): PeerSummary[] {
    const self = nameKey(connection.peer!.name);
    const names = new Set<string>();
    for (const room of rooms) {
      for (const member of room.members) if (nameKey(member.name) !== self) names.add(member.name);
    }
    const mates = [...names].slice(0, this.parts.limits().maxFollowed);
    this.audience.follow(connection, mates);
    return mates.flatMap((name) => this.summaryOf(name) ?? []);
  }

  /** Registered users who are not connected: listed offline, and can be messaged. */
  private awayPeers(): PeerSummary[] {
    const store = this.parts.store();
    if (store === undefined) return [];
    // Names first (kept in memory), registrations read only for those away: on a busy server most
    // registered users are online, and a welcome is sent on every join.
    const away: PeerSummary[] = [];
    for (const name of store.registeredNames()) {
      if (this.parts.registry.has(name) || this.parts.cluster()?.remotePeer(name) !== undefined) continue;
      const registration = store.registration(name);
      if (registration !== undefined) away.push(awaySummary(registration));
    }
    return away;
  }
}
