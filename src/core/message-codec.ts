// CONTROL frame bodies <-> typed messages. Decoding validates every field a peer controls, so code
// past this point can trust shapes and bounds (not content: names may still be taken, keys wrong).
import { ErrorCode, ProtocolError } from './errors.js';
import { encodeJsonFrame } from './frame-encoder.js';
import { FrameType } from './frame-types.js';
import type { RatchetHeader } from './double-ratchet.js';
import type { SenderKeyHeader } from './sender-key.js';
import type { ClientMessage, Envelope, PeerSummary, ServerMessage } from './messages.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** A 16 KiB RSA key's SPKI is ~2.1 KB of base64; anything longer is not a key we will use. */
const MAX_PUBLIC_KEY_CHARS = 4096;
/** Signatures and wrapped keys are one RSA block: 512 bytes for RSA-4096, 684 base64 chars. */
const MAX_RSA_BLOCK_CHARS = 1400;
/** Names are at most 32 chars (see names.ts); field bounds here only keep garbage out cheaply. */
const MAX_NAME_CHARS = 64;
/** A raw X25519 public key is 32 bytes: 44 base64 characters. */
const MAX_PREKEY_CHARS = 64;
const MAX_CODE_CHARS = 64;
const MAX_TEXT_CHARS = 1024;
const MAX_VIDEO_NAME_CHARS = 255;
/** Largest video box a client may ask for, per side, in pixels (a 4K terminal at 1 px per cell is ~1000). */
const MAX_VIDEO_DIMENSION = 2048;
/** A poster is at most 160x96 pixels; its JPEG is a few KB. */
const MAX_POSTER_CHARS = 128 * 1024;

type Json = Record<string, unknown>;

export function encodeMessage(message: ClientMessage | ServerMessage): Buffer {
  return encodeJsonFrame(FrameType.CONTROL, message);
}

export function decodeClientMessage(body: Buffer): ClientMessage {
  const obj = parseObject(body);
  switch (obj['type']) {
    case 'hello':
      return {
        type: 'hello',
        version: integer(obj, 'version'),
        name: string(obj, 'name', MAX_NAME_CHARS),
        publicKey: base64(obj, 'publicKey', MAX_PUBLIC_KEY_CHARS),
        prekey: base64(obj, 'prekey', MAX_PREKEY_CHARS),
        prekeySig: base64(obj, 'prekeySig', MAX_RSA_BLOCK_CHARS),
      };
    case 'auth':
      return { type: 'auth', signature: base64(obj, 'signature', MAX_RSA_BLOCK_CHARS) };
    case 'send':
      return {
        type: 'send',
        to: nullableString(obj, 'to', MAX_NAME_CHARS),
        envelope: envelope(obj['envelope']),
        keys: keyTable(obj['keys']),
      };
    case 'ping':
      return { type: 'ping', nonce: integer(obj, 'nonce') };
    case 'bye':
      return { type: 'bye' };
    case 'list-videos':
      return { type: 'list-videos' };
    case 'poster':
      return { type: 'poster', name: string(obj, 'name', MAX_VIDEO_NAME_CHARS), width: dimension(obj, 'width'), height: dimension(obj, 'height') };
    case 'play':
      return { type: 'play', name: string(obj, 'name', MAX_VIDEO_NAME_CHARS), width: dimension(obj, 'width'), height: dimension(obj, 'height') };
    case 'stop-video':
      return { type: 'stop-video', stream: integer(obj, 'stream') };
    case 'pause-video':
      return { type: 'pause-video', stream: integer(obj, 'stream'), paused: boolean(obj, 'paused') };
    case 'seek-video':
      return { type: 'seek-video', stream: integer(obj, 'stream'), deltaMs: signedInteger(obj, 'deltaMs') };
    case 'resize-video':
      return { type: 'resize-video', stream: integer(obj, 'stream'), width: dimension(obj, 'width'), height: dimension(obj, 'height') };
    default:
      throw unknownType(obj['type']);
  }
}

export function decodeServerMessage(body: Buffer): ServerMessage {
  const obj = parseObject(body);
  switch (obj['type']) {
    case 'challenge':
      return { type: 'challenge', nonce: base64(obj, 'nonce', 128) };
    case 'welcome': {
      const limits = object(obj['limits'], 'limits');
      return {
        type: 'welcome',
        name: string(obj, 'name', MAX_NAME_CHARS),
        peers: peerList(obj['peers']),
        limits: {
          maxControlFrameBytes: integer(limits, 'maxControlFrameBytes'),
          maxMediaFrameBytes: integer(limits, 'maxMediaFrameBytes'),
        },
      };
    }
    case 'peers':
      return { type: 'peers', peers: peerList(obj['peers']) };
    case 'join':
      return { type: 'join', peer: peer(obj['peer']) };
    case 'leave':
      return { type: 'leave', name: string(obj, 'name', MAX_NAME_CHARS) };
    case 'message':
      return {
        type: 'message',
        from: string(obj, 'from', MAX_NAME_CHARS),
        to: nullableString(obj, 'to', MAX_NAME_CHARS),
        envelope: envelope(obj['envelope']),
        key: base64(obj, 'key', MAX_RSA_BLOCK_CHARS),
      };
    case 'ack':
      return {
        type: 'ack',
        id: base64url(obj, 'id', 64),
        delivered: integer(obj, 'delivered'),
        missing: nameList(obj['missing'], 'missing'),
        unkeyed: nameList(obj['unkeyed'], 'unkeyed'),
      };
    case 'error': {
      const ref = obj['ref'];
      return {
        type: 'error',
        code: string(obj, 'code', MAX_CODE_CHARS),
        message: string(obj, 'message', MAX_TEXT_CHARS),
        fatal: boolean(obj, 'fatal'),
        ...(ref === undefined ? {} : { ref: base64url(obj, 'ref', 64) }),
      };
    }
    case 'pong':
      return { type: 'pong', nonce: integer(obj, 'nonce') };
    case 'shutdown':
      return { type: 'shutdown', reason: string(obj, 'reason', MAX_TEXT_CHARS) };
    case 'poster':
      return { type: 'poster', name: string(obj, 'name', MAX_VIDEO_NAME_CHARS), jpeg: base64(obj, 'jpeg', MAX_POSTER_CHARS) };
    case 'videos': {
      const list = obj['videos'];
      if (!Array.isArray(list)) throw invalid('videos', 'must be a list');
      return {
        type: 'videos',
        videos: list.map((item: unknown) => {
          const video = object(item, 'video');
          return {
            name: string(video, 'name', MAX_VIDEO_NAME_CHARS),
            durationMs: integer(video, 'durationMs'),
            width: integer(video, 'width'),
            height: integer(video, 'height'),
            fps: number(video, 'fps'),
            bytes: integer(video, 'bytes'),
          };
        }),
      };
    }
    case 'stream-start':
      return {
        type: 'stream-start',
        stream: integer(obj, 'stream'),
        name: string(obj, 'name', MAX_VIDEO_NAME_CHARS),
        width: integer(obj, 'width'),
        height: integer(obj, 'height'),
        fps: number(obj, 'fps'),
        durationMs: integer(obj, 'durationMs'),
      };
    case 'stream-status':
      return {
        type: 'stream-status',
        stream: integer(obj, 'stream'),
        positionMs: integer(obj, 'positionMs'),
        paused: boolean(obj, 'paused'),
        sent: integer(obj, 'sent'),
        dropped: integer(obj, 'dropped'),
      };
    case 'stream-end': {
      const reason = obj['reason'];
      if (reason !== 'finished' && reason !== 'stopped' && reason !== 'error') throw invalid('reason', 'must be finished, stopped or error');
      return {
        type: 'stream-end',
        stream: integer(obj, 'stream'),
        reason,
        message: string(obj, 'message', MAX_TEXT_CHARS),
        sent: integer(obj, 'sent'),
        dropped: integer(obj, 'dropped'),
      };
    }
    default:
      throw unknownType(obj['type']);
  }
}

// ---- field readers: each throws a ProtocolError naming the field ------------------------------

function parseObject(body: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new ProtocolError(ErrorCode.INVALID_JSON, 'control frame is not valid JSON', { cause });
  }
  return object(value, 'message');
}

function unknownType(type: unknown): ProtocolError {
  const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : typeof type;
  return new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, `unknown message type ${shown}`);
}

function invalid(field: string, why: string): ProtocolError {
  return new ProtocolError(ErrorCode.INVALID_MESSAGE, `field "${field}" ${why}`);
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be an object');
  return value as Json;
}

function string(obj: Json, field: string, maxChars: number): string {
  const value = obj[field];
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (value.length > maxChars) throw invalid(field, `is longer than ${maxChars} characters`);
  return value;
}

function nullableString(obj: Json, field: string, maxChars: number): string | null {
  return obj[field] === null ? null : string(obj, field, maxChars);
}

function base64(obj: Json, field: string, maxChars: number): string {
  const value = string(obj, field, maxChars);
  if (!BASE64.test(value)) throw invalid(field, 'must be base64');
  return value;
}

function base64url(obj: Json, field: string, maxChars: number): string {
  const value = string(obj, field, maxChars);
  if (!BASE64URL.test(value) || value.length === 0) throw invalid(field, 'must be base64url');
  return value;
}

function integer(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'must be a non-negative integer');
  }
  return value;
}

function signedInteger(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(field, 'must be an integer');
  return value;
}

function number(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(field, 'must be a non-negative number');
  return value;
}

function dimension(obj: Json, field: string): number {
  const value = integer(obj, field);
  if (value < 2 || value > MAX_VIDEO_DIMENSION) throw invalid(field, `must be 2-${MAX_VIDEO_DIMENSION} pixels`);
  return value;
}

function boolean(obj: Json, field: string): boolean {
  const value = obj[field];
  if (typeof value !== 'boolean') throw invalid(field, 'must be true or false');
  return value;
}

function envelope(value: unknown): Envelope {
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
  };
}

function ratchetHeader(value: unknown): RatchetHeader {
  const obj = object(value, 'ratchet');
  return { dh: base64(obj, 'dh', MAX_PREKEY_CHARS), pn: integer(obj, 'pn'), n: integer(obj, 'n') };
}

function senderKeyHeader(value: unknown): SenderKeyHeader {
  const obj = object(value, 'senderKey');
  return { id: base64url(obj, 'id', 32), n: integer(obj, 'n') };
}

function keyTable(value: unknown): Record<string, string> {
  const obj = object(value, 'keys');
  const table: Record<string, string> = Object.create(null);
  for (const name of Object.keys(obj)) {
    if (name.length > MAX_NAME_CHARS) throw invalid('keys', 'has a recipient name that is too long');
    table[name] = base64(obj, name, MAX_RSA_BLOCK_CHARS);
  }
  return table;
}

function peer(value: unknown): PeerSummary {
  const obj = object(value, 'peer');
  return {
    name: string(obj, 'name', MAX_NAME_CHARS),
    publicKey: base64(obj, 'publicKey', MAX_PUBLIC_KEY_CHARS),
    prekey: base64(obj, 'prekey', MAX_PREKEY_CHARS),
    prekeySig: base64(obj, 'prekeySig', MAX_RSA_BLOCK_CHARS),
    fingerprint: string(obj, 'fingerprint', 64),
    joinedAt: integer(obj, 'joinedAt'),
  };
}

function peerList(value: unknown): PeerSummary[] {
  if (!Array.isArray(value)) throw invalid('peers', 'must be a list');
  return value.map(peer);
}

function nameList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list');
  return value.map((name: unknown, i) => string({ [`${field}[${i}]`]: name }, `${field}[${i}]`, MAX_NAME_CHARS));
}
