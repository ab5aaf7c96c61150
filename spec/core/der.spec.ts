import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DerTag, der, derChildren, derSequence, derToNumber, derUnsigned } from '../../src/core/der.js';

describe('der', () => {
  it('writes short and long lengths and reads them back', () => {
    const small = der(DerTag.OCTET_STRING, Buffer.alloc(5, 1));
    const large = der(DerTag.OCTET_STRING, Buffer.alloc(300, 2));
    assert.deepEqual([...small.subarray(0, 2)], [0x04, 5]);
    assert.deepEqual([...large.subarray(0, 4)], [0x04, 0x82, 0x01, 0x2c]);
    const [a, b] = derChildren(derSequence(small, large).subarray(4));
    assert.equal(a!.content.length, 5);
    assert.equal(b!.content.length, 300);
  });

  it('writes integers unsigned, with a leading zero when the top bit is set', () => {
    assert.deepEqual([...derUnsigned(600_000)], [0x02, 0x03, 0x09, 0x27, 0xc0]);
    assert.deepEqual([...derUnsigned(Buffer.from([0x80]))], [0x02, 0x02, 0x00, 0x80]);
    assert.equal(derToNumber(derChildren(derUnsigned(600_000))[0]!.content), 600_000);
  });

  it('refuses a truncated element', () => {
    assert.throws(() => derChildren(Buffer.from([0x04, 0x05, 1, 2])), RangeError);
  });
});
