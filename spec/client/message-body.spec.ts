import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBody } from '../../src/client/message-body.js';
import { ErrorCode } from '../../src/core/errors.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const file = { id: 'AbCdEfGhIjKlMnOpQrStUg', name: 'a.txt', size: 3, sha256: 'b'.repeat(64), key: `${'C'.repeat(43)}=` };

describe('parseBody', () => {
  it('reads a line, a line with a file, a handover, a key request and a receipt', () => {
    assert.deepEqual(parseBody(body({ text: 'hi' })), { text: 'hi' });
    assert.deepEqual(parseBody(body({ text: 'sent a file', file })), { text: 'sent a file', file });
    assert.deepEqual(parseBody(body({ senderKey: { id: 'c', key: 'k', n: 0, room: '#dev' } })), { senderKey: { id: 'c', key: 'k', n: 0, room: '#dev' } });
    assert.deepEqual(parseBody(body({ keyRequest: { chain: 'c', n: 3 } })), { keyRequest: { chain: 'c', n: 3 } });
    assert.deepEqual(parseBody(body({ receipt: { ids: ['a1', 'b2'] } })), { receipt: { ids: ['a1', 'b2'] } });
  });

  it('fails the whole message, as a bad signature would, for anything else: a bad file too', () => {
    for (const bad of [{ text: 'x', file: { ...file, size: -1 } }, { receipt: { ids: ['../x'] } }, { keyRequest: { chain: 'c', n: -1 } }, { other: 1 }]) {
      assert.throws(
        () => parseBody(body(bad)),
        (e: { code: string }) => e.code === ErrorCode.ENVELOPE_INVALID,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => parseBody(Buffer.from('not json')),
      (e: { code: string }) => e.code === ErrorCode.ENVELOPE_INVALID,
    );
  });
});
