import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { stepChain } from '../../src/core/hash-chain.js';

describe('stepChain', () => {
  it('derives the message key with 0x01 and the next chain key with 0x02, each different from the last', () => {
    const chainKey = Buffer.alloc(32, 5);
    const step = stepChain(chainKey);
    assert.ok(
      step.messageKey.equals(
        createHmac('sha256', chainKey)
          .update(Buffer.from([1]))
          .digest(),
      ),
    );
    assert.ok(
      step.chainKey.equals(
        createHmac('sha256', chainKey)
          .update(Buffer.from([2]))
          .digest(),
      ),
    );
    assert.ok(!step.chainKey.equals(chainKey) && !step.messageKey.equals(step.chainKey));
  });
});
