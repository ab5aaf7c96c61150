import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { StoreWriteError, storeFull } from '../../../src/server/store/store-errors.js';

describe('storeFull', () => {
  it('is a STORE_FULL StoreWriteError with its message and no stack frames, and leaves stack traces on for everything else', () => {
    const before = Error.stackTraceLimit;
    const refusal = storeFull("the server's store for away users is full");
    assert.ok(refusal instanceof StoreWriteError);
    assert.equal(refusal.code, ErrorCode.STORE_FULL);
    assert.equal(refusal.message, "the server's store for away users is full");
    assert.equal(refusal.stack?.split('\n').length, 1, 'the message line alone: no frames captured');
    assert.equal(Error.stackTraceLimit, before, 'restored');
    assert.ok((new Error('a fault').stack?.split('\n').length ?? 0) > 1, 'other errors keep their frames');
  });
});
