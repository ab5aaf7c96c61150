import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lengthPrefixed } from '../../src/core/signed-bytes.js';

describe('lengthPrefixed', () => {
  it('never gives two different field lists the same bytes', () => {
    assert.notDeepEqual(lengthPrefixed(['ab', 'c']), lengthPrefixed(['a', 'bc']));
    assert.notDeepEqual(lengthPrefixed(['abc']), lengthPrefixed(['abc', '']));
  });

  it('prefixes each field with its length as a big-endian u32', () => {
    assert.deepEqual([...lengthPrefixed(['hi', Buffer.from([7])])], [0, 0, 0, 2, 0x68, 0x69, 0, 0, 0, 1, 7]);
  });
});
