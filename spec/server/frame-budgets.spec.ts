import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameType } from '../../src/core/frame-types.js';
import { FrameBudgets, budgetOf } from '../../src/server/frame-budgets.js';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/server-limits.js';

const limits = {
  ...DEFAULT_SERVER_LIMITS,
  messagesPerSecond: 1,
  messageBurst: 2,
  bytesPerSecond: 1000,
  byteBurst: 1000,
  fileBytesPerSecond: 1000,
  fileByteBurst: 1000,
  batchBytesPerSecond: 1000,
  batchByteBurst: 4000,
};
const control = { type: FrameType.CONTROL, body: Buffer.alloc(10) } as const;
const chat = budgetOf(control, 'send');
const chunk = budgetOf({ type: FrameType.FILE, body: Buffer.alloc(1000) });

describe('FrameBudgets', () => {
  it('spends chat and file frames from budgets of their own: a chat flood waits, file chunks still go, and the other way round', () => {
    const budgets = new FrameBudgets(limits, 0);
    for (let i = 0; i < 3; i++) budgets.spend(chat, 10, 0);
    assert.ok(budgets.waitMs(chat, 0) > 0, 'past the burst of two: in debt, the next waits');
    assert.equal(budgets.waitMs(chunk, 0), 0, 'a chunk is not chat');
    budgets.spend(chunk, 1000, 0);
    budgets.spend(chunk, 1000, 0);
    assert.ok(budgets.waitMs(chunk, 0) > 0, 'the file bytes are spent');
    assert.equal(budgets.waitMs(chat, 1000), 0, 'chat refills on its own');
  });

  it("spends a send-batch from bytes of its own and one message: a room's handovers leave chat bytes alone", () => {
    assert.equal(budgetOf(control, 'send-batch'), 'batch');
    assert.equal(budgetOf(control, 'received-batch'), 'batch', 'confirmations to many senders too');
    const budgets = new FrameBudgets(limits, 0);
    budgets.spend('batch', 3000, 0);
    assert.equal(budgets.waitMs('batch', 0), 0, 'within the batch burst, though over the chat burst');
    assert.equal(budgets.waitMs(chat, 0), 0, 'chat bytes untouched');
    budgets.spend('batch', 3000, 0);
    assert.ok(budgets.waitMs('batch', 0) > 0, 'past its own burst it waits');
    assert.equal(budgets.waitMs(chat, 0), 0, 'and chat still goes');
    budgets.spend(chat, 10, 0);
    assert.ok(budgets.waitMs(chat, 0) > 0, 'each batch counted one message: two batches and a line are past the burst of two');
  });
});
