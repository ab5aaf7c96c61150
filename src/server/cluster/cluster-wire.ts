// What nodes say to each other through the broker, and the decoding of it. The broker is shared
// infrastructure, so everything read from it is validated like client input: a malformed message
// is dropped and logged, never trusted and never fatal.
//
// Nothing here carries plaintext: room and direct relays carry the sender's sealed envelope as it
// arrived, presence carries what every client is shown anyway (names, public keys, signed prekeys).
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  MAX_NAME_CHARS,
  MAX_RSA_BLOCK_CHARS,
  type Json,
  base64,
  base64url,
  boolean,
  envelope,
  integer,
  invalid,
  nameList,
  object,
  peer,
  peerList,
  string,
  unknownType,
} from '../../core/field-readers.js';
import type { Envelope, PeerSummary } from '../../core/messages.js';
import { isValidName } from '../../core/names.js';

/** Node ids are subject tokens: random hex made at start-up (see nats-bus.ts). */
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

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

/** A room message, published once (in a batch); each node delivers its own group of recipients. */
export interface RoomRelay {
  readonly node: string;
  readonly from: string;
  readonly envelope: Envelope;
  /** node id -> (recipient name -> '', a field from before sender keys; the node-to-node wire keeps it). */
  readonly recipients: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * A DM, sent (in a binary batch, encodeDirectBatch) to the node holding the recipient, which
 * answers with a DirectReceipt. The envelope travels as the JSON text the sending node serialized
 * once after validating it at the edge: the receiving node splices it into the delivery frame
 * without parsing it (the recipient's client validates every frame it reads).
 */
export interface DirectRelay {
  readonly node: string;
  /** The sending node's number for this hand-off, named in the receipt if it fails. */
  readonly n: number;
  readonly from: string;
  readonly to: string;
  readonly envelopeJson: string;
}

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
  | HoldsQuery
  | HoldsAnswer
  | NameClaimRecord;

export function encodeBusMessage(message: BusMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

// ---- DM batches: binary ------------------------------------------------------------------------
//
//   'D' 1 | u8 node length, node | u32 count | count x (u32 n, u8 from length, from, u8 to length,
//   to, u32 envelope length, envelope JSON)            (integers big-endian, text UTF-8)
//
// No JSON around the relays: nothing is escaped or parsed twice, and the envelope's bytes are
// copied, not re-encoded. Names and the node id are checked on arrival (they index the node's own
// tables); the envelope was checked by the node its sender is connected to.

const DIRECT_BATCH_MAGIC = 0x44;
const DIRECT_BATCH_VERSION = 1;
/** An envelope larger than any frame a client may send cannot be in a batch (64 KiB control frames). */
export const MAX_RELAYED_ENVELOPE_BYTES = 1 << 20;

export function encodeDirectBatch(node: string, relays: readonly Omit<DirectRelay, 'node'>[]): Uint8Array {
  // Sizes first, then one buffer written in place: each text is encoded once, straight into it.
  let size = 2 + 1 + Buffer.byteLength(node) + 4;
  for (const relay of relays) size += 4 + 1 + Buffer.byteLength(relay.from) + 1 + Buffer.byteLength(relay.to) + 4 + Buffer.byteLength(relay.envelopeJson);
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(DIRECT_BATCH_MAGIC, 0);
  at = out.writeUInt8(DIRECT_BATCH_VERSION, at);
  const shortText = (text: string) => {
    const length = out.write(text, at + 1);
    out.writeUInt8(length, at);
    at += 1 + length;
  };
  shortText(node);
  at = out.writeUInt32BE(relays.length, at);
  for (const relay of relays) {
    at = out.writeUInt32BE(relay.n, at);
    shortText(relay.from);
    shortText(relay.to);
    const length = out.write(relay.envelopeJson, at + 4);
    out.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return out;
}

/** Reads a DM batch; a malformed batch throws (the whole of it is dropped and logged). */
export function decodeDirectBatch(data: Uint8Array): { relays: DirectRelay[]; rejected: number } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const need = (count: number) => {
    if (at + count > bytes.length) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'DM batch: truncated');
  };
  const text = (length: number) => {
    need(length);
    const value = bytes.toString('utf8', at, at + length);
    at += length;
    return value;
  };
  need(3);
  if (bytes[0] !== DIRECT_BATCH_MAGIC || bytes[1] !== DIRECT_BATCH_VERSION) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'DM batch: not a DM batch');
  at = 2;
  const node = text(bytes.readUInt8(at++));
  if (!NODE_ID.test(node)) throw invalid('node', 'must be a node id');
  need(4);
  const count = bytes.readUInt32BE(at);
  at += 4;
  const relays: DirectRelay[] = [];
  let rejected = 0;
  for (let i = 0; i < count; i++) {
    need(5);
    const n = bytes.readUInt32BE(at);
    at += 4;
    const from = text(bytes.readUInt8(at++));
    need(1);
    const to = text(bytes.readUInt8(at++));
    need(4);
    const length = bytes.readUInt32BE(at);
    at += 4;
    if (length > MAX_RELAYED_ENVELOPE_BYTES) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'DM batch: envelope too large');
    const envelopeJson = text(length);
    // One bad relay is dropped (and counted); the framing around it is intact, so the rest go on.
    if (!isValidName(from) || !isValidName(to) || envelopeJson[0] !== '{' || envelopeJson[envelopeJson.length - 1] !== '}') rejected++;
    else relays.push({ node, n, from, to, envelopeJson });
  }
  if (at !== bytes.length) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'DM batch: bytes after the last relay');
  return { relays, rejected };
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
export function decodeRelayBatch<T>(data: Uint8Array, readRelay: (value: unknown) => T): { readonly relays: T[]; readonly rejected: number } {
  const list = parse(data)['relays'];
  if (!Array.isArray(list)) throw invalid('relays', 'must be a list');
  const relays: T[] = [];
  let rejected = 0;
  for (const item of list) {
    try {
      relays.push(readRelay(item));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      rejected++;
    }
  }
  return { relays, rejected };
}

export function readRoomRelay(value: unknown): RoomRelay {
  const obj = object(value, 'relay');
  const groups = object(obj['recipients'], 'recipients');
  const recipients: Record<string, Record<string, string>> = Object.create(null);
  for (const [node, group] of Object.entries(groups)) {
    if (!NODE_ID.test(node)) throw invalid('recipients', 'has a bad node id');
    const keys = object(group, `recipients.${node}`);
    const table: Record<string, string> = Object.create(null);
    for (const name of Object.keys(keys)) {
      if (name.length > MAX_NAME_CHARS) throw invalid('recipients', 'has a name that is too long');
      table[name] = base64(keys, name, MAX_RSA_BLOCK_CHARS);
    }
    recipients[node] = table;
  }
  return { node: nodeId(obj, 'node'), from: peerName(obj, 'from'), envelope: envelope(obj['envelope']), recipients };
}

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
