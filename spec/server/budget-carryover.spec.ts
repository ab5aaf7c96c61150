import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BudgetCarryover, MAX_REMEMBERED } from '../../src/server/budget-carryover.js';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/server-limits.js';

const limits = {
  ...DEFAULT_SERVER_LIMITS,
  messagesPerSecond: 10,
  messageBurst: 50,
  bytesPerSecond: 1000,
  byteBurst: 10_000,
  fileBytesPerSecond: 1e6,
  fileByteBurst: 1e6,
  batchBytesPerSecond: 1e6,
  batchByteBurst: 1e6,
};
const spent = { messages: 0, bytes: -5000, fileBytes: 1e6, batchBytes: 1e6 };

describe('BudgetCarryover', () => {
  it('starts a connection where its address or name left off, refilled since, never in debt, and forgets what is full again', () => {
    const carry = new BudgetCarryover(() => limits);
    assert.equal(carry.startFor(['a:1.2.3.4'], 0), undefined, 'nothing known: full');
    carry.remember(['a:1.2.3.4', 'n:mallory'], spent, 0);
    assert.deepEqual(
      carry.startFor(['a:1.2.3.4'], 0),
      { messages: 0, bytes: 0, fileBytes: 1e6, batchBytes: 1e6 },
      'no debt carried: bytes start at 0, not -5000',
    );
    assert.deepEqual(
      carry.startFor(['a:1.2.3.4'], 2000),
      { messages: 20, bytes: 0, fileBytes: 1e6, batchBytes: 1e6 },
      'two seconds refill 20 messages (the debt first)',
    );
    carry.remember(['n:alice'], { messages: 40, bytes: 9000, fileBytes: 1e6, batchBytes: 1e6 }, 2000);
    assert.deepEqual(
      carry.startFor(['a:1.2.3.4', 'n:alice'], 2000),
      { messages: 20, bytes: 0, fileBytes: 1e6, batchBytes: 1e6 },
      'the lowest of the two, bucket by bucket',
    );
    assert.equal(carry.startFor(['a:1.2.3.4'], 100_000), undefined, 'full again: forgotten');
    assert.equal(carry.size, 2, 'mallory and alice remain; the address is gone');
  });

  it(`remembers at most ${MAX_REMEMBERED} addresses and names, the oldest going first`, () => {
    const carry = new BudgetCarryover(() => limits);
    for (let i = 0; i <= MAX_REMEMBERED; i++) carry.remember([`a:${i}`], spent, 0);
    assert.equal(carry.size, MAX_REMEMBERED);
    assert.equal(carry.startFor(['a:0'], 0), undefined, 'the oldest went');
    assert.notEqual(carry.startFor([`a:${MAX_REMEMBERED}`], 0), undefined);
  });
});
