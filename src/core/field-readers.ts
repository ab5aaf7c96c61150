// Readers for untrusted JSON: each checks one field's type and bounds and throws a ProtocolError
// naming the field. The client protocol (message-codec.ts) and the cluster wire
// (server/cluster/cluster-wire.ts) both decode with them, so a bound is written once.
import { type BatchProof, MAX_BATCH_LEAVES } from './batch-signature.js';
import { ErrorCode, ProtocolError } from './errors.js';
import type { RatchetHeader } from './double-ratchet.js';
import type { SessionInit } from './double-ratchet.js';
import type { SenderKeyHeader } from './sender-key.js';
import { type Envelope, MAX_AWAY_CHARS, type OneTimePrekey, type PeerSummary } from './messages.js';
import { isValidName } from './names.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** A 16 KiB RSA key's SPKI is ~2.1 KB of base64; anything longer is not a key we will use. */
export const MAX_PUBLIC_KEY_CHARS = 4096;
/** A signature is one RSA block: 512 bytes for RSA-4096, 684 base64 chars. */
export const MAX_RSA_BLOCK_CHARS = 1400;
/** Names are at most 32 chars (see names.ts); field bounds here only keep garbage out cheaply. */
export const MAX_NAME_CHARS = 64;
/** A raw X25519 public key is 32 bytes: 44 base64 characters. */
export const MAX_PREKEY_CHARS = 64;
/** One-time prekey ids: short random base64url made by their owner. */
export const MAX_ONE_TIME_PREKEY_ID_CHARS = 16;
/** Longest free text in a message from the server (an error, a status, a reason). */
export const MAX_TEXT_CHARS = 1024;

export type Json = Record<string, unknown>;

export function parseObject(body: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new ProtocolError(ErrorCode.INVALID_JSON, 'control frame is not valid JSON', { cause });
  }
  return object(value, 'message');
}

export function unknownType(type: unknown): ProtocolError {
  const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : typeof type;
  return new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, `unknown message type ${shown}`);
}

export function invalid(field: string, why: string): ProtocolError {
  return new ProtocolError(ErrorCode.INVALID_MESSAGE, `field "${field}" ${why}`);
}

export function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be an object');
  return value as Json;
}

export function string(obj: Json, field: string, maxChars: number): string {
  const value = obj[field];
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (value.length > maxChars) throw invalid(field, `is longer than ${maxChars} characters`);
  return value;
}

export function nullableString(obj: Json, field: string, maxChars: number): string | null {
  return obj[field] === null ? null : string(obj, field, maxChars);
}

export function base64(obj: Json, field: string, maxChars: number): string {
  const value = string(obj, field, maxChars);
  if (!BASE64.test(value)) throw invalid(field, 'must be base64');
  return value;
}

export function base64url(obj: Json, field: string, maxChars: number): string {
  const value = string(obj, field, maxChars);
  if (!BASE64URL.test(value) || value.length === 0) throw invalid(field, 'must be base64url');
  return value;
}

export function integer(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'must be a non-negative integer');
  }
  return value;
}

export function signedInteger(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(field, 'must be an integer');
  return value;
}

export function number(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(field, 'must be a non-negative number');
  return value;
}

export function boolean(obj: Json, field: string): boolean {
  const value = obj[field];
  if (typeof value !== 'boolean') throw invalid(field, 'must be true or false');
  return value;
}

export function envelope(value: unknown): Envelope {
  const obj = object(value, 'envelope');
  const ratchet = obj['ratchet'];
  return {
    id: base64url(obj, 'id', 64),
    ts: integer(obj, 'ts'),
    chain: base64url(obj, 'chain', 32),
    seq: integer(obj, 'seq'),
    ...(ratchet === undefined ? {} : { ratchet: ratchetHeader(ratchet) }),
    ...(obj['senderKey'] === undefined ? {} : { senderKey: senderKeyHeader(obj['senderKey']) }),
    iv: base64(obj, 'iv', 32),
    // The frame limit bounds the ciphertext; no second, smaller limit is useful here.
    ct: base64(obj, 'ct', Number.MAX_SAFE_INTEGER),
    sig: base64(obj, 'sig', MAX_RSA_BLOCK_CHARS),
    ...(obj['batch'] === undefined ? {} : { batch: batchProof(obj['batch']) }),
  };
}

/** A batch of MAX_BATCH_LEAVES has paths of at most this many hashes. */
const MAX_BATCH_PATH = Math.ceil(Math.log2(MAX_BATCH_LEAVES));
/** A SHA-256 hash in base64. */
const HASH_CHARS = 44;

function batchProof(value: unknown): BatchProof {
  const obj = object(value, 'batch');
  const i = integer(obj, 'i');
  const n = integer(obj, 'n');
  if (n < 2 || n > MAX_BATCH_LEAVES || i >= n) throw invalid('batch', `must be a place in a batch of 2 to ${MAX_BATCH_LEAVES}`);
  const path = obj['path'];
  if (!Array.isArray(path) || path.length > MAX_BATCH_PATH) throw invalid('batch.path', `must be a list of at most ${MAX_BATCH_PATH} hashes`);
  return { i, n, path: path.map((_, k) => base64(path as unknown as Json, String(k), HASH_CHARS)) };
}

export function ratchetHeader(value: unknown): RatchetHeader {
  const obj = object(value, 'ratchet');
  return {
    sid: base64(obj, 'sid', MAX_PREKEY_CHARS),
    ...(obj['init'] === undefined ? {} : { init: sessionInit(obj['init']) }),
    dh: base64(obj, 'dh', MAX_PREKEY_CHARS),
    pn: integer(obj, 'pn'),
    n: integer(obj, 'n'),
  };
}

function sessionInit(value: unknown): SessionInit {
  const obj = object(value, 'init');
  return {
    spk: base64(obj, 'spk', MAX_PREKEY_CHARS),
    to: base64(obj, 'to', MAX_PREKEY_CHARS),
    ...(obj['opk'] === undefined ? {} : { opk: base64url(obj, 'opk', MAX_ONE_TIME_PREKEY_ID_CHARS) }),
  };
}

export function oneTimePrekey(value: unknown): OneTimePrekey {
  const obj = object(value, 'oneTimePrekey');
  const key = base64(obj, 'key', MAX_PREKEY_CHARS);
  if (Buffer.from(key, 'base64').length !== 32) throw invalid('oneTimePrekey.key', 'must be 32 bytes');
  return { id: base64url(obj, 'id', MAX_ONE_TIME_PREKEY_ID_CHARS), key };
}

export function senderKeyHeader(value: unknown): SenderKeyHeader {
  const obj = object(value, 'senderKey');
  return { id: base64url(obj, 'id', 32), n: integer(obj, 'n') };
}

export function peer(value: unknown): PeerSummary {
  const obj = object(value, 'peer');
  return {
    name: string(obj, 'name', MAX_NAME_CHARS),
    ...(obj['publicKey'] === undefined ? {} : { publicKey: base64(obj, 'publicKey', MAX_PUBLIC_KEY_CHARS) }),
    ...(obj['prekey'] === undefined ? {} : { prekey: base64(obj, 'prekey', MAX_PREKEY_CHARS) }),
    ...(obj['prekeySig'] === undefined ? {} : { prekeySig: base64(obj, 'prekeySig', MAX_RSA_BLOCK_CHARS) }),
    ...(obj['keyId'] === undefined ? {} : { keyId: base64url(obj, 'keyId', 32) }),
    ...(obj['oneTimePrekey'] === undefined ? {} : { oneTimePrekey: oneTimePrekey(obj['oneTimePrekey']) }),
    fingerprint: string(obj, 'fingerprint', 64),
    joinedAt: integer(obj, 'joinedAt'),
    ...(obj['online'] === undefined ? {} : { online: boolean(obj, 'online') }),
    ...(obj['away'] === undefined ? {} : { away: string(obj, 'away', MAX_AWAY_CHARS) }),
  };
}

export function peerList(value: unknown): PeerSummary[] {
  if (!Array.isArray(value)) throw invalid('peers', 'must be a list');
  return value.map(peer);
}

/** A list of peer names, each one a valid name: nothing in them can reach a terminal unclean. */
export function nameList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list');
  return value.map((name: unknown, i) => {
    const text = string({ [`${field}[${i}]`]: name }, `${field}[${i}]`, MAX_NAME_CHARS);
    if (!isValidName(text)) throw invalid(`${field}[${i}]`, 'must be a valid name');
    return text;
  });
}

/** An error code: capital letters, digits and underscores, as ErrorCode's are. */
export function errorCode(obj: Json, field: string, maxChars: number): string {
  const text = string(obj, field, maxChars);
  if (!/^[A-Z][A-Z0-9_]*$/.test(text)) throw invalid(field, 'must be capital letters, digits and underscores');
  return text;
}
