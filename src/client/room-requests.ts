// What `:join`, `:part`, `:topic`, `:invite`, `:kick`, `:mode` and `:rooms` ask of the server:
// each checked here first (a room name that cannot be, a room we are not in, a topic or a reason
// too long) so a mistake is said at once, without a round trip.
import { ChatError, ErrorCode } from '../core/errors.js';
import { MAX_KICK_REASON_CHARS, MAX_TOPIC_CHARS, type RoomModeChange, type RoomRequest } from '../core/messages.js';
import { ROOM_NAME_RULE, isValidRoomName } from '../core/room-names.js';
import type { RoomRosters } from './room-rosters.js';

export class RoomRequests {
  constructor(
    private readonly rosters: RoomRosters,
    /** Sends a request; throws NOT_CONNECTED while offline. */
    private readonly send: (request: RoomRequest) => void,
  ) {}

  /** The server answers with the room (a 'room-change'), or an error. */
  join(room: string): void {
    this.send({ type: 'room-join', room: checkRoomName(room) });
  }

  part(room: string): void {
    this.send({ type: 'room-part', room: this.requireRoom(room) });
  }

  setTopic(room: string, topic: string): void {
    this.send({ type: 'room-topic', room: this.requireRoom(room), topic: topic.slice(0, MAX_TOPIC_CHARS) });
  }

  invite(room: string, name: string): void {
    this.send({ type: 'room-invite', room: this.requireRoom(room), name });
  }

  kick(room: string, name: string, reason: string): void {
    const why = reason === '' ? {} : { reason: reason.slice(0, MAX_KICK_REASON_CHARS) };
    this.send({ type: 'room-kick', room: this.requireRoom(room), name, ...why });
  }

  setMode(room: string, mode: RoomModeChange): void {
    this.send({ type: 'room-mode', room: this.requireRoom(room), ...mode });
  }

  /** Answered with a 'rooms' event. */
  list(): void {
    this.send({ type: 'list-rooms' });
  }

  private requireRoom(room: string): string {
    const roster = this.rosters.get(checkRoomName(room));
    if (roster === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${room}`);
    return roster.name;
  }
}

function checkRoomName(room: string): string {
  if (!isValidRoomName(room)) throw new ChatError(ErrorCode.ROOM_NAME_INVALID, `room names are ${ROOM_NAME_RULE} (and not #room, the lobby)`);
  return room;
}
