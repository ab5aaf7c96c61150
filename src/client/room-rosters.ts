// The named rooms we are in, as the server tells them: each one's members, operators, topic and
// mode. Kept up to date from the welcome, `room` (a room we joined) and `room-event` (what changed),
// so a room message is sealed for exactly its members: a change of members rotates our chain there.
import type { RoomEventMessage, RoomMember, RoomView } from '../core/messages.js';
import { nameKey, stripControlCharacters } from '../core/names.js';
import { roomKey } from '../core/room-names.js';

/** What a room event changed, for the views: the event (its text made safe) and the room after it. */
export interface RoomChange {
  readonly event: RoomEventMessage;
  /** The room as it is now; undefined when we are no longer in it (we left, or were kicked). */
  readonly room: RoomView | undefined;
}

/**
 * On a big server, the members of a room up to this size get their keys fetched as we hear of them
 * (a line there will need them, and a few bundles cost little); a bigger room's members get theirs
 * when a session with them is needed (UnkeyedPeers). 100: a team's room stays as fast as ever, and
 * a joiner of a room of thousands fetches the bundles of those who write, not of everyone.
 */
export const KEYS_ON_SIGHT_MAX_ROOM_MEMBERS = 100;

/** A room as we hold it: its view, and where each member is in the view's list (by name key). */
interface HeldRoom {
  view: RoomView;
  readonly members: RoomMember[];
  readonly index: Map<string, number>;
}

/**
 * The rooms we are in. A member joining or leaving costs the same in a room of 5,000 as in one of
 * 5: each room's member list is ours (the views share it, so a view's list is the live one) and
 * indexed by name. Copying the list and searching it on every join made a room's filling up
 * cost each member O(n^2).
 */
export class RoomRosters {
  private readonly rooms = new Map<string, HeldRoom>();

  constructor(private readonly keysOnSightMaxMembers = KEYS_ON_SIGHT_MAX_ROOM_MEMBERS) {}

  /** Whether the members of a room of this size get their keys as we hear of them (see KEYS_ON_SIGHT_MAX_ROOM_MEMBERS). */
  isSmall(members: number): boolean {
    return members <= this.keysOnSightMaxMembers;
  }

  /** The rooms in a welcome replace what we knew (the server's word after a reconnect). */
  replace(rooms: readonly RoomView[]): void {
    this.rooms.clear();
    for (const room of rooms) this.set(room);
  }

  set(room: RoomView): RoomView {
    const members = [...room.members];
    const view = { ...room, members, topic: stripControlCharacters(room.topic) };
    this.rooms.set(roomKey(room.name), { view, members, index: indexOf(members) });
    return view;
  }

  get(room: string): RoomView | undefined {
    return this.rooms.get(roomKey(room))?.view;
  }

  list(): RoomView[] {
    return [...this.rooms.values()].map((room) => room.view);
  }

  /** Whether `name` is in one of our rooms. */
  isMember(name: string): boolean {
    const key = nameKey(name);
    for (const room of this.rooms.values()) if (room.index.has(key)) return true;
    return false;
  }

  /** Whether we share a small room (see isSmall) with `name`. */
  sharesSmallRoom(name: string): boolean {
    const key = nameKey(name);
    for (const room of this.rooms.values()) if (this.isSmall(room.members.length) && room.index.has(key)) return true;
    return false;
  }

  /** Applies an event; returns undefined for one about a room we are not in and that is not about us. */
  apply(event: RoomEventMessage, selfName: string): RoomChange | undefined {
    const safe: RoomEventMessage = event.topic === undefined ? event : { ...event, topic: stripControlCharacters(event.topic) };
    const held = this.rooms.get(roomKey(event.room));
    const aboutUs = nameKey(event.name) === nameKey(selfName);
    if (held === undefined) {
      // Not in it: only an invite for us means anything.
      return event.kind === 'invite' && aboutUs ? { event: safe, room: undefined } : undefined;
    }
    const { members, index } = held;
    const key = nameKey(event.name);
    const at = index.get(key);
    const room = held.view;
    let next: RoomView | undefined = room;
    switch (event.kind) {
      case 'join':
        if (at === undefined) {
          index.set(key, members.push({ name: event.name }) - 1);
          next = { ...room, members };
        }
        break;
      case 'part':
      case 'kick':
        if (aboutUs) next = undefined;
        else if (at !== undefined) {
          members.splice(at, 1);
          for (let i = at; i < members.length; i++) index.set(nameKey(members[i]!.name), i);
          index.delete(key);
          next = { ...room, members };
        }
        break;
      case 'op':
        if (at !== undefined) {
          members[at] = { name: members[at]!.name, op: true };
          next = { ...room, members };
        }
        break;
      case 'topic':
        next = { ...room, topic: safe.topic ?? '' };
        break;
      case 'mode':
        next = {
          ...room,
          ...(event.inviteOnly === undefined ? {} : { inviteOnly: event.inviteOnly }),
          ...(event.membersControlVideo === undefined ? {} : { membersControlVideo: event.membersControlVideo }),
        };
        break;
      case 'invite':
        break;
    }
    if (next === undefined) this.rooms.delete(roomKey(event.room));
    else held.view = next;
    return { event: safe, room: next };
  }

  clear(): void {
    this.rooms.clear();
  }
}

function indexOf(members: readonly RoomMember[]): Map<string, number> {
  return new Map(members.map((member, i) => [nameKey(member.name), i]));
}
