// The one seam between the chat server and a message broker. ChatServer and ClusterLink speak only
// this interface; nats-bus.ts is the implementation (docs/SCALING.md says why NATS). A single node
// has no bus at all, so the default path never touches any of this.
import type { SharedKeyValue } from '../store/key-value.js';
import type { DirectRelay, PresenceMessage, ReceiptBatch, ReceiptRelay, RoomRelay } from './cluster-wire.js';
import type { WatchAnnouncement, WatchFrames, WatchRequest, WatchViewerMessage } from './watch-wire.js';
import type { FileBucket } from './jetstream-files.js';

/** A name claim either wins, or loses to the node that holds it. */
export type ClaimOutcome = { readonly won: true } | { readonly won: false; readonly owner: string };

/**
 * Where a DM handed to the bus ended up: on the recipient's socket; at their node but not on it
 * (they had just left); at no node (the node is gone); or nowhere we can tell (the broker or the
 * node did not answer in time).
 */
export type HandOff = 'delivered' | 'not-delivered' | 'absent' | 'unreachable';

/**
 * Room recipients a message may not have reached, for its sender: they had left their node
 * ('left'), their node did not confirm the batch in time ('unconfirmed'), or the batch never left
 * this node because the broker link was down ('not-sent').
 */
export interface UndeliveredNotice {
  readonly id: string;
  readonly from: string;
  readonly names: readonly string[];
  readonly reason: 'left' | 'unconfirmed' | 'not-sent';
}

/** What the bus calls back into; everything it receives has been decoded and validated first. */
export interface ClusterHandlers {
  /** The broker link went down, or came back (subscriptions restored and the claims bucket ready). */
  linkChanged(up: boolean): void;
  presence(message: PresenceMessage): void;
  /** A room relay with recipients on this node; returns the names it could not deliver to. */
  room(relay: RoomRelay): string[];
  /** A DM for a member of this node; true when it was handed to the recipient's connection. */
  direct(relay: DirectRelay): boolean;
  undelivered(notice: UndeliveredNotice): void;
  /** Delivery news from another node for senders it believes are on this one. */
  receipts(batch: ReceiptBatch): void;
  /** Whether this node holds (or is admitting) `name`: other nodes ask before taking over a claim. */
  holds(name: string): boolean;
}

export interface ClusterBus {
  /** This node's id: random per process, so a restarted node is a new node. */
  readonly nodeId: string;
  /** True while the broker link is up. Publishing while down fails instead of buffering. */
  readonly isUp: boolean;
  /** Connects and subscribes. Rejects if the broker cannot be reached at all. */
  start(handlers: ClusterHandlers): Promise<void>;
  close(): Promise<void>;

  /**
   * Claims `name` for this node, atomically across the cluster: of two nodes claiming at once,
   * exactly one wins. A claim left by a node that no longer holds the name is taken over.
   */
  claimName(name: string): Promise<ClaimOutcome>;
  /** Gives a claim back, only if it is still this node's (a newer owner keeps theirs). */
  releaseName(name: string): Promise<void>;

  publishPresence(message: PresenceMessage): boolean;
  /** Hands a room message to the broker; recipients it then fails to reach come back as undelivered(). */
  publishRoom(relay: RoomRelay): boolean;
  /** Hands a DM to `node`, the node holding its recipient. */
  sendDirect(node: string, relay: Omit<DirectRelay, 'n'>): Promise<HandOff>;
  /**
   * Delivery news for a sender on `node` (at most once, like every core-NATS message: a lost
   * batch leaves those senders with "sent", never with a wrong state). False while the link is down.
   */
  sendReceipt(node: string, relay: ReceiptRelay): boolean;
  /**
   * The cluster-wide store for registrations and messages waiting for away users (protocol v4),
   * shared by every node; absent on a bus that has none (the in-memory one in specs).
   */
  openStore?(): Promise<SharedKeyValue>;
  /** The cluster's files (a bucket every node reads); absent on a bus that has none. */
  openFiles?(): Promise<FileBucket>;
  /** Watching together across nodes; absent on a bus without it (then streams stay per node). */
  readonly watch?: WatchChannel;
}

export type { SharedKeyValue };

/** What the watch channel calls back into; everything it receives has been decoded and validated first. */
export interface WatchHandlers {
  announced(announcement: WatchAnnouncement): void;
  requested(request: WatchRequest): void;
  viewerMessage(message: WatchViewerMessage): void;
  frames(frames: WatchFrames): void;
}

/**
 * Watching together across nodes (watch-wire.ts says what each message is). Like the rest of the
 * bus, at most once and never buffered while the broker is away: a lost frame is a dropped frame.
 */
export interface WatchChannel {
  listen(handlers: WatchHandlers): void;
  /** To every other node. */
  announce(announcement: WatchAnnouncement): boolean;
  /** To the node running the stream. */
  request(host: string, request: WatchRequest): boolean;
  /** To the node of one viewer. */
  toViewer(node: string, message: WatchViewerMessage): boolean;
  /** One frame to every node that follows the stream: the broker copies it once per node. */
  publishFrames(frames: WatchFrames): boolean;
  /** Start or stop receiving the frames of `host`'s stream `stream`. */
  follow(host: string, stream: number, following: boolean): void;
}
