// What a room name may be, and how a message's `to` says where it goes: null is the lobby (the
// room everyone is in), "#name" a named room, anything else a user (a direct message).
import { NAME_PATTERN, nameKey } from './names.js';

/** '#' and then what a user name may be: ASCII only, so two rooms cannot look alike. */
export const ROOM_NAME_RULE = "'#' followed by 1-32 characters of A-Z a-z 0-9 _ - . starting with a letter or digit";
/** Longest room name, '#' included. */
export const MAX_ROOM_NAME_CHARS = 33;
/**
 * The lobby's name in envelope headers (core/envelope.ts) and in the views: no named room may
 * take it, or a lobby message could pass for one of that room's.
 */
export const LOBBY_NAME = '#room';

export function isValidRoomName(name: string): boolean {
  return name.startsWith('#') && NAME_PATTERN.test(name.slice(1)) && nameKey(name) !== LOBBY_NAME;
}

/** Room names are unique regardless of case, like user names. */
export function roomKey(name: string): string {
  return name.toLowerCase();
}

/** True for the lobby (null) and named rooms; false for a direct message's recipient. */
export function isRoomTarget(to: string | null): boolean {
  return to === null || to.startsWith('#');
}

/** The conversation a room message belongs to, as a key: '#room' for the lobby. */
export function roomConversation(to: string | null): string {
  return to === null ? LOBBY_NAME : roomKey(to);
}
