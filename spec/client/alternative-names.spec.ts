import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alternativeNames } from '../../src/client/alternative-names.js';
import { isValidName } from '../../src/core/names.js';

describe('alternativeNames', () => {
  it('offers alice2..alice9, then a random suffix, each a valid name even from a 32-character one', () => {
    const names = alternativeNames('alice');
    assert.deepEqual(names.slice(0, 8), ['alice2', 'alice3', 'alice4', 'alice5', 'alice6', 'alice7', 'alice8', 'alice9']);
    assert.match(names[8]!, /^alice_[0-9a-z]{1,5}$/);
    for (const name of alternativeNames('a'.repeat(32))) assert.ok(isValidName(name), name);
  });
});
