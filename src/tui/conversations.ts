// The TUI's conversations as data: their ids (the lobby, each named room, each DM peer), what a
// log holds, and the few pure helpers on them (titles, mentions). The view model keeps them.
import type { LinkState } from '../client/chat-client.js';
import { isRoomTarget } from '../core/room-names.js';

/** The lobby's conversation: the room everyone on the server is in. */
export const ROOM_ID = 'room';
/** Log lines kept per conversation; older ones scroll away for good. */
export const MAX_LOG_ENTRIES = 5000;

export type ConversationId = string;
/** `:search` in a conversation shows at most this many of the latest matches. */
export const SEARCH_RESULTS_SHOWN = 50;

export type LogEntry =
  | {
      readonly kind: 'message';
      readonly ts: number;
      readonly from: string;
      readonly text: string;
      readonly isOwn: boolean;
      readonly verified: boolean;
      readonly isDirect: boolean;
      readonly isQueued?: boolean;
      /** Our own lines: the message id, and where it stands (updated in place as news comes). */
      readonly id?: string;
      readonly delivery?: { readonly text: string; readonly failed: boolean; readonly done: boolean };
      /** Shown again from the history kept on disk (a restart), or held while a key was unconfirmed. */
      readonly fromHistory?: boolean;
      readonly held?: boolean;
      /** Someone else's line that names you (or a DM): drawn highlighted, counted apart. */
      readonly highlight?: boolean;
    }
  /** `key`: a line updated in place as news comes (a file's progress bar). */
  | { readonly kind: 'system' | 'error' | 'warning'; readonly ts: number; readonly text: string; readonly key?: string }
  /** A picture we drew ourselves (ANSI color escapes, no peer text inside), under a caption. */
  | { readonly kind: 'image'; readonly ts: number; readonly caption: string; readonly ansi: string };

export interface Conversation {
  readonly id: ConversationId;
  /** "room", or the peer's name as last seen. */
  title: string;
  readonly entries: LogEntry[];
  unread: number;
  /** Unread lines that name you, or any unread DM line: what the bell and the title count. */
  highlights: number;
  /** Index of the first entry not yet seen, shown as a marker while the conversation is open. */
  unreadMarker: number | null;
}

export type Focus = 'input' | 'peers';

export interface LinkStatus {
  readonly state: LinkState;
  readonly reason?: string;
  readonly retryInMs?: number;
  /** When the next attempt is due (ms since the epoch): the status bar counts down to it. */
  readonly retryAt?: number;
}

export function dmId(name: string): ConversationId {
  return `dm:${name.toLowerCase()}`;
}

/** A named room's conversation ('#dev' -> 'room:#dev'). */
export function roomId(name: string): ConversationId {
  return `room:${name.toLowerCase()}`;
}

/** The conversation a message to `to` belongs to; `other` is the DM's other party. */
export function conversationOf(to: string | null, other: string): { id: ConversationId; title: string } {
  if (to === null) return { id: ROOM_ID, title: 'room' };
  if (isRoomTarget(to)) return { id: roomId(to), title: to };
  return { id: dmId(other), title: other };
}

export function isNamedRoom(id: ConversationId): boolean {
  return id.startsWith('room:');
}

export function titleOf(id: ConversationId): string {
  if (id === ROOM_ID) return 'room';
  return id.startsWith('room:') ? id.slice('room:'.length) : id.slice('dm:'.length);
}

/** Whether text names `name` as a word (alice, @alice, "alice:"), ignoring case. */
export function mentions(text: string, name: string): boolean {
  if (name === '') return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_-])@?${escaped}($|[^\\p{L}\\p{N}_-])`, 'iu').test(text);
}
