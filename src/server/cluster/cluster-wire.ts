// What nodes say to each other through the broker, and the decoding of it. The broker is shared
// infrastructure, so everything read from it is validated like client input: a malformed message
// is dropped and logged, never trusted and never fatal.
//
// Nothing here carries plaintext: room and direct relays carry the sender's sealed envelope as it
// arrived, presence carries what every client is shown anyway (names, public keys, signed prekeys).
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  MAX_NAME_CHARS,
  type Json,
  base64url,
  boolean,
  integer,
  invalid,
  nameList,
  object,
  peer,
  peerList,
  string,
  unknownType,
} from '../../core/field-readers.js';
import { receipt } from '../../core/message-codec.js';
import type { PeerSummary, Receipt } from '../../core/messages.js';
import { isValidName } from '../../core/names.js';

import { type DirectRelay, NODE_ID, type RoomRelay } from './relay-batches.js';

export * from './relay-batches.js';

/**
 * Membership, published by the node that holds the members. `version` counts that node's joins and
 * leaves; a receiver that sees a gap asks for a snapshot instead of trusting its own view.
 */
export type PresenceMessage =
  | { readonly kind: 'join'; readonly node: string; readonly version: number; readonly peer: PeerSummary }
  | { readonly kind: 'leave'; readonly node: string; readonly version: number; readonly name: string }
  | { readonly kind: 'heartbeat'; readonly node: string; readonly version: number }
  /** A node's whole membership at `version`, in parts; the receiver applies it at the final part. */
  | { readonly kind: 'snapshot'; readonly node: string; readonly version: number; readonly peers: readonly PeerSummary[]; readonly final: boolean }
  /** "Publish your snapshot": to every node from one that (re)joined, to `target` on a gap. */
  | { readonly kind: 'sync'; readonly node: string; readonly target?: string }
  /** A node shutting down cleanly: drop its members now rather than at the lease. */
  | { readonly kind: 'bye'; readonly node: string };

/** Relays published together: one broker message per destination per turn of the event loop. */
export interface RelayBatch<T> {
  readonly relays: readonly T[];
}

/** The answer to a batch of DMs: the hand-offs that did not reach their recipient. */
export interface DirectReceipt {
  readonly failed: readonly number[];
}

/** A node's answer to a room batch: per envelope, the recipients it no longer had. */
export interface RoomReceipt {
  readonly node: string;
  readonly missed: ReadonlyArray<{ readonly id: string; readonly names: readonly string[] }>;
}

/**
 * Delivery news for a sender on another node: what one of their messages came to here (the
 * recipient kept it, could not open it, or went away and it was stored). Sent in a batch per
 * destination node per turn of the event loop, like the relays.
 */
export interface ReceiptRelay {
  /** The sender the news is for. */
  readonly to: string;
  readonly receipt: Receipt;
}

export interface ReceiptBatch {
  readonly node: string;
  readonly receipts: readonly ReceiptRelay[];
}

export interface HoldsQuery {
  readonly name: string;
}
export interface HoldsAnswer {
  readonly holds: boolean;
}

/** A name claim's value in the claims bucket. */
export interface NameClaimRecord {
  readonly node: string;
}

export type BusMessage =
  | PresenceMessage
  | RelayBatch<RoomRelay>
  | RelayBatch<DirectRelay>
  | DirectReceipt
  | RoomReceipt
  | ReceiptBatch
  | HoldsQuery
  | HoldsAnswer
  | NameClaimRecord;

export function encodeBusMessage(message: BusMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

export function decodePresence(data: Uint8Array): PresenceMessage {
  const obj = parse(data);
  const node = nodeId(obj, 'node');
  switch (obj['kind']) {
    case 'join':
      return { kind: 'join', node, version: integer(obj, 'version'), peer: member(obj['peer']) };
    case 'leave':
      return { kind: 'leave', node, version: integer(obj, 'version'), name: peerName(obj, 'name') };
    case 'heartbeat':
      return { kind: 'heartbeat', node, version: integer(obj, 'version') };
    case 'snapshot':
      return { kind: 'snapshot', node, version: integer(obj, 'version'), peers: peerList(obj['peers']).map(member), final: boolean(obj, 'final') };
    case 'sync':
      return obj['target'] === undefined ? { kind: 'sync', node } : { kind: 'sync', node, target: nodeId(obj, 'target') };
    case 'bye':
      return { kind: 'bye', node };
    default:
      throw unknownType(obj['kind']);
  }
}

/**
 * A batch of relays. Each relay is checked on its own: a bad one is dropped and counted, and the
 * rest of the batch still arrives (a bad neighbour must not cost good messages).
 */
export function decodeDirectReceipt(data: Uint8Array): DirectReceipt {
  const failed = parse(data)['failed'];
  if (!Array.isArray(failed) || !failed.every((n) => Number.isSafeInteger(n) && n >= 0)) throw invalid('failed', 'must be a list of hand-off numbers');
  return { failed: failed as number[] };
}

export function decodeRoomReceipt(data: Uint8Array): RoomReceipt {
  const obj = parse(data);
  const missed = obj['missed'];
  if (!Array.isArray(missed)) throw invalid('missed', 'must be a list');
  return {
    node: nodeId(obj, 'node'),
    missed: missed.map((item: unknown) => {
      const entry = object(item, 'missed[]');
      return { id: base64url(entry, 'id', 64), names: nameList(entry['names'], 'names') };
    }),
  };
}

/** A batch of delivery news; each entry is checked on its own, and a bad one is dropped and counted. */
export function decodeReceiptBatch(data: Uint8Array): { batch: ReceiptBatch; rejected: number } {
  const obj = parse(data);
  const list = obj['receipts'];
  if (!Array.isArray(list)) throw invalid('receipts', 'must be a list');
  const receipts: ReceiptRelay[] = [];
  let rejected = 0;
  for (const item of list) {
    try {
      const entry = object(item, 'receipts[]');
      receipts.push({ to: peerName(entry, 'to'), receipt: receipt(entry['receipt']) });
    } catch {
      rejected++;
    }
  }
  return { batch: { node: nodeId(obj, 'node'), receipts }, rejected };
}

export function decodeHoldsQuery(data: Uint8Array): HoldsQuery {
  return { name: string(parse(data), 'name', MAX_NAME_CHARS) };
}

export function decodeHoldsAnswer(data: Uint8Array): HoldsAnswer {
  return { holds: boolean(parse(data), 'holds') };
}

export function decodeNameClaim(data: Uint8Array): NameClaimRecord {
  return { node: nodeId(parse(data), 'node') };
}

function parse(data: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (cause) {
    throw new ProtocolError(ErrorCode.INVALID_JSON, 'cluster message is not valid JSON', { cause });
  }
  return object(value, 'message');
}

/** A name as users may hold it (names.ts): no node passes on what no client could have joined as. */
function peerName(obj: Json, field: string): string {
  const value = string(obj, field, MAX_NAME_CHARS);
  if (!isValidName(value)) throw invalid(field, 'is not a valid name');
  return value;
}

function member(value: unknown): PeerSummary {
  const summary = peer(value);
  if (!isValidName(summary.name)) throw invalid('peer.name', 'is not a valid name');
  return summary;
}

function nodeId(obj: Json, field: string): string {
  const value = string(obj, field, 64);
  if (!NODE_ID.test(value)) throw invalid(field, 'must be a node id');
  return value;
}
