// The named-rooms part of the protocol (docs/PROTOCOL.md, "Rooms"): requests, and what members
// are told. core/messages.ts re-exports them with the rest of the protocol.

// Named rooms (docs/PROTOCOL.md, "Rooms"). `room` is '#' and a name (core/room-names.ts).
/** `:join #name`: joins the room, creating it (with you as its operator) if it is new. */
export interface RoomJoinMessage {
  readonly type: 'room-join';
  readonly room: string;
}
/** `:part`: leaves the room; messages to it stop, and its chains rotate for those who stay. */
export interface RoomPartMessage {
  readonly type: 'room-part';
  readonly room: string;
}
/** `:topic TEXT`: any member sets the topic ('' clears it). */
export interface RoomTopicMessage {
  readonly type: 'room-topic';
  readonly room: string;
  readonly topic: string;
}
/** `:invite NAME`: lets a user into an invite-only room (operators only there; any member elsewhere). */
export interface RoomInviteMessage {
  readonly type: 'room-invite';
  readonly room: string;
  readonly name: string;
}
/** `:kick NAME [REASON]`: an operator removes a member, saying why or not. */
export interface RoomKickMessage {
  readonly type: 'room-kick';
  readonly room: string;
  readonly name: string;
  /** At most MAX_KICK_REASON_CHARS; what the room and the member kicked are told. */
  readonly reason?: string;
}
/**
 * An operator's `:mode`: `+i`/`-i` makes the room invite-only or open again; `+c`/`-c` lets every
 * member control the room's shared video, or only whoever started it. One or both fields.
 */
export interface RoomModeMessage extends RoomModeChange {
  readonly type: 'room-mode';
  readonly room: string;
}
/** What a `:mode` changes: one or both. */
export interface RoomModeChange {
  readonly inviteOnly?: boolean;
  readonly membersControlVideo?: boolean;
}
/** `:rooms`: every room on the server, answered by `rooms`. */
export interface ListRoomsMessage {
  readonly type: 'list-rooms';
}

export type RoomRequest = RoomJoinMessage | RoomPartMessage | RoomTopicMessage | RoomInviteMessage | RoomKickMessage | RoomModeMessage | ListRoomsMessage;

/** Longest room topic, in characters. */
export const MAX_TOPIC_CHARS = 200;
/** A kick's reason, as long as a topic. */
export const MAX_KICK_REASON_CHARS = 200;

export interface RoomMember {
  readonly name: string;
  /** An operator: may kick, invite in an invite-only room, and set its mode. */
  readonly op?: boolean;
}
/** A room as its members see it: sent on joining it, and in `welcome` for the rooms we are in. */
export interface RoomView {
  readonly name: string;
  readonly topic: string;
  readonly inviteOnly: boolean;
  /** Every member may pause, seek, stop or replace the room's shared video (`+c`); absent: only who started it. */
  readonly membersControlVideo?: boolean;
  readonly members: readonly RoomMember[];
}
/** A room as `:rooms` lists it. */
export interface RoomListing {
  readonly name: string;
  readonly topic: string;
  readonly members: number;
  readonly inviteOnly: boolean;
  /** Whether the asker is a member. */
  readonly joined: boolean;
}
/** We joined this room (or our view of it is replaced): its whole state. */
export interface RoomStateMessage {
  readonly type: 'room';
  readonly room: RoomView;
}
export type RoomEventKind = 'join' | 'part' | 'kick' | 'topic' | 'mode' | 'invite' | 'op';
/**
 * Something happened in a room we are in (or to us: an invite, a kick). `name` is whom it is about
 * (the member who joined, parted, was kicked, invited or made operator); `by` who did it.
 */
export interface RoomEventMessage {
  readonly type: 'room-event';
  readonly room: string;
  readonly kind: RoomEventKind;
  readonly name: string;
  readonly by?: string;
  /** kind 'topic': the new topic. */
  readonly topic?: string;
  /** kind 'kick': why, when the operator said. */
  readonly reason?: string;
  /** kind 'mode': what changed, as it is now. */
  readonly inviteOnly?: boolean;
  readonly membersControlVideo?: boolean;
}
export interface RoomsMessage {
  readonly type: 'rooms';
  readonly rooms: readonly RoomListing[];
}
