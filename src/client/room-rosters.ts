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

export class RoomRosters {
  private readonly rooms = new Map<string, RoomView>();

  /** The rooms in a welcome replace what we knew (the server's word after a reconnect). */
  replace(rooms: readonly RoomView[]): void {
    this.rooms.clear();
    for (const room of rooms) this.set(room);
  }

  set(room: RoomView): RoomView {
    const safe = { ...room, topic: stripControlCharacters(room.topic) };
    this.rooms.set(roomKey(room.name), safe);
    return safe;
  }

  get(room: string): RoomView | undefined {
    return this.rooms.get(roomKey(room));
  }

  list(): RoomView[] {
    return [...this.rooms.values()];
  }

  /** Applies an event; returns undefined for one about a room we are not in and that is not about us. */
  apply(event: RoomEventMessage, selfName: string): RoomChange | undefined {
    const safe: RoomEventMessage = event.topic === undefined ? event : { ...event, topic: stripControlCharacters(event.topic) };
    const room = this.rooms.get(roomKey(event.room));
    const aboutUs = nameKey(event.name) === nameKey(selfName);
    if (room === undefined) {
      // Not in it: only an invite for us means anything.
      return event.kind === 'invite' && aboutUs ? { event: safe, room: undefined } : undefined;
    }
    const members = [...room.members];
    const index = members.findIndex((member) => nameKey(member.name) === nameKey(event.name));
    let next: RoomView | undefined = room;
    switch (event.kind) {
      case 'join':
        if (index < 0) next = { ...room, members: [...members, { name: event.name }] };
        break;
      case 'part':
      case 'kick':
        if (aboutUs) next = undefined;
        else if (index >= 0) next = { ...room, members: members.filter((_, i) => i !== index) };
        break;
      case 'op':
        if (index >= 0) next = { ...room, members: members.map((member, i): RoomMember => (i === index ? { name: member.name, op: true } : member)) };
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
    else this.rooms.set(roomKey(event.room), next);
    return { event: safe, room: next };
  }

  clear(): void {
    this.rooms.clear();
  }
}
