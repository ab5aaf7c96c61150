// Typed errors with stable codes. Tests assert the code, never the message text.

export const ErrorCode = {
  // Framing: the byte stream itself is broken. Always fatal for the connection.
  FRAME_TOO_LARGE: 'CHAT_ERR_FRAME_TOO_LARGE',
  UNKNOWN_FRAME_TYPE: 'CHAT_ERR_UNKNOWN_FRAME_TYPE',
  TRUNCATED_FRAME: 'CHAT_ERR_TRUNCATED_FRAME',
  // Protocol: frames are fine but the message inside is not.
  INVALID_JSON: 'CHAT_ERR_INVALID_JSON',
  UNKNOWN_MESSAGE: 'CHAT_ERR_UNKNOWN_MESSAGE',
  INVALID_MESSAGE: 'CHAT_ERR_INVALID_MESSAGE',
  UNEXPECTED_MESSAGE: 'CHAT_ERR_UNEXPECTED_MESSAGE',
  VERSION_MISMATCH: 'CHAT_ERR_VERSION_MISMATCH',
  // Joining.
  NAME_INVALID: 'CHAT_ERR_NAME_INVALID',
  NAME_TAKEN: 'CHAT_ERR_NAME_TAKEN',
  /** The same key joined again under this name (elsewhere, or after a crash): this older connection is closed. */
  REPLACED: 'CHAT_ERR_REPLACED',
  /** This key holds its share of names, or its address registered its share today (fair shares). */
  NAME_LIMIT: 'CHAT_ERR_NAME_LIMIT',
  AUTH_FAILED: 'CHAT_ERR_AUTH_FAILED',
  HANDSHAKE_TIMEOUT: 'CHAT_ERR_HANDSHAKE_TIMEOUT',
  SERVER_FULL: 'CHAT_ERR_SERVER_FULL',
  // Routing and delivery.
  NO_SUCH_PEER: 'CHAT_ERR_NO_SUCH_PEER',
  MESSAGE_TOO_LARGE: 'CHAT_ERR_MESSAGE_TOO_LARGE',
  SLOW_READER: 'CHAT_ERR_SLOW_READER',
  IDLE_TIMEOUT: 'CHAT_ERR_IDLE_TIMEOUT',
  TOO_MANY_FROM_ADDRESS: 'CHAT_ERR_TOO_MANY_FROM_ADDRESS',
  SHUTDOWN: 'CHAT_ERR_SHUTDOWN',
  NOT_CONNECTED: 'CHAT_ERR_NOT_CONNECTED',
  /** A clustered node lost its broker: no joins, and messages to other nodes' users are refused. */
  CLUSTER_UNAVAILABLE: 'CHAT_ERR_CLUSTER_UNAVAILABLE',
  /** The server's store for away users is full for this recipient (or in all): the message was not kept. */
  STORE_FULL: 'CHAT_ERR_STORE_FULL',
  /** The server could not write the message to its store (a disk error): it was not kept. */
  STORE_FAILED: 'CHAT_ERR_STORE_FAILED',
  /** A stored message waited longer than the server keeps them, and was deleted unread. */
  EXPIRED: 'CHAT_ERR_EXPIRED',
  /** The server keeps no messages for away users (a cluster without a store). */
  NOT_STORED: 'CHAT_ERR_NOT_STORED',
  /** A store file (the server's, or the client's state) cannot be read: named, never silently replaced. */
  STORE_CORRUPT: 'CHAT_ERR_STORE_CORRUPT',
  // Rooms.
  /** A room name that breaks the rule (core/room-names.ts). */
  ROOM_NAME_INVALID: 'CHAT_ERR_ROOM_NAME_INVALID',
  /** A command or message for a room that does not exist, or that the user is not in. */
  NOT_IN_ROOM: 'CHAT_ERR_NOT_IN_ROOM',
  /** Joining an invite-only room without an invite. */
  ROOM_INVITE_ONLY: 'CHAT_ERR_ROOM_INVITE_ONLY',
  /** Only the room's operators may do that (kick, set the mode, invite into an invite-only room). */
  NOT_ROOM_OPERATOR: 'CHAT_ERR_NOT_ROOM_OPERATOR',
  /** A bound on rooms was reached: rooms per user, members per room, or rooms on the server. */
  ROOM_LIMIT: 'CHAT_ERR_ROOM_LIMIT',
  // Video.
  VIDEO_NOT_FOUND: 'CHAT_ERR_VIDEO_NOT_FOUND',
  VIDEO_PATH: 'CHAT_ERR_VIDEO_PATH',
  NOT_A_VIDEO: 'CHAT_ERR_NOT_A_VIDEO',
  VIDEO_DECODE: 'CHAT_ERR_VIDEO_DECODE',
  VIDEO_BUSY: 'CHAT_ERR_VIDEO_BUSY',
  NO_SUCH_STREAM: 'CHAT_ERR_NO_SUCH_STREAM',
  // End-to-end crypto. Every way an envelope can be bad maps to ENVELOPE_INVALID so that
  // a forger learns nothing from which check failed; replays are reported separately
  // because they are not secret and the user wants to know.
  ENVELOPE_INVALID: 'CHAT_ERR_ENVELOPE_INVALID',
  REPLAY: 'CHAT_ERR_REPLAY',
  /** Messages from a sender are missing (a gap in its chain) or arrived out of order. */
  MESSAGES_MISSING: 'CHAT_ERR_MESSAGES_MISSING',
  MESSAGE_LATE: 'CHAT_ERR_MESSAGE_LATE',
  /** A peer's key differs from the one pinned (and, for a verified peer, its messages are held). */
  PEER_KEY_CHANGED: 'CHAT_ERR_PEER_KEY_CHANGED',
  /** A peer's prekey is one no session can start from (a low-order point): it is left out. */
  PEER_PREKEY_INVALID: 'CHAT_ERR_PEER_PREKEY_INVALID',
  /** The server listed someone under our own name with a key that is not ours. */
  IMPERSONATION: 'CHAT_ERR_IMPERSONATION',
  /** A file the client keeps (pins, known peers) is damaged: named, never silently replaced. */
  CONFIG_FILE: 'CHAT_ERR_CONFIG_FILE',
  KEY_FILE: 'CHAT_ERR_KEY_FILE',
  /** The server's TLS certificate does not match the pinned or given fingerprint. */
  SERVER_KEY_CHANGED: 'CHAT_ERR_SERVER_KEY_CHANGED',
  // Command line.
  USAGE: 'CHAT_ERR_USAGE',
  FFMPEG_NOT_FOUND: 'CHAT_ERR_FFMPEG_NOT_FOUND',
  // Files.
  /** Larger than --max-file-bytes, or than the sender's share of the file store. */
  FILE_TOO_LARGE: 'CHAT_ERR_FILE_TOO_LARGE',
  /** No such file on the server (never stored, expired, or everyone it was for has it). */
  FILE_NOT_FOUND: 'CHAT_ERR_FILE_NOT_FOUND',
  /** A chunk out of place, of the wrong size, or failing its check; a size or hash that does not match. */
  FILE_INVALID: 'CHAT_ERR_FILE_INVALID',
  /** Where a file was to be saved: outside the folder, already there, or not writable. */
  FILE_SAVE: 'CHAT_ERR_FILE_SAVE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ChatError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The byte stream could not be split into frames. The connection is unusable after this. */
export class FrameError extends ChatError {}

/** A frame decoded, but the message it carries is malformed, unknown or out of place. */
export class ProtocolError extends ChatError {}

/** An envelope failed to open or verify. The message is deliberately uninformative. */
export class CryptoError extends ChatError {}

/** Bad command-line input: the CLI prints the message and the usage and exits 2. */
export class UsageError extends ChatError {
  constructor(message: string) {
    super(ErrorCode.USAGE, message);
  }
}
