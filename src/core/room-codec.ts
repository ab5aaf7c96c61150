// Readers for the named-rooms part of the protocol (core/room-messages.ts): room names, a room's
// view and listing, the kinds of room events. message-codec.ts and video-codec.ts decode with them.
import type { RoomListing, RoomView } from './room-messages.js';
import { MAX_TOPIC_CHARS } from './room-messages.js';
import { MAX_ROOM_NAME_CHARS, isValidRoomName } from './room-names.js';
import { type Json, boolean, integer, invalid, nameList, object, string } from './field-readers.js';

export const ROOM_EVENT_KINDS = new Set(['join', 'part', 'kick', 'topic', 'mode', 'invite', 'op']);
/** Most rooms in a `rooms` listing or a welcome, and members in one room's view: far past the server's own bounds. */
const MAX_LISTED_ROOMS = 100_000;

export function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value) || value.length > MAX_LISTED_ROOMS) throw invalid(field, `must be a list of at most ${MAX_LISTED_ROOMS}`);
  return value;
}

export function roomName(obj: Json, field = 'room'): string {
  const name = string(obj, field, MAX_ROOM_NAME_CHARS);
  if (!isValidRoomName(name)) throw invalid(field, 'is not a valid room name');
  return name;
}

export function roomView(value: unknown): RoomView {
  const obj = object(value, 'room');
  return {
    name: roomName(obj, 'name'),
    topic: string(obj, 'topic', MAX_TOPIC_CHARS),
    inviteOnly: boolean(obj, 'inviteOnly'),
    ...(obj['membersControlVideo'] === true ? { membersControlVideo: true } : {}),
    members: list(obj['members'], 'members').map((item) => {
      const member = object(item, 'member');
      const [name] = nameList([member['name']], 'member.name');
      return member['op'] === true ? { name: name!, op: true } : { name: name! };
    }),
  };
}

export function roomListing(value: unknown): RoomListing {
  const obj = object(value, 'room');
  return {
    name: roomName(obj, 'name'),
    topic: string(obj, 'topic', MAX_TOPIC_CHARS),
    members: integer(obj, 'members'),
    inviteOnly: boolean(obj, 'inviteOnly'),
    joined: boolean(obj, 'joined'),
  };
}
