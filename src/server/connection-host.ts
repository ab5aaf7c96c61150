// What a connection needs from the server around it (ConnectionHost), and what the server knows of
// a joined client: the seam between one socket's connection and the chat server. Types only.
import type { KeyRetirement } from '../core/key-retirement.js';
import type { FileChunk } from '../core/file-codec.js';
import type { Logger } from '../core/logger.js';
import type { PublicIdentity } from '../core/identity.js';
import type { ClientMessage, FileRequest, OneTimePrekey, PeerSummary, RoomRequest, SendMessage } from '../core/messages.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { BudgetCarryover } from './budget-carryover.js';
import type { ServerLimits } from './server-limits.js';

export type VideoRequest = Extract<ClientMessage, { type: 'list-videos' | 'poster' | 'play' | 'stop-video' | 'pause-video' | 'seek-video' | 'resize-video' }>;

/** What a connection needs from the server around it. */
/** `Connection`: the server's connection class (a parameter, so this seam imports no socket code). */
export interface ConnectionHost<Connection> {
  readonly limits: ServerLimits;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** What addresses and names had left of their flood control when their last connection closed. */
  readonly budgetCarryover: BudgetCarryover;
  /**
   * Throws InvalidNameError / NameTakenError. `fingerprint`: the joining key's; a name held here
   * by a connection of that same key is available (that connection is replaced once the key is proven).
   */
  checkNameAvailable(name: string, fingerprint?: string): void;
  /**
   * Throws NAME_TAKEN when the name is registered here to another key (protocol v4), unless
   * `retirement` is a valid statement from that key naming this one, or when a new name reads like
   * one online or registered; NAME_LIMIT when this key or `address` has its share of names.
   */
  checkRegistration(name: string, fingerprint: string, retirements: readonly KeyRetirement[], address: string): void;
  /**
   * Adds a fully authenticated client to the registry and announces it. Throws (or, clustered,
   * rejects with) NameTakenError, or another ChatError that ends the connection.
   */
  admit(connection: Connection): Promise<void> | void;
  route(connection: Connection, message: SendMessage): void;
  /** The keys of these users (protocol v4: presence carries none). */
  /** The keys of these users, each with a one-time prekey while they last (never the asker's own). */
  /** Resolves once any one-time prekeys in them are taken (on a cluster, a round trip to the broker). */
  /** `address`: the asker's, for the one-time prekey ration (OneTimePrekeyRation). */
  keyBundles(asker: string, names: readonly string[], address?: string): Promise<PeerSummary[]>;
  /** `follow`: this connection hears of these users' presence from now on; answered with `followed`. */
  follow(connection: Connection, names: readonly string[]): void;
  /** The member announced a new signed prekey (already checked): its bundle and presence change. */
  signedPrekeyChanged(connection: Connection, signed: { readonly prekey: string; readonly prekeySig: string }): void;
  /** The member's one-time prekeys, kept for whoever fetches its bundle. */
  addOneTimePrekeys(connection: Connection, keys: readonly OneTimePrekey[]): void;
  /** The member on this connection set (or, with '', cleared) their away message. */
  setAway(connection: Connection, message: string): void;
  /** The client kept these envelopes: the server may forget them and tell their senders. */
  /** `from`: the sender of every id (ids are each sender's own); undefined: any sender's. */
  received(
    connection: Connection,
    ids: readonly string[],
    unreadable: readonly string[],
    from?: string,
    held?: readonly string[],
    discarded?: readonly string[],
  ): void;
  /** Room requests; may finish later. A ChatError it rejects with is sent back, not fatal. */
  room(connection: Connection, request: RoomRequest): Promise<void>;
  /** Video requests; may finish later. A ChatError it throws or rejects with is sent back, not fatal. */
  video(connection: Connection, message: VideoRequest): Promise<void> | void;
  /** File requests and uploaded chunks (files/file-service.ts); a ChatError they throw is sent back, not fatal. */
  file(connection: Connection, message: FileRequest): Promise<void> | void;
  fileChunk(connection: Connection, chunk: FileChunk): Promise<void> | void;
  /** Called once per connection when its socket has closed, joined or not. */
  onClosed(connection: Connection): void;
}

/** What the server knows of a joined client (it relays the prekey; only peers use it). */
export interface JoinedClient {
  readonly name: string;
  readonly key: PublicIdentity;
  readonly prekey: string;
  readonly prekeySig: string;
  readonly joinedAt: number;
}
