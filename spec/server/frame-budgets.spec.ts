import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameType } from '../../src/core/frame-types.js';
import { FrameBudgets } from '../../src/server/frame-budgets.js';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/server-limits.js';

const limits = { ...DEFAULT_SERVER_LIMITS, messagesPerSecond: 1, messageBurst: 2, fileBytesPerSecond: 1000, fileByteBurst: 1000 };
const chat = { type: FrameType.CONTROL, body: Buffer.alloc(10) } as const;
const chunk = { type: FrameType.FILE, body: Buffer.alloc(1000) } as const;

describe('FrameBudgets', () => {
  it('spends chat and file frames from budgets of their own: a chat flood waits, file chunks still go, and the other way round', () => {
    const budgets = new FrameBudgets(limits, 0);
    for (let i = 0; i < 3; i++) budgets.spend(chat, 0);
    assert.ok(budgets.waitMs(chat, 0) > 0, 'past the burst of two: in debt, the next waits');
    assert.equal(budgets.waitMs(chunk, 0), 0, 'a chunk is not chat');
    budgets.spend(chunk, 0);
    budgets.spend(chunk, 0);
    assert.ok(budgets.waitMs(chunk, 0) > 0, 'the file bytes are spent');
    assert.equal(budgets.waitMs(chat, 1000), 0, 'chat refills on its own');
  });
});
