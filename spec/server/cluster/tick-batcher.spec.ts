import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TickBatcher } from '../../../src/server/cluster/tick-batcher.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TickBatcher', () => {
  it('sends each destination one batch per turn, items in the order added', async () => {
    const sent: Array<[string, number[]]> = [];
    const batcher = new TickBatcher<number>((to, items) => sent.push([to, items]), 1000);
    batcher.add('a', 1, 10);
    batcher.add('b', 2, 10);
    batcher.add('a', 3, 10);
    assert.deepEqual(sent, [], 'nothing leaves before the turn ends');
    await nextTurn();
    assert.deepEqual(sent, [
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    batcher.add('a', 4, 10);
    await nextTurn();
    assert.deepEqual(sent.at(-1), ['a', [4]]);
  });

  it('sends a batch early rather than let it pass the byte limit', () => {
    const sent: number[][] = [];
    const batcher = new TickBatcher<number>((_to, items) => sent.push(items), 100);
    batcher.add('a', 1, 60);
    batcher.add('a', 2, 60);
    assert.deepEqual(sent, [[1]]);
    batcher.flush();
    assert.deepEqual(sent, [[1], [2]]);
    assert.equal(batcher.isEmpty, true);
  });

  it('hands back what it discards', () => {
    const batcher = new TickBatcher<string>(() => assert.fail('nothing is sent'), 100);
    batcher.add('a', 'x', 1);
    batcher.add('b', 'y', 1);
    assert.deepEqual(batcher.discard(), ['x', 'y']);
    batcher.flush();
  });
});
