import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyResolver } from '../../src/client/key-resolver.js';
import { ClientState } from '../../src/client/state/client-state.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyResolver', () => {
  it('asks for a turn of names in one request, and one request at a time (answers are big)', async () => {
    const requests: string[][] = [];
    const keys = new KeyResolver(ClientState.inMemory(), (names) => requests.push(names), 60_000);
    const names = Array.from({ length: 2500 }, (_, i) => `m${i}`);
    const fetched = keys.fetch(names);
    void keys.fetch(['late']);
    await turn();
    assert.deepEqual(
      requests.map((request) => request.length),
      [1000],
      'the first thousand, and nothing more until it is answered',
    );
    keys.received([]);
    assert.deepEqual(
      requests.map((request) => request.length),
      [1000, 1000],
    );
    keys.received([]);
    keys.received([]);
    assert.deepEqual(
      requests.map((request) => request.length),
      [1000, 1000, 501],
      'the rest, with the name asked for in the same turn',
    );
    assert.ok(requests[2]!.includes('late'));
    keys.received([]);
    assert.equal(requests.length, 3, 'nothing left to ask');
    void fetched;
  });

  it('sends the next request once an unanswered one has waited its time', async () => {
    const requests: string[][] = [];
    const keys = new KeyResolver(ClientState.inMemory(), (names) => requests.push(names), 20);
    void keys.fetch(['a']);
    await turn();
    void keys.fetch(['b']);
    await turn();
    assert.deepEqual(requests, [['a']]);
    while (requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(requests, [['a'], ['b']]);
  });
});
