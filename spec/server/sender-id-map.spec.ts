// SenderIdMap: deliveries in flight keyed by (sender, id), so a reused id is another entry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SenderIdMap } from '../../src/server/sender-id-map.js';

describe('SenderIdMap', () => {
  it("keeps another sender's entry under the same id apart, and takes only the named sender's", () => {
    const map = new SenderIdMap<string>();
    map.set('alice', 'x', "alice's");
    map.set('mallory', 'x', "mallory's");
    assert.equal(map.size, 2);
    assert.deepEqual(map.take('Mallory', 'x'), ["mallory's"], 'names match whatever their case');
    assert.equal(map.get('alice', 'x'), "alice's");
    assert.deepEqual(map.take('mallory', 'x'), [], 'taken once');
    assert.equal(map.size, 1);
  });

  it('takes every sender of an id for a client that names none, and drops the oldest id past a bound', () => {
    const map = new SenderIdMap<number>();
    map.set('a', 'first', 1);
    map.set('b', 'first', 2);
    map.set('a', 'second', 3);
    map.dropOldest();
    assert.equal(map.size, 1);
    assert.deepEqual([...map.values()], [3]);
    assert.deepEqual(map.take(undefined, 'second'), [3]);
    assert.equal(map.size, 0);
  });

  it('drops the oldest id still held, in the order ids came, however many were taken or dropped before', () => {
    const map = new SenderIdMap<number>();
    const held = new Set<number>();
    // Set 5,000 ids; take every third; keep the map at 1,000 by dropping the oldest (as for a
    // client that confirms a third of what it is sent).
    for (let i = 0; i < 5000; i++) {
      map.set('a', `id${i}`, i);
      held.add(i);
      if (i % 3 === 0) {
        assert.deepEqual(map.take('a', `id${i}`), [i]);
        held.delete(i);
      }
      while (map.size > 1000) {
        map.dropOldest();
        held.delete(Math.min(...held));
      }
    }
    assert.deepEqual([...map.values()], [...held]);
  });
});
