import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { base64, errorCode, integer, nameList, parseObject, string } from '../../src/core/field-readers.js';

describe('field readers', () => {
  it('parse a JSON object and nothing else', () => {
    assert.deepEqual(parseObject(Buffer.from('{"a":1}')), { a: 1 });
    for (const body of ['[1]', 'null', '"x"', '{'])
      assert.throws(
        () => parseObject(Buffer.from(body)),
        (e: Error & { code?: string }) => e.code !== undefined,
      );
  });

  it('hold strings to their length, integers to safe whole numbers, base64 to its alphabet', () => {
    assert.equal(string({ s: 'abc' }, 's', 3), 'abc');
    assert.throws(() => string({ s: 'abcd' }, 's', 3), { code: ErrorCode.INVALID_MESSAGE });
    assert.throws(() => integer({ n: 1.5 }, 'n'), { code: ErrorCode.INVALID_MESSAGE });
    assert.throws(() => integer({ n: -1 }, 'n'), { code: ErrorCode.INVALID_MESSAGE });
    assert.throws(() => base64({ b: 'not base64!' }, 'b', 100), { code: ErrorCode.INVALID_MESSAGE });
  });

  it('accept only valid names in a name list, and only capitals, digits and _ in an error code', () => {
    assert.deepEqual(nameList(['alice', 'bob'], 'names'), ['alice', 'bob']);
    assert.throws(() => nameList(['\u009b2J'], 'names'), { code: ErrorCode.INVALID_MESSAGE });
    assert.equal(errorCode({ code: 'CHAT_ERR_X' }, 'code', 64), 'CHAT_ERR_X');
    assert.throws(() => errorCode({ code: 'x\u001b[31m' }, 'code', 64), { code: ErrorCode.INVALID_MESSAGE });
  });
});
