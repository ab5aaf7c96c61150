// What a ChatSession is made with: where the server is, who we are, and the parts a caller may
// keep across sessions (state, engine, tracker, transfers) or give for tests.
import type { Duplex } from 'node:stream';
import type { Identity } from '../core/identity.js';
import type { KeyRetirement } from '../core/key-retirement.js';
import type { ReplayGuardOptions } from '../core/replay-guard.js';
import type { SenderKeyBudget } from '../core/sender-key-store.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import type { E2eEngine } from './e2e-engine.js';
import type { FileShelf } from './files/file-shelf.js';
import type { FileTransfers } from './files/file-transfers.js';
import type { KnownPeers } from './known-peers.js';
import type { ClientState } from './state/client-state.js';

export interface ChatSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly identity: Identity;
  /** TOFU store; default: in memory only. */
  readonly knownPeers?: KnownPeers;
  readonly replay?: ReplayGuardOptions;
  /**
   * Opens the byte stream to the server and resolves once it may carry our bytes (TCP connected;
   * for TLS, the certificate checked against its pin). Default plain TCP.
   */
  readonly openStream?: (host: string, port: number) => Promise<Duplex>;
  /**
   * How long a room message waits for a key asked of its sender: default KEY_REQUEST_WAIT_MS, and
   * OPEN_LOBBY_KEY_WAIT_MS for the lobby of a server that tells us only of whom we follow.
   */
  readonly keyWaitMs?: { readonly closed: number; readonly openLobby: number };
  /** On a big server, rooms up to this many members get their members' keys as we hear of them; default KEYS_ON_SIGHT_MAX_ROOM_MEMBERS. */
  readonly keysOnSightMaxRoomMembers?: number;
  /** Ping interval; default KEEPALIVE_INTERVAL_MS. */
  readonly keepaliveMs?: number;
  /** Time allowed from the opened connection to the welcome; default JOIN_TIMEOUT_MS. */
  readonly joinTimeoutMs?: number;
  /** Budget for other members' room sender keys; default DEFAULT_SENDER_KEY_BUDGET. */
  readonly senderKeyBudget?: SenderKeyBudget;
  /** What survives this connection (ChatClient keeps one for all of them); default: fresh, in memory. */
  readonly state?: ClientState;
  readonly engine?: E2eEngine;
  readonly tracker?: DeliveryTracker;
  /**
   * The statements by which our earlier keys retired, oldest first, ending at this one (after
   * `keys rotate`): the server moves our name to the new key.
   */
  readonly retirements?: readonly KeyRetirement[];
  /** Files sent and received (client/files/file-shelf.ts); default: kept for this run only. */
  readonly files?: FileShelf;
  /** Transfers that outlive this connection (ChatClient keeps one for all of them); default: this session's own. */
  readonly fileTransfers?: FileTransfers;
}
