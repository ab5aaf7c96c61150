// The events a ChatSession reports, and what they carry: the TUI, the --json line mode, bots and
// tests read these; the session's parts (inbox, sender) produce them. A module of their own, so the
// parts import the types without importing the session.
import type { FileAttachment } from './files/attachment.js';
import type { VideoFrame } from '../core/media-frame.js';
import type { RoomListing, StreamEndMessage, StreamStartMessage, StreamStatusMessage, VideoInfo, WatchEventMessage } from '../core/messages.js';
import type { DeliverySummary } from './delivery-tracker.js';
import type { PeerView } from './peer-directory.js';
import type { RoomChange } from './room-rosters.js';
import type { LinkError } from './server-link.js';

export interface ChatMessageEvent {
  readonly id: string;
  readonly from: string;
  /** null for the lobby, '#name' for a named room, else the recipient (you). */
  readonly to: string | null;
  /** Control characters and escape sequences already removed. */
  readonly text: string;
  /** Sender's timestamp (ms). */
  readonly ts: number;
  /** Signature checked and the sender's key matches the one pinned for that name. */
  readonly verified: boolean;
  /** Held while this verified contact's key was unconfirmed, shown after :verify or :trust. */
  readonly held?: boolean;
  /** A file the message carries (fetched by FileTransfers; `text` says so too). */
  readonly file?: FileAttachment;
}

export interface SentMessage {
  readonly id: string;
  readonly to: string | null;
  /** Peers left out: their key changed since first use and the user has not accepted it, or no session can start with them. */
  readonly withheld: readonly string[];
}

/** A message-level or link-level problem, for the user. */
export interface SessionErrorEvent extends LinkError {
  /** The peer a message-level error is about, if any. */
  readonly peer?: string;
}

export interface SessionEvents {
  ready: { readonly name: string; readonly fingerprint: string; readonly peers: readonly PeerView[] };
  peers: readonly PeerView[];
  join: PeerView;
  leave: { readonly name: string };
  /** A peer set their away message, or came back (message ''). */
  away: { readonly name: string; readonly message: string };
  message: ChatMessageEvent;
  sent: SentMessage;
  /** Where a sent message stands now (after the server's ack, and each receipt). */
  delivery: DeliverySummary;
  'key-changed': { readonly name: string; readonly pinned: string; readonly announced: string };
  /** Something changed in a named room we are in (or we joined, left, were kicked or invited). */
  'room-change': RoomChange;
  /** The answer to listRooms(): every room on the server. */
  rooms: readonly RoomListing[];
  /** A room's shared video started, paused, resumed, was sought, stopped or finished. */
  watch: WatchEventMessage;
  videos: readonly VideoInfo[];
  poster: { readonly name: string; readonly jpeg: Buffer };
  'stream-start': StreamStartMessage;
  'stream-status': StreamStatusMessage;
  'stream-end': StreamEndMessage;
  'video-frame': VideoFrame;
  error: SessionErrorEvent;
  /** A clustered server lost (degraded) or regained (ok) its link to the other servers. */
  cluster: { readonly state: 'ok' | 'degraded'; readonly message: string };
  disconnected: { readonly reason: string };
}
