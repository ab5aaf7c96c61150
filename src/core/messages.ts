// The typed control messages carried in CONTROL frames. docs/PROTOCOL.md describes each one.

import type { BatchProof } from './batch-signature.js';
import type { RatchetHeader } from './double-ratchet.js';
import type { FileNews, FileRequest } from './file-messages.js';
import type { KeyRetirement } from './key-retirement.js';
import type { RoomEventMessage, RoomRequest, RoomStateMessage, RoomView, RoomsMessage } from './room-messages.js';
import type { SenderKeyHeader } from './sender-key.js';
import type {
  ListVideosMessage,
  PauseVideoMessage,
  PlayMessage,
  PosterMessage,
  PosterRequestMessage,
  ResizeVideoMessage,
  SeekVideoMessage,
  StopVideoMessage,
  StreamEndMessage,
  StreamStartMessage,
  StreamStatusMessage,
  VideosMessage,
  WatchEventMessage,
} from './video-messages.js';

export * from './room-messages.js';
export * from './video-messages.js';
export * from './file-messages.js';
export * from './delivery-messages.js';
import type { AckMessage, ReceiptsMessage } from './delivery-messages.js';

/** Bumped on any incompatible change; a peer speaking another version is refused at hello. */
export const PROTOCOL_VERSION = 4;

/** Sealed message as the sender built it. The server relays it without being able to read it. */
export interface Envelope {
  /** 16 random bytes, base64url: the replay-detection id. */
  readonly id: string;
  /** Sender's clock, ms since the epoch; checked against the recipient's replay window. */
  readonly ts: number;
  /** The sender's chain: random per connection, base64url. With seq, exposes gaps and reordering. */
  readonly chain: string;
  /** 0, 1, 2, ... per chain and conversation (the room, or this recipient). */
  readonly seq: number;
  /** Direct messages only: where the message key sits in the sender's Double Ratchet. */
  readonly ratchet?: RatchetHeader;
  /** Room messages only: which of the sender's sender-key chains, and the step on it. */
  readonly senderKey?: SenderKeyHeader;
  /** AES-256-GCM nonce, base64. */
  readonly iv: string;
  /** AES-256-GCM ciphertext followed by its 16-byte tag, base64. */
  readonly ct: string;
  /**
   * RSA-PSS-SHA256 signature by the sender over the envelope header and ciphertext, base64; with
   * `batch`, over the root of the batch this envelope is one of (batch-signature.ts).
   */
  readonly sig: string;
  /** Sealed with others under one signature: where this envelope sits in the batch. */
  readonly batch?: BatchProof;
}

/**
 * One user as presence announces them (protocol v4): name, fingerprint, online state, and `keyId`,
 * which changes whenever their key or signed prekey does. The keys themselves come on request
 * (`keys` -> `key-bundles`) and are cached by clients, so a join costs the same however many users
 * there are. A summary that carries the keys (a bundle, or an older fixture) is used as it is.
 */
export interface PeerSummary {
  readonly name: string;
  /** SPKI DER, base64 (bundles only). */
  readonly publicKey?: string;
  /** The signed X25519 prekey (raw, base64) and its signature by the identity key (bundles only). */
  readonly prekey?: string;
  readonly prekeySig?: string;
  /** Names this version of the user's keys: a cached bundle with the same id is still good. */
  readonly keyId?: string;
  /**
   * One of the user's one-time prekeys (bundles only, when the server had one left): handed out
   * once, so a session started from it stays closed even to a later thief of the signed prekey.
   */
  readonly oneTimePrekey?: OneTimePrekey;
  /** SHA-256 of the SPKI DER, lowercase hex. */
  readonly fingerprint: string;
  /** When this user joined (online), or was last seen (offline). */
  readonly joinedAt: number;
  /**
   * False for a user registered on this server who is not connected: messages to them are stored
   * until they come back (protocol v4). Absent means online (what older fixtures send).
   */
  readonly online?: boolean;
  /** The user's away message (`:away TEXT`), while they have one set: they are connected but not there. */
  readonly away?: string;
}

/** When a user's one-time prekeys on the server fall to this many, the server asks for more (`prekey-pool`). */
export const ONE_TIME_PREKEYS_LOW = 20;

/** A one-time prekey as a client uploads it and a bundle carries it. */
export interface OneTimePrekey {
  /** Chosen by its owner: short random base64url. */
  readonly id: string;
  /** Raw X25519 public key, base64. */
  readonly key: string;
}

/** Longest away message, in characters: a status line, not a message. */
export const MAX_AWAY_CHARS = 120;

/** Server limits a client needs to build messages the server will accept. */
export interface AnnouncedLimits {
  readonly maxControlFrameBytes: number;
  readonly maxMediaFrameBytes: number;
  /** DMs one `send-batch` may carry; absent: the server takes no batches (send them one by one). */
  readonly maxBatchSends?: number;
  /** `received` one `received-batch` may carry; absent: the server takes none (confirm one sender a frame). */
  readonly maxBatchReceived?: number;
}

/** DMs in one `send-batch` (a room's key handovers go 64 to a frame, within the frame limit). */
export const MAX_BATCH_SENDS = 64;
/** Confirmations in one `received-batch` (one per sender: an open lobby's askers, each confirmed at once). */
export const MAX_BATCH_RECEIVED = 64;

// ---- client -> server -------------------------------------------------------------------------

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly name: string;
  readonly publicKey: string;
  /** X25519 prekey for this connection (raw, base64), signed: see core/prekey.ts. */
  readonly prekey: string;
  readonly prekeySig: string;
  /**
   * A key retirement statement (core/key-retirement.ts) from the key this name is registered to,
   * naming this key as its successor: the server then moves the registration (protocol v4).
   */
  readonly retirement?: KeyRetirement;
  /**
   * Statements from the registered key to this one, oldest first, when the key was rotated more
   * than once before reaching this server (`retirement` is then the last of them).
   */
  readonly retirements?: readonly KeyRetirement[];
}
export interface AuthMessage {
  readonly type: 'auth';
  readonly signature: string;
}
/**
 * to: null for the lobby, which the server fans out to every user it knows (online now, or
 * registered and away: stored for them); '#name' for a named room (its members); else a user. `only` narrows a room message to some members: a client
 * resending what it never got a final word on, after a reconnect.
 */
export interface SendMessage {
  readonly type: 'send';
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly only?: readonly string[];
  /** Room members the sender left out (their key changed, or no session can start): not sent, not stored. */
  readonly except?: readonly string[];
}
/**
 * DMs written together (a room's key handovers, resends after a reconnect): each handled as its
 * own `send` (its own ack), the frame counted once by flood control (its bytes in full). DMs only:
 * each goes to one user, so a batch amplifies nothing; a room line is never batched.
 */
export interface SendBatchMessage {
  readonly type: 'send-batch';
  readonly sends: readonly SendMessage[];
}
/** The recipient has kept these envelopes (its state is on disk): the server may forget them. */
export interface ReceivedMessage {
  readonly type: 'received';
  readonly ids: readonly string[];
  /** Of those, the ones that arrived but could not be opened: their senders are told so, not "delivered". */
  readonly unreadable?: readonly string[];
  /**
   * The sender of every id listed. Ids are each sender's own, so the server matches (from, id):
   * another user reusing an id confirms nothing of anyone else's. Absent: the ids of any sender.
   */
  readonly from?: string;
  /** Of `ids`, those the client holds unread (the sender's key changed for a contact the user verified). */
  readonly held?: readonly string[];
  /** Ids from `from` (not in `ids`: confirmed earlier, held) the user threw away unread; the sender is told. */
  readonly discarded?: readonly string[];
}
/**
 * Confirmations written together, one `received` per sender (a line's hundreds of readers asking
 * for its chain, each confirmed in one turn): each handled as its own `received`, the frame counted
 * once by flood control, its bytes against the batch budget, as a `send-batch`.
 */
export interface ReceivedBatchMessage {
  readonly type: 'received-batch';
  readonly received: readonly ReceivedMessage[];
}
/** Asks for the keys of these users (protocol v4); at most MAX_KEY_REQUEST names. */
export interface KeysRequestMessage {
  readonly type: 'keys';
  readonly names: readonly string[];
}
/**
 * Tell me of these users' presence from now on (joins, going away, new keys), and list them now
 * (`followed`). A client told only of those it follows (welcome `presence: 'followed'`) follows
 * whom it writes to or hears from; at most MAX_KEY_REQUEST names at once.
 */
export interface FollowMessage {
  readonly type: 'follow';
  readonly names: readonly string[];
}
/**
 * One-time prekeys for the server to hand out, one per bundle it gives someone (protocol v4), at
 * most MAX_ONE_TIME_PREKEYS_PER_MESSAGE at a time; the server keeps up to its limit per user.
 */
export interface PrekeysMessage {
  readonly type: 'prekeys';
  readonly oneTime: readonly OneTimePrekey[];
  /** A new signed prekey, when the client rotated it while connected (as `hello.prekey`, signed). */
  readonly signed?: { readonly prekey: string; readonly prekeySig: string };
}
export interface PingMessage {
  readonly type: 'ping';
  readonly nonce: number;
}
export interface ByeMessage {
  readonly type: 'bye';
}

/** `:away TEXT` sets an away message; an empty one says you are back. Relayed to everyone as `away`. */
export interface SetAwayMessage {
  readonly type: 'away';
  readonly message: string;
}

export type ClientMessage =
  | FileRequest
  | RoomRequest
  | SetAwayMessage
  | PosterRequestMessage
  | HelloMessage
  | AuthMessage
  | SendMessage
  | SendBatchMessage
  | ReceivedMessage
  | ReceivedBatchMessage
  | KeysRequestMessage
  | FollowMessage
  | PrekeysMessage
  | PingMessage
  | ByeMessage
  | ListVideosMessage
  | PlayMessage
  | StopVideoMessage
  | PauseVideoMessage
  | SeekVideoMessage
  | ResizeVideoMessage;

// ---- server -> client -------------------------------------------------------------------------

export interface ChallengeMessage {
  readonly type: 'challenge';
  /** 32 random bytes, base64: the client signs it to prove it holds its private key. */
  readonly nonce: string;
}
export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly name: string;
  readonly peers: readonly PeerSummary[];
  readonly limits: AnnouncedLimits;
  /** One-time prekeys the server holds for us (absent: a server that keeps none). */
  readonly oneTimePrekeys?: number;
  /** The named rooms we are a member of (absent: a server without rooms). */
  readonly rooms?: readonly RoomView[];
  /**
   * 'everyone' (or absent): `peers` lists every user and every join is told to us. 'followed': the
   * server is past its full-presence size; `peers` lists us and our room-mates, and we hear of
   * those we follow (`follow`) only.
   */
  readonly presence?: PresenceScope;
  /** How many users the server had when we joined, online and registered in all (absent: an older server). */
  readonly census?: Census;
}

export type PresenceScope = 'everyone' | 'followed';

export interface Census {
  readonly online: number;
  readonly registered: number;
}

/** The server is running short of our one-time prekeys (it handed one out): send more. */
export interface PrekeyPoolMessage {
  readonly type: 'prekey-pool';
  readonly oneTime: number;
}
export interface PeersMessage {
  readonly type: 'peers';
  readonly peers: readonly PeerSummary[];
}
export interface JoinMessage {
  readonly type: 'join';
  readonly peer: PeerSummary;
}
export interface LeaveMessage {
  readonly type: 'leave';
  readonly name: string;
}
/** A user set (or, with an empty message, cleared) their away message. */
export interface AwayMessage {
  readonly type: 'away';
  readonly name: string;
  readonly message: string;
}
/** One delivery of the envelope its sender sealed. */
export interface DeliverMessage {
  readonly type: 'message';
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  /** Set when it waited in the server's store (so it may be older than the live replay window). */
  readonly stored?: boolean;
}

/** The keys asked for: one full summary per name the server knows (unknown names are left out). */
/** The answer to `follow`: the users found (presence, no keys), and the names nobody has. */
export interface FollowedMessage {
  readonly type: 'followed';
  readonly peers: readonly PeerSummary[];
  readonly unknown: readonly string[];
}
export interface KeyBundlesMessage {
  readonly type: 'key-bundles';
  readonly bundles: readonly PeerSummary[];
}
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  /** True when the server closes the connection right after. */
  readonly fatal: boolean;
  /** The envelope id the error is about, when it is about one. */
  readonly ref?: string;
}
export interface PongMessage {
  readonly type: 'pong';
  readonly nonce: number;
}
/** A clustered server lost (degraded) or regained (ok) its link to the other servers. */
export interface ClusterStatusMessage {
  readonly type: 'cluster';
  readonly state: 'ok' | 'degraded';
  readonly message: string;
}
export interface ShutdownMessage {
  readonly type: 'shutdown';
  readonly reason: string;
}

export type ServerMessage =
  | FileNews
  | WatchEventMessage
  | RoomStateMessage
  | RoomEventMessage
  | RoomsMessage
  | PosterMessage
  | VideosMessage
  | StreamStartMessage
  | StreamStatusMessage
  | StreamEndMessage
  | ChallengeMessage
  | WelcomeMessage
  | PeersMessage
  | JoinMessage
  | LeaveMessage
  | AwayMessage
  | DeliverMessage
  | AckMessage
  | ReceiptsMessage
  | KeyBundlesMessage
  | FollowedMessage
  | PrekeyPoolMessage
  | ErrorMessage
  | PongMessage
  | ClusterStatusMessage
  | ShutdownMessage;
