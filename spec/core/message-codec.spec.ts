import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, ProtocolError } from '../../src/core/errors.js';
import { FRAME_HEADER_BYTES } from '../../src/core/frame-types.js';
import { decodeClientMessage, decodeServerMessage, encodeDeliveryFrame, encodeMessage } from '../../src/core/message-codec.js';
import type { ClientMessage, ServerMessage } from '../../src/core/messages.js';

const ENVELOPE = { id: 'AAAAAAAAAAAAAAAAAAAAAA', ts: 1_700_000_000_000, chain: 'abc', seq: 3, iv: 'AAAAAAAAAAAAAAAA', ct: 'YWJj', sig: 'c2ln' };

const CLIENT_MESSAGES: ClientMessage[] = [
  { type: 'hello', version: 2, name: 'alice', publicKey: 'AAAA', prekey: 'AAAA', prekeySig: 'c2ln' },
  { type: 'auth', signature: 'c2ln' },
  { type: 'send', to: null, envelope: ENVELOPE },
  { type: 'send', to: 'bob', envelope: ENVELOPE },
  {
    type: 'send-batch',
    sends: [
      { type: 'send', to: 'bob', envelope: ENVELOPE },
      { type: 'send', to: 'carol', envelope: ENVELOPE },
    ],
  },
  {
    type: 'received-batch',
    received: [
      { type: 'received', ids: ['AAAAAAAAAAAAAAAAAAAAAA'], from: 'bob' },
      { type: 'received', ids: [], from: 'carol', discarded: ['AAAAAAAAAAAAAAAAAAAAAA'] },
    ],
  },
  { type: 'ping', nonce: 7 },
  { type: 'bye' },
];

const SERVER_MESSAGES: ServerMessage[] = [
  { type: 'challenge', nonce: 'bm9uY2U=' },
  {
    type: 'welcome',
    name: 'alice',
    peers: [{ name: 'alice', publicKey: 'AAAA', prekey: 'AAAA', prekeySig: 'c2ln', fingerprint: 'ab', joinedAt: 1 }],
    limits: { maxControlFrameBytes: 10, maxMediaFrameBytes: 20, maxBatchSends: 64, maxBatchReceived: 64 },
  },
  { type: 'join', peer: { name: 'bob', publicKey: 'AAAA', prekey: 'AAAA', prekeySig: 'c2ln', fingerprint: 'cd', joinedAt: 2 } },
  { type: 'message', from: 'bob', to: 'alice', envelope: { ...ENVELOPE, ratchet: { sid: 'BBBB', dh: 'AAAA', pn: 1, n: 2 } } },
  { type: 'leave', name: 'bob' },
  { type: 'message', from: 'bob', to: null, envelope: ENVELOPE, stored: true },
  { type: 'ack', id: 'abc', sent: ['bob'], stored: ['x'], refused: [{ name: 'eve', code: 'CHAT_ERR_STORE_FULL', reason: 'full' }] },
  {
    type: 'receipts',
    receipts: [
      { id: 'abc', name: 'x', state: 'delivered' },
      { id: 'abd', name: 'y', state: 'expired', reason: 'too old' },
    ],
  },
  { type: 'error', code: 'CHAT_ERR_NAME_TAKEN', message: 'taken', fatal: false },
  { type: 'error', code: 'CHAT_ERR_NO_SUCH_PEER', message: 'gone', fatal: false, ref: 'abc' },
  { type: 'pong', nonce: 7 },
  { type: 'shutdown', reason: 'bye' },
  { type: 'cluster', state: 'degraded', message: 'lost the rest of the cluster' },
  { type: 'cluster', state: 'ok', message: 'back' },
];

function body(message: ClientMessage | ServerMessage): Buffer {
  return encodeMessage(message).subarray(FRAME_HEADER_BYTES);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe('delivery frames', () => {
  it('are what encodeMessage makes of the same message, live and stored, however the envelope was serialized', () => {
    const envelope = { id: 'm1', ts: 1, chain: 'c', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'Y3Q=', sig: 'c2ln' };
    for (const [to, stored] of [
      [null, false],
      ['#dev', true],
      ['bob "quoted"', false],
    ] as const) {
      const built = encodeDeliveryFrame('alice', to, JSON.stringify(envelope), stored);
      const expected: ServerMessage = { type: 'message', from: 'alice', to, envelope, ...(stored ? { stored: true } : {}) };
      assert.deepEqual(built, encodeMessage(expected));
    }
  });
});

describe('message codec', () => {
  for (const message of CLIENT_MESSAGES) {
    it(`round-trips the client message ${message.type}${'to' in message ? ` to ${message.to}` : ''}`, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(decodeClientMessage(body(message)))), message);
    });
  }
  for (const message of SERVER_MESSAGES) {
    it(`round-trips the server message ${message.type}`, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(decodeServerMessage(body(message)))), message);
    });
  }

  const BAD: ReadonlyArray<[string, Buffer, ErrorCode]> = [
    ['invalid JSON', Buffer.from('{"type":'), ErrorCode.INVALID_JSON],
    ['bytes that are not UTF-8 JSON', Buffer.from([0xff, 0xfe, 0x00]), ErrorCode.INVALID_JSON],
    ['a JSON array', json([1, 2]), ErrorCode.INVALID_MESSAGE],
    ['a JSON string', json('hello'), ErrorCode.INVALID_MESSAGE],
    ['null', json(null), ErrorCode.INVALID_MESSAGE],
    ['an unknown type', json({ type: 'launch-missiles' }), ErrorCode.UNKNOWN_MESSAGE],
    ['no type at all', json({ name: 'x' }), ErrorCode.UNKNOWN_MESSAGE],
    ['a hello without a name', json({ type: 'hello', version: 1, publicKey: 'AAAA' }), ErrorCode.INVALID_MESSAGE],
    ['a hello with a fractional version', json({ type: 'hello', version: 1.5, name: 'a', publicKey: 'AAAA' }), ErrorCode.INVALID_MESSAGE],
    ['a hello with a 10,000-character name', json({ type: 'hello', version: 1, name: 'a'.repeat(10_000), publicKey: 'AAAA' }), ErrorCode.INVALID_MESSAGE],
    ['a key that is not base64', json({ type: 'hello', version: 1, name: 'a', publicKey: '<script>' }), ErrorCode.INVALID_MESSAGE],
    ['a send without an envelope', json({ type: 'send', to: null }), ErrorCode.INVALID_MESSAGE],
    ['a send with a negative timestamp', json({ type: 'send', to: null, envelope: { ...ENVELOPE, ts: -1 } }), ErrorCode.INVALID_MESSAGE],
    ['a send whose only is not a list of names', json({ type: 'send', to: null, envelope: ENVELOPE, only: ['a b'] }), ErrorCode.INVALID_MESSAGE],
    ['a received with an id that is not base64url', json({ type: 'received', ids: ['a b'] }), ErrorCode.INVALID_MESSAGE],
    [
      'a batch holding a lobby line (fan-out for one message of flood control)',
      json({ type: 'send-batch', sends: [{ type: 'send', to: null, envelope: ENVELOPE }] }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['a batch holding a room line', json({ type: 'send-batch', sends: [{ type: 'send', to: '#dev', envelope: ENVELOPE }] }), ErrorCode.INVALID_MESSAGE],
    ['an empty batch', json({ type: 'send-batch', sends: [] }), ErrorCode.INVALID_MESSAGE],
    [
      'a batch of 65 DMs',
      json({ type: 'send-batch', sends: Array.from({ length: 65 }, () => ({ type: 'send', to: 'bob', envelope: ENVELOPE })) }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['an empty batch of confirmations', json({ type: 'received-batch', received: [] }), ErrorCode.INVALID_MESSAGE],
    [
      'a batch of 65 confirmations',
      json({ type: 'received-batch', received: Array.from({ length: 65 }, () => ({ type: 'received', ids: [] })) }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'a batch of confirmations holding a send (a line for one message of flood control)',
      json({ type: 'received-batch', received: [{ type: 'send', to: null, envelope: ENVELOPE }] }),
      ErrorCode.INVALID_MESSAGE,
    ],
  ];
  for (const [what, bytes, code] of BAD) {
    it(`rejects ${what} with ${code}`, () => {
      assert.throws(
        () => decodeClientMessage(bytes),
        (error: unknown) => error instanceof ProtocolError && error.code === code,
      );
    });
  }

  it('refuses a cluster status other than ok or degraded', () => {
    assert.throws(() => decodeServerMessage(json({ type: 'cluster', state: 'maybe', message: 'x' })), ProtocolError);
  });

  it('keeps a "__proto__" recipient as plain data, not as a prototype', () => {
    const message = decodeClientMessage(Buffer.from(`{"type":"send","to":null,"envelope":${JSON.stringify(ENVELOPE)},"only":["bob"],"__proto__":{"x":1}}`));
    assert.equal(message.type, 'send');
    if (message.type === 'send') assert.deepEqual(message.only, ['bob']);
  });

  it('throws only ProtocolError for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const decode of [decodeClientMessage, decodeServerMessage]) {
          try {
            decode(json(value));
          } catch (error) {
            assert.ok(error instanceof ProtocolError, String(error));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('throws only ProtocolError for arbitrary objects with a known type', () => {
    const types = [...CLIENT_MESSAGES, ...SERVER_MESSAGES].map((m) => m.type);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.dictionary(fc.string(), fc.jsonValue()), (type, fields) => {
        for (const decode of [decodeClientMessage, decodeServerMessage]) {
          try {
            decode(json({ ...fields, type }));
          } catch (error) {
            assert.ok(error instanceof ProtocolError, String(error));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
