// What a ChatClient reports beyond its session's events (its link's state, a rename, the offline
// queue), and how it is set up. The TUI reads these; a module of its own so views need not load
// the client to name them.
import type { ChatSessionOptions } from './chat-session.js';
import type { KnownPeers } from './known-peers.js';
import type { QueueReason } from './outgoing-queue.js';
import type { SessionEvents } from './session-events.js';
import type { ClientState } from './state/client-state.js';

export type LinkState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface ClientEvents extends SessionEvents {
  state: {
    readonly state: LinkState;
    readonly reason?: string;
    readonly retryInMs?: number;
    /** Offline: the error code of the failed attempt (SERVER_KEY_CHANGED: a certificate other than the pinned one). */
    readonly code?: string;
    /**
     * Offline: whether the server was ever reached (now, or in an earlier run with this state). Only
     * then is what the user sends queued; a server never reached promises nothing.
     */
    readonly reached?: boolean;
  };
  renamed: { readonly wanted: string; readonly got: string };
  /**
   * A message waits, kept on disk: for a connection ('connection'), or on a big server for the
   * recipient, not listed yet, to be looked up ('lookup', a round trip).
   */
  queued: { readonly id: string; readonly to: string | null; readonly text: string; readonly queueLength: number; readonly waitingFor: QueueReason };
  /** Messages queued while offline were handed to the new connection (failures come as errors). */
  flushed: { readonly count: number };
}

export interface BackoffOptions {
  /** First retry delay. Default 500 ms. */
  readonly initialMs?: number;
  /** Longest delay between attempts. Default 30 s. */
  readonly maxMs?: number;
}

export interface ChatClientOptions extends Omit<ChatSessionOptions, 'knownPeers'> {
  readonly knownPeers?: KnownPeers;
  readonly backoff?: BackoffOptions;
  /** Most messages held while offline. Default 100; more are refused with an error. */
  readonly maxQueued?: number;
  /**
   * More servers of the same cluster, tried in turn after `host:port` when a connection is lost or
   * refused (a node restarting sends its users to the next). Default: only `host:port`.
   */
  readonly alternates?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Sessions, outbox and history, kept across reconnects and restarts (default: in memory only). */
  readonly state?: ClientState;
}

/** The session events a client passes on to its views as they come. */
export const FORWARDED_EVENTS = [
  'ready',
  'peers',
  'join',
  'leave',
  'away',
  'message',
  'sent',
  'delivery',
  'key-changed',
  'room-change',
  'rooms',
  'watch',
  'error',
  'cluster',
  'videos',
  'poster',
  'stream-start',
  'stream-status',
  'stream-end',
  'video-frame',
] as const;
