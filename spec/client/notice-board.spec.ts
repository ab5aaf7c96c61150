import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoticeBoard } from '../../src/client/notice-board.js';

describe('NoticeBoard', () => {
  it('holds notices until a view subscribes, then hands on the rest as they come', () => {
    const board = new NoticeBoard();
    board.post('one');
    board.post('two');
    const seen: string[] = [];
    board.subscribe((text) => seen.push(text));
    board.post('three');
    assert.deepEqual(seen, ['one', 'two', 'three']);
  });
});
