// CONTROL frame bodies <-> typed messages. Decoding validates every field a peer controls, so code
// past this point can trust shapes and bounds (not content: names may still be taken, keys wrong).
import { encodeJsonFrame, encodeTextFrame } from './frame-encoder.js';
import { FrameType } from './frame-types.js';
import {
  type Census,
  type ClientMessage,
  MAX_AWAY_CHARS,
  MAX_BATCH_RECEIVED,
  MAX_BATCH_SENDS,
  type PresenceScope,
  MAX_KICK_REASON_CHARS,
  MAX_TOPIC_CHARS,
  type Receipt,
  type ReceivedMessage,
  type RoomEventKind,
  type SendMessage,
  type ServerMessage,
} from './messages.js';
import { isValidName } from './names.js';
import { ROOM_EVENT_KINDS, list, roomListing, roomName, roomView } from './room-codec.js';
import { MAX_ROOM_NAME_CHARS } from './room-names.js';
import { decodeVideoNews, decodeVideoRequest } from './video-codec.js';
import { decodeFileNews, decodeFileRequest } from './file-codec.js';
import {
  MAX_NAME_CHARS,
  MAX_PREKEY_CHARS,
  MAX_PUBLIC_KEY_CHARS,
  MAX_RSA_BLOCK_CHARS,
  MAX_TEXT_CHARS,
  type Json,
  base64,
  base64url,
  boolean,
  envelope,
  errorCode,
  integer,
  invalid,
  nameList,
  nullableString,
  object,
  oneTimePrekey,
  parseObject,
  peer,
  peerList,
  string,
  unknownType,
} from './field-readers.js';

const MAX_CODE_CHARS = 64;
/** Largest video box a client may ask for (see video-codec.ts). */
export { MAX_VIDEO_DIMENSION } from './video-codec.js';

export function encodeMessage(message: ClientMessage | ServerMessage): Buffer {
  return encodeJsonFrame(FrameType.CONTROL, message);
}

/**
 * The `message` frame a recipient is sent, around an envelope serialized once: shared by every
 * recipient of a room line, or as another node handed it on. The one builder of delivery frames
 * (live, relayed and `stored`); what it makes decodes as encodeMessage's `message` would.
 */
export function encodeDeliveryFrame(from: string, to: string | null, envelopeJson: string, stored = false): Buffer {
  return encodeTextFrame(
    FrameType.CONTROL,
    `{"type":"message","from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"envelope":${envelopeJson}${stored ? ',"stored":true' : ''}}`,
  );
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
        ...(obj['retirement'] === undefined ? {} : { retirement: retirement(obj['retirement']) }),
        ...(obj['retirements'] === undefined ? {} : { retirements: retirements(obj['retirements']) }),
      };
    case 'auth':
      return { type: 'auth', signature: base64(obj, 'signature', MAX_RSA_BLOCK_CHARS) };
    case 'send':
      return sendMessage(obj);
    case 'send-batch': {
      const sends = obj['sends'];
      if (!Array.isArray(sends) || sends.length === 0 || sends.length > MAX_BATCH_SENDS) throw invalid('sends', `must list 1 to ${MAX_BATCH_SENDS} DMs`);
      return {
        type: 'send-batch',
        sends: sends.map((entry) => {
          const send = sendMessage(object(entry, 'sends'));
          // DMs only: a room line in a batch would fan out to every member for one message of flood control.
          if (send.to === null || !isValidName(send.to)) throw invalid('sends', 'holds DMs only');
          return send;
        }),
      };
    }
    case 'keys':
      return { type: 'keys', names: boundedNameList(obj['names'], 'names', MAX_KEY_REQUEST) };
    case 'follow':
      return { type: 'follow', names: boundedNameList(obj['names'], 'names', MAX_KEY_REQUEST) };
    case 'room-join':
    case 'room-part':
      return { type: obj['type'], room: roomName(obj) };
    case 'room-topic':
      return { type: 'room-topic', room: roomName(obj), topic: string(obj, 'topic', MAX_TOPIC_CHARS) };
    case 'room-invite': {
      const [name] = nameList([obj['name']], 'name');
      return { type: 'room-invite', room: roomName(obj), name: name! };
    }
    case 'room-kick': {
      const [name] = nameList([obj['name']], 'name');
      const reason = obj['reason'] === undefined ? {} : { reason: string(obj, 'reason', MAX_KICK_REASON_CHARS) };
      return { type: 'room-kick', room: roomName(obj), name: name!, ...reason };
    }
    case 'room-mode':
      if (obj['inviteOnly'] === undefined && obj['membersControlVideo'] === undefined) throw invalid('inviteOnly', 'or membersControlVideo must be given');
      return {
        type: 'room-mode',
        room: roomName(obj),
        ...(obj['inviteOnly'] === undefined ? {} : { inviteOnly: boolean(obj, 'inviteOnly') }),
        ...(obj['membersControlVideo'] === undefined ? {} : { membersControlVideo: boolean(obj, 'membersControlVideo') }),
      };
    case 'list-rooms':
      return { type: 'list-rooms' };
    case 'away':
      return { type: 'away', message: string(obj, 'message', MAX_AWAY_CHARS) };
    case 'prekeys': {
      const list = obj['oneTime'];
      if (!Array.isArray(list) || list.length > MAX_ONE_TIME_PREKEYS_PER_MESSAGE)
        throw invalid('oneTime', `must be a list of at most ${MAX_ONE_TIME_PREKEYS_PER_MESSAGE} one-time prekeys`);
      const signed = obj['signed'] === undefined ? undefined : object(obj['signed'], 'signed');
      return {
        type: 'prekeys',
        oneTime: list.map(oneTimePrekey),
        ...(signed === undefined
          ? {}
          : { signed: { prekey: base64(signed, 'prekey', MAX_PREKEY_CHARS), prekeySig: base64(signed, 'prekeySig', MAX_RSA_BLOCK_CHARS) } }),
      };
    }
    case 'received':
      return receivedMessage(obj);
    case 'received-batch': {
      const list = obj['received'];
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_RECEIVED)
        throw invalid('received', `must list 1 to ${MAX_BATCH_RECEIVED} confirmations`);
      return {
        type: 'received-batch',
        received: list.map((entry) => {
          const each = object(entry, 'received');
          if (each['type'] !== 'received') throw invalid('received', 'holds `received` only');
          return receivedMessage(each);
        }),
      };
    }
    case 'ping':
      return { type: 'ping', nonce: integer(obj, 'nonce') };
    case 'bye':
      return { type: 'bye' };
    default:
      return decodeVideoRequest(obj) ?? decodeFileRequest(obj) ?? unknown(obj);
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
          ...(limits['maxBatchSends'] === undefined ? {} : { maxBatchSends: integer(limits, 'maxBatchSends') }),
          ...(limits['maxBatchReceived'] === undefined ? {} : { maxBatchReceived: integer(limits, 'maxBatchReceived') }),
        },
        ...(obj['oneTimePrekeys'] === undefined ? {} : { oneTimePrekeys: integer(obj, 'oneTimePrekeys') }),
        ...(obj['rooms'] === undefined ? {} : { rooms: list(obj['rooms'], 'rooms').map(roomView) }),
        ...(obj['presence'] === undefined ? {} : { presence: presenceScope(obj) }),
        ...(obj['census'] === undefined ? {} : { census: census(obj['census']) }),
      };
    }
    case 'room':
      return { type: 'room', room: roomView(obj['room']) };
    case 'room-event': {
      const kind = obj['kind'];
      if (typeof kind !== 'string' || !ROOM_EVENT_KINDS.has(kind)) throw invalid('kind', 'is not a room event');
      const [name] = nameList([obj['name']], 'name');
      const by = obj['by'] === undefined ? undefined : nameList([obj['by']], 'by')[0];
      return {
        type: 'room-event',
        room: roomName(obj),
        kind: kind as RoomEventKind,
        name: name!,
        ...(by === undefined ? {} : { by }),
        ...(obj['topic'] === undefined ? {} : { topic: string(obj, 'topic', MAX_TOPIC_CHARS) }),
        ...(obj['reason'] === undefined ? {} : { reason: string(obj, 'reason', MAX_KICK_REASON_CHARS) }),
        ...(obj['inviteOnly'] === undefined ? {} : { inviteOnly: boolean(obj, 'inviteOnly') }),
        ...(obj['membersControlVideo'] === undefined ? {} : { membersControlVideo: boolean(obj, 'membersControlVideo') }),
      };
    }
    case 'rooms':
      return { type: 'rooms', rooms: list(obj['rooms'], 'rooms').map(roomListing) };
    case 'prekey-pool':
      return { type: 'prekey-pool', oneTime: integer(obj, 'oneTime') };
    case 'peers':
      return { type: 'peers', peers: peerList(obj['peers']) };
    case 'join':
      return { type: 'join', peer: peer(obj['peer']) };
    case 'leave':
      return { type: 'leave', name: string(obj, 'name', MAX_NAME_CHARS) };
    case 'away':
      return { type: 'away', name: string(obj, 'name', MAX_NAME_CHARS), message: string(obj, 'message', MAX_AWAY_CHARS) };
    case 'message':
      return {
        type: 'message',
        from: string(obj, 'from', MAX_NAME_CHARS),
        to: nullableString(obj, 'to', MAX_ROOM_NAME_CHARS),
        envelope: envelope(obj['envelope']),
        ...(obj['stored'] === true ? { stored: true } : {}),
      };
    case 'ack':
      return {
        type: 'ack',
        id: base64url(obj, 'id', 64),
        sent: nameList(obj['sent'], 'sent'),
        stored: nameList(obj['stored'], 'stored'),
        refused: refusalList(obj['refused']),
      };
    case 'key-bundles':
      return { type: 'key-bundles', bundles: peerList(obj['bundles']) };
    case 'followed':
      return { type: 'followed', peers: peerList(obj['peers']), unknown: boundedNameList(obj['unknown'], 'unknown', MAX_KEY_REQUEST) };
    case 'receipts': {
      const list = obj['receipts'];
      if (!Array.isArray(list)) throw invalid('receipts', 'must be a list');
      return { type: 'receipts', receipts: list.map(receipt) };
    }
    case 'error': {
      const ref = obj['ref'];
      return {
        type: 'error',
        code: errorCode(obj, 'code', MAX_CODE_CHARS),
        message: string(obj, 'message', MAX_TEXT_CHARS),
        fatal: boolean(obj, 'fatal'),
        ...(ref === undefined ? {} : { ref: base64url(obj, 'ref', 64) }),
      };
    }
    case 'pong':
      return { type: 'pong', nonce: integer(obj, 'nonce') };
    case 'shutdown':
      return { type: 'shutdown', reason: string(obj, 'reason', MAX_TEXT_CHARS) };
    case 'cluster': {
      const state = obj['state'];
      if (state !== 'ok' && state !== 'degraded') throw invalid('state', 'must be ok or degraded');
      return { type: 'cluster', state, message: string(obj, 'message', MAX_TEXT_CHARS) };
    }
    default:
      return decodeVideoNews(obj) ?? decodeFileNews(obj) ?? unknown(obj);
  }
}

function unknown(obj: Json): never {
  throw unknownType(obj['type']);
}

// ---- readers only this protocol needs ----------------------------------------------------------

/** Most names in one `keys` request: a client asks in batches. */
export const MAX_KEY_REQUEST = 1000;
/** Most one-time prekeys in one `prekeys` message. */
export const MAX_ONE_TIME_PREKEYS_PER_MESSAGE = 100;
/** Most envelope ids in one `received`: a client receipts what it kept in one turn, in batches. */
export const MAX_RECEIPT_IDS = 1000;
/** Most names in a resend's `only`: a room's members who never gave a final word. */
const MAX_LISTED_NAMES = 10_000;
const RECEIPT_STATES = new Set(['delivered', 'stored', 'expired', 'refused', 'held', 'discarded']);

/** Most statements in a hello's chain of key retirements (each costs the server two RSA checks). */
export const MAX_RETIREMENT_CHAIN = 8;

function retirements(value: unknown): ReturnType<typeof retirement>[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RETIREMENT_CHAIN) {
    throw invalid('retirements', `must be a list of 1 to ${MAX_RETIREMENT_CHAIN} statements`);
  }
  return value.map(retirement);
}

function retirement(value: unknown): { version: 1; old: string; new: string; at: string; oldSignature: string; newSignature: string } {
  const obj = object(value, 'retirement');
  if (obj['version'] !== 1) throw invalid('retirement.version', 'must be 1');
  return {
    version: 1,
    old: base64(obj, 'old', MAX_PUBLIC_KEY_CHARS),
    new: base64(obj, 'new', MAX_PUBLIC_KEY_CHARS),
    at: string(obj, 'at', 40),
    oldSignature: base64(obj, 'oldSignature', MAX_RSA_BLOCK_CHARS),
    newSignature: base64(obj, 'newSignature', MAX_RSA_BLOCK_CHARS),
  };
}

function idList(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid('ids', 'must be a list');
  if (value.length > MAX_RECEIPT_IDS) throw invalid('ids', `has more than ${MAX_RECEIPT_IDS} ids`);
  return value.map((id: unknown) => base64url({ id }, 'id', 64));
}

function boundedNameList(value: unknown, field: string, max: number): string[] {
  if (Array.isArray(value) && value.length > max) throw invalid(field, `has more than ${max} names`);
  return nameList(value, field);
}

function refusalList(value: unknown): Array<{ name: string; code: string; reason: string }> {
  if (!Array.isArray(value)) throw invalid('refused', 'must be a list');
  return value.map((item: unknown) => {
    const obj = object(item, 'refused');
    const [name] = nameList([obj['name']], 'refused.name');
    return { name: name!, code: errorCode(obj, 'code', MAX_CODE_CHARS), reason: string(obj, 'reason', MAX_TEXT_CHARS) };
  });
}

/** One receipt, checked as a client checks it (also read from other nodes, cluster-wire.ts). */
export function receipt(item: unknown): Receipt {
  const obj = object(item, 'receipt');
  const state = obj['state'];
  if (typeof state !== 'string' || !RECEIPT_STATES.has(state)) throw invalid('state', 'must be delivered, stored, expired, refused, held or discarded');
  const [name] = nameList([obj['name']], 'receipt.name');
  return {
    id: base64url(obj, 'id', 64),
    name: name!,
    state: state as 'delivered',
    ...(obj['reason'] === undefined ? {} : { reason: string(obj, 'reason', MAX_TEXT_CHARS) }),
  };
}

function presenceScope(obj: Json): PresenceScope {
  const value = obj['presence'];
  if (value !== 'everyone' && value !== 'followed') throw invalid('presence', 'must be everyone or followed');
  return value;
}

function census(value: unknown): Census {
  const obj = object(value, 'census');
  return { online: integer(obj, 'online'), registered: integer(obj, 'registered') };
}

function receivedMessage(obj: Json): ReceivedMessage {
  return {
    type: 'received',
    ids: idList(obj['ids']),
    ...(obj['unreadable'] === undefined ? {} : { unreadable: idList(obj['unreadable']) }),
    ...(obj['from'] === undefined ? {} : { from: nameList([obj['from']], 'from')[0]! }),
    ...(obj['held'] === undefined ? {} : { held: idList(obj['held']) }),
    ...(obj['discarded'] === undefined ? {} : { discarded: idList(obj['discarded']) }),
  };
}

function sendMessage(obj: Json): SendMessage {
  return {
    type: 'send',
    to: nullableString(obj, 'to', MAX_ROOM_NAME_CHARS),
    envelope: envelope(obj['envelope']),
    ...(obj['only'] === undefined ? {} : { only: boundedNameList(obj['only'], 'only', MAX_LISTED_NAMES) }),
    ...(obj['except'] === undefined ? {} : { except: boundedNameList(obj['except'], 'except', MAX_LISTED_NAMES) }),
  };
}
