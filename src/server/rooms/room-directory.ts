// Named rooms and who is in them, kept in the server's store (LMDB alone, JetStream's bucket on a
// cluster) so they survive restarts and every node sees the same rooms. Each room is a group of
// keys under ['g', room]: its settings, one key per member and per invite, so that two nodes
// adding two members at once write different keys and neither is lost. A change made on another
// node arrives as changed keys; each event has a key of its own, written after the change it
// describes (so it is announced once the rest is in) and never overwritten (a bucket keeping one
// revision per key would otherwise fold two quick events into one).
import { randomBytes } from 'node:crypto';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { RoomEventMessage, RoomListing, RoomModeChange, RoomView } from '../../core/messages.js';
import { nameKey } from '../../core/names.js';
import { ROOM_NAME_RULE, isValidRoomName, roomKey } from '../../core/room-names.js';
import { type Key, type KeyValue, isSharedKeyValue } from '../store/key-value.js';

export interface RoomLimits {
  /** Rooms one user may be in at once. */
  readonly maxRoomsPerUser: number;
  /** Members one room may have. */
  readonly maxRoomMembers: number;
  /** Rooms on the server (a cluster: in all). */
  readonly maxRooms: number;
}

/** Something that happened in a room, as members are told it (`room-event` without its type). */
export type RoomEvent = Omit<RoomEventMessage, 'type'>;

interface RoomSettings {
  readonly name: string;
  readonly topic: string;
  readonly inviteOnly: boolean;
  readonly membersControlVideo?: boolean;
  readonly createdAt: number;
}

interface MemberRecord {
  readonly name: string;
  readonly op: boolean;
  readonly joinedAt: number;
}

interface InviteRecord {
  readonly name: string;
  readonly by: string;
  readonly at: number;
}

/** A change made to a room, under ['g', room, 'e', time-nonce]: other nodes announce it. */
interface EventRecord {
  readonly event: RoomEvent;
  readonly at: number;
}

/** How long an event's key stays in the store: long enough for every node's watch to see it. */
const EVENT_KEEP_MS = 60_000;

interface Room {
  settings: RoomSettings;
  readonly members: Map<string, MemberRecord>;
  readonly invites: Map<string, InviteRecord>;
}

export class RoomError extends ChatError {}

export class RoomDirectory {
  private readonly rooms = new Map<string, Room>();
  /** Room keys per member's name key: for the welcome and the per-user bound. */
  private readonly byUser = new Map<string, Set<string>>();
  private remoteListener: (event: RoomEvent) => void = () => {};
  /**
   * Changes run one at a time: each checks the bounds against what the ones before it wrote, so
   * fifty joins sent in one burst cannot all pass a check made before any of them landed.
   */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: KeyValue,
    private limits: RoomLimits,
  ) {
    const keys = new Set<string>();
    for (const { key } of kv.range(['g'])) keys.add(String(key[1]));
    for (const key of keys) this.reload(key);
    if (isSharedKeyValue(kv)) kv.onChange((key) => this.changedElsewhere(key));
  }

  reconfigure(limits: RoomLimits): void {
    this.limits = limits;
  }

  /** Called with each change another node made, once its state is in the mirror. */
  onRemoteEvent(listener: (event: RoomEvent) => void): void {
    this.remoteListener = listener;
  }

  get count(): number {
    return this.rooms.size;
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** The room's name as created (its case), or undefined if there is no such room. */
  nameOf(room: string): string | undefined {
    return this.rooms.get(roomKey(room))?.settings.name;
  }

  isMember(room: string, user: string): boolean {
    return this.rooms.get(roomKey(room))?.members.has(nameKey(user)) === true;
  }

  /** True when the two users are both members of some named room (then neither is a stranger to the other). */
  sharesRoom(a: string, b: string): boolean {
    const rooms = this.byUser.get(nameKey(a));
    if (rooms === undefined) return false;
    for (const key of rooms) if (this.rooms.get(key)?.members.has(nameKey(b)) === true) return true;
    return false;
  }

  /** Members' names, as they joined. */
  membersOf(room: string): string[] {
    return [...(this.rooms.get(roomKey(room))?.members.values() ?? [])].map((member) => member.name);
  }

  view(room: string): RoomView | undefined {
    const found = this.rooms.get(roomKey(room));
    if (found === undefined) return undefined;
    return {
      name: found.settings.name,
      topic: found.settings.topic,
      inviteOnly: found.settings.inviteOnly,
      ...(found.settings.membersControlVideo === true ? { membersControlVideo: true } : {}),
      members: [...found.members.values()].map((member) => (member.op ? { name: member.name, op: true } : { name: member.name })),
    };
  }

  /** Everyone in at least one room. */
  memberNames(): string[] {
    return [...this.rooms.values()].flatMap((room) => [...room.members.values()].map((member) => member.name));
  }

  /** The rooms a user is in, whole: what their welcome carries. */
  roomsOf(user: string): RoomView[] {
    return [...(this.byUser.get(nameKey(user)) ?? [])].flatMap((key) => this.view(key) ?? []);
  }

  /** The rooms `asker` may see: every open room, and the invite-only ones they are in (or invited to). */
  list(asker: string): RoomListing[] {
    const me = nameKey(asker);
    return [...this.rooms.values()]
      .filter((room) => !room.settings.inviteOnly || room.members.has(me) || this.validInvite(room, me) !== undefined)
      .map((room) => ({
        name: room.settings.name,
        topic: room.settings.topic,
        members: room.members.size,
        inviteOnly: room.settings.inviteOnly,
        joined: room.members.has(me),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---- changing --------------------------------------------------------------------------------

  /** Joins `user` to the room, creating it (with them as operator) if new. Throws RoomError. */
  join(room: string, user: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changeJoin(room, user));
  }

  private async changeJoin(room: string, user: string): Promise<RoomEvent[]> {
    if (!isValidRoomName(room)) throw new RoomError(ErrorCode.ROOM_NAME_INVALID, `room names are ${ROOM_NAME_RULE} (and not #room, the lobby)`);
    const key = roomKey(room);
    const me = nameKey(user);
    let found = this.rooms.get(key);
    if (found?.members.has(me) === true) return [];
    if ((this.byUser.get(me)?.size ?? 0) >= this.limits.maxRoomsPerUser) {
      throw new RoomError(ErrorCode.ROOM_LIMIT, `you are in ${this.limits.maxRoomsPerUser} rooms already (the most this server allows): :part one first`);
    }
    const writes: Array<[Key, unknown]> = [];
    if (found === undefined) {
      if (this.rooms.size >= this.limits.maxRooms)
        throw new RoomError(ErrorCode.ROOM_LIMIT, `this server has ${this.limits.maxRooms} rooms, the most it allows`);
      found = { settings: { name: room, topic: '', inviteOnly: false, createdAt: Date.now() }, members: new Map(), invites: new Map() };
      writes.push([['g', key, 'settings'], found.settings]);
    } else {
      if (found.members.size >= this.limits.maxRoomMembers) {
        throw new RoomError(ErrorCode.ROOM_LIMIT, `${found.settings.name} has ${this.limits.maxRoomMembers} members, the most a room may have`);
      }
      if (found.settings.inviteOnly && this.validInvite(found, me) === undefined) {
        throw new RoomError(ErrorCode.ROOM_INVITE_ONLY, `${found.settings.name} is invite-only: ask one of its operators for an :invite`);
      }
    }
    const created = found.members.size === 0;
    const member: MemberRecord = { name: user, op: created, joinedAt: Date.now() };
    writes.push([['g', key, 'm', me], member]);
    const invite = this.validInvite(found, me);
    const event: RoomEvent = { room: found.settings.name, kind: 'join', name: user, ...(invite === undefined ? {} : { by: invite.by }) };
    await this.commit(key, writes, found.invites.has(me) ? [['g', key, 'i', me]] : [], [event]);
    return [event];
  }

  /**
   * The invite that lets `member` in, if one still stands: its inviter must still be in the room,
   * and an operator if the room is invite-only now. So `+i`, or kicking the inviter, voids the
   * invites the inviter no longer has the right to give.
   */
  private validInvite(found: Room, member: string): InviteRecord | undefined {
    const invite = found.invites.get(member);
    if (invite === undefined) return undefined;
    const inviter = found.members.get(nameKey(invite.by));
    if (inviter === undefined || (found.settings.inviteOnly && !inviter.op)) return undefined;
    return invite;
  }

  /** `user` leaves; the last operator leaving hands the role to the longest-standing member; an empty room goes. */
  part(room: string, user: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changePart(room, user));
  }

  private async changePart(room: string, user: string): Promise<RoomEvent[]> {
    const found = this.requireMember(room, user);
    const key = roomKey(room);
    const event: RoomEvent = { room: found.settings.name, kind: 'part', name: user };
    return this.removeMember(key, found, nameKey(user), event);
  }

  /** `reason`: said to the room and to whom it kicks ('' for none). */
  kick(room: string, by: string, name: string, reason: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changeKick(room, by, name, reason));
  }

  private async changeKick(room: string, by: string, name: string, reason: string): Promise<RoomEvent[]> {
    const found = this.requireOperator(room, by);
    const target = found.members.get(nameKey(name));
    if (target === undefined) throw new RoomError(ErrorCode.NOT_IN_ROOM, `${name} is not in ${found.settings.name}`);
    const event: RoomEvent = { room: found.settings.name, kind: 'kick', name: target.name, by, ...(reason === '' ? {} : { reason }) };
    return this.removeMember(roomKey(room), found, nameKey(name), event);
  }

  setTopic(room: string, by: string, topic: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changeSetTopic(room, by, topic));
  }

  private async changeSetTopic(room: string, by: string, topic: string): Promise<RoomEvent[]> {
    const found = this.requireMember(room, by);
    const settings = { ...found.settings, topic };
    const event: RoomEvent = { room: found.settings.name, kind: 'topic', name: by, by, topic };
    await this.commit(roomKey(room), [[['g', roomKey(room), 'settings'], settings]], [], [event]);
    return [event];
  }

  /** An operator's `:mode`: invite-only (+i), and whether every member controls the shared video (+c). */
  setMode(room: string, by: string, mode: RoomModeChange): Promise<RoomEvent[]> {
    return this.serially(() => this.changeSetMode(room, by, mode));
  }

  private async changeSetMode(room: string, by: string, mode: RoomModeChange): Promise<RoomEvent[]> {
    const found = this.requireOperator(room, by);
    const changed = {
      ...(mode.inviteOnly === undefined || mode.inviteOnly === found.settings.inviteOnly ? {} : { inviteOnly: mode.inviteOnly }),
      ...(mode.membersControlVideo === undefined || mode.membersControlVideo === (found.settings.membersControlVideo === true)
        ? {}
        : { membersControlVideo: mode.membersControlVideo }),
    };
    if (Object.keys(changed).length === 0) return [];
    const settings = { ...found.settings, ...changed };
    const event: RoomEvent = { room: found.settings.name, kind: 'mode', name: by, by, ...changed };
    await this.commit(roomKey(room), [[['g', roomKey(room), 'settings'], settings]], [], [event]);
    return [event];
  }

  /** Lets `name` join: any member may invite to an open room, only operators to an invite-only one. */
  invite(room: string, by: string, name: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changeInvite(room, by, name));
  }

  private async changeInvite(room: string, by: string, name: string): Promise<RoomEvent[]> {
    const found = this.requireMember(room, by);
    if (found.settings.inviteOnly && found.members.get(nameKey(by))?.op !== true) {
      throw new RoomError(ErrorCode.NOT_ROOM_OPERATOR, `only ${found.settings.name}'s operators may invite to it (it is invite-only)`);
    }
    // Already in: nothing to let in.
    if (found.members.has(nameKey(name))) return [];
    const key = roomKey(room);
    const invite: InviteRecord = { name, by, at: Date.now() };
    const event: RoomEvent = { room: found.settings.name, kind: 'invite', name, by };
    await this.commit(key, [[['g', key, 'i', nameKey(name)], invite]], [], [event]);
    return [event];
  }

  /** A name released on this server (or expired) leaves every room: whoever takes it next starts in none. */
  forget(user: string): Promise<RoomEvent[]> {
    return this.serially(() => this.changeForget(user));
  }

  private async changeForget(user: string): Promise<RoomEvent[]> {
    const events: RoomEvent[] = [];
    for (const key of [...(this.byUser.get(nameKey(user)) ?? [])]) {
      const found = this.rooms.get(key)!;
      events.push(...(await this.removeMember(key, found, nameKey(user), { room: found.settings.name, kind: 'part', name: user })));
    }
    return events;
  }

  // ---- internals -------------------------------------------------------------------------------

  private serially<T>(change: () => Promise<T>): Promise<T> {
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => {});
    return run;
  }

  private requireMember(room: string, user: string): Room {
    const found = this.rooms.get(roomKey(room));
    if (found === undefined || !found.members.has(nameKey(user))) throw new RoomError(ErrorCode.NOT_IN_ROOM, `you are not in ${room}`);
    return found;
  }

  private requireOperator(room: string, user: string): Room {
    const found = this.requireMember(room, user);
    if (found.members.get(nameKey(user))?.op !== true) throw new RoomError(ErrorCode.NOT_ROOM_OPERATOR, `only ${found.settings.name}'s operators may do that`);
    return found;
  }

  private async removeMember(key: string, found: Room, member: string, event: RoomEvent): Promise<RoomEvent[]> {
    const leaving = found.members.get(member)!;
    const rest = [...found.members.values()].filter((other) => nameKey(other.name) !== member);
    if (rest.length === 0) {
      // The last one out: the room goes, with its topic and invites. Nobody is left to tell but
      // the one leaving, who is on this node.
      await this.commit(
        key,
        [],
        [...this.kv.range(['g', key])].map((entry) => entry.key),
        [],
      );
      return [event];
    }
    const events = [event];
    const writes: Array<[Key, unknown]> = [];
    if (leaving.op && !rest.some((other) => other.op)) {
      // A room is never left without an operator: the longest-standing member becomes one.
      const heir = rest.reduce((a, b) => (b.joinedAt < a.joinedAt ? b : a));
      writes.push([['g', key, 'm', nameKey(heir.name)], { ...heir, op: true }]);
      events.push({ room: found.settings.name, kind: 'op', name: heir.name });
    }
    await this.commit(key, writes, [['g', key, 'm', member]], events);
    return events;
  }

  /**
   * Writes a change and then its events (what other nodes announce, once the rest is in), and
   * drops this room's events old enough for every node to have seen them. The room is read back
   * from the store after, so what this node holds is what was written.
   */
  private async commit(key: string, writes: ReadonlyArray<[Key, unknown]>, removes: readonly Key[], events: readonly RoomEvent[]): Promise<void> {
    const now = Date.now();
    const stale = [...this.kv.range<EventRecord>(['g', key, 'e'])].filter((entry) => now - entry.value.at > EVENT_KEEP_MS).map((entry) => entry.key);
    try {
      await Promise.all([...writes.map(([k, value]) => this.kv.put(k, value)), ...[...removes, ...stale].map((k) => this.kv.remove(k))]);
      for (const event of events) await this.kv.put(['g', key, 'e', `${now}-${randomBytes(6).toString('base64url')}`], { event, at: now });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new RoomError(ErrorCode.STORE_FAILED, `the server could not save that change to the room (${why.slice(0, 80)})`, { cause: error });
    } finally {
      this.reload(key);
    }
  }

  /** Rebuilds one room from the store (a room with no settings left is gone). */
  private reload(key: string): void {
    const old = this.rooms.get(key);
    for (const member of old?.members.keys() ?? []) this.byUser.get(member)?.delete(key);
    this.rooms.delete(key);
    let settings: RoomSettings | undefined;
    const members = new Map<string, MemberRecord>();
    const invites = new Map<string, InviteRecord>();
    for (const { key: k, value } of this.kv.range<unknown>(['g', key])) {
      if (k[2] === 'settings') settings = value as RoomSettings;
      else if (k[2] === 'm') members.set(String(k[3]), value as MemberRecord);
      else if (k[2] === 'i') invites.set(String(k[3]), value as InviteRecord);
    }
    if (settings === undefined || members.size === 0) return;
    this.rooms.set(key, { settings, members, invites });
    for (const member of members.keys()) {
      let rooms = this.byUser.get(member);
      if (rooms === undefined) {
        rooms = new Set();
        this.byUser.set(member, rooms);
      }
      rooms.add(key);
    }
  }

  private changedElsewhere(key: Key): void {
    if (key[0] !== 'g') return;
    this.reload(String(key[1]));
    if (key[2] !== 'e') return;
    // A put: an event to announce (a removal of an old one reads as undefined here).
    const record = this.kv.get<EventRecord>(key);
    if (record !== undefined) this.remoteListener(record.event);
  }
}
