// DurableStore: what it keeps of names, who wrote to whom, and how registrations age.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { DEFAULT_SERVER_LIMITS } from '../../../src/server/server-limits.js';
import { DurableStore, type Registration } from '../../../src/server/store/durable-store.js';
import { type Key, MemoryKeyValue } from '../../../src/server/store/key-value.js';
import { ONE_TIME_PREKEY_TTL_MS } from '../../../src/server/store/one-time-prekey-pool.js';

const DAY = 86_400_000;

function registration(name: string, fingerprint: string, fields: Partial<Registration> = {}): Registration {
  const now = Date.now();
  return { name, publicKey: 'a2V5', fingerprint, prekey: 'cHJla2V5', prekeySig: 'c2ln', registeredAt: now, lastSeenAt: now, ...fields };
}

describe('DurableStore', () => {
  it('releases a name joined once and left unused for a week, and keeps one in use for 180 days', async () => {
    const store = new DurableStore(new MemoryKeyValue(), DEFAULT_SERVER_LIMITS);
    const long = Date.now() - 8 * DAY;
    await store.register(registration('dropped', 'f1', { registeredAt: long, lastSeenAt: long, joins: 1 }));
    await store.register(registration('regular', 'f2', { registeredAt: long - 30 * DAY, lastSeenAt: long, joins: 40 }));
    await store.register(registration('older', 'f3', { registeredAt: long, lastSeenAt: long }));
    await store.expire(Date.now(), () => false);
    assert.deepEqual(store.registeredNames().sort(), ['older', 'regular'], 'only the name used once went (older records count as used)');
  });

  it('counts names per key and per address for a day, and finds registered look-alikes', async () => {
    const store = new DurableStore(new MemoryKeyValue(), { ...DEFAULT_SERVER_LIMITS, maxNamesPerKey: 2, maxNamesPerAddress: 3 });
    const here = store.originOf('192.0.2.7');
    await store.register(registration('alice', 'k1', { origin: here }));
    await store.register(registration('alice2', 'k1', { origin: here }));
    assert.throws(() => store.checkNewRegistration('k1', store.originOf('198.51.100.1')), { code: ErrorCode.NAME_LIMIT });
    await store.register(registration('bob', 'k2', { origin: here }));
    assert.throws(() => store.checkNewRegistration('k3', here), { code: ErrorCode.NAME_LIMIT });
    assert.doesNotThrow(() => store.checkNewRegistration('k3', store.originOf('198.51.100.1')));
    // A day later the address may register again.
    assert.doesNotThrow(() => store.checkNewRegistration('k3', here, Date.now() + DAY + 1000));
    assert.equal(store.registeredLookalike('aIice'), 'alice');
    assert.equal(store.registeredLookalike('alice'), undefined, 'a name is not its own look-alike');
    assert.notEqual(store.originOf('192.0.2.7'), '192.0.2.7', 'addresses are kept as keyed hashes');
  });

  it('treats a sender the recipient wrote to as a contact, and a new name as a newcomer', async () => {
    const kv = new MemoryKeyValue();
    const store = new DurableStore(kv, DEFAULT_SERVER_LIMITS);
    await store.register(registration('old', 'k1', { registeredAt: Date.now() - 30 * DAY }));
    await store.register(registration('new', 'k2'));
    assert.deepEqual(store.standingOf('bob', 'old', false), { isContact: false, isNewcomer: false });
    assert.deepEqual(store.standingOf('bob', 'new', false), { isContact: false, isNewcomer: true });
    store.noteContact('bob', 'old');
    assert.equal(store.standingOf('bob', 'old', false).isContact, true);
    assert.equal(store.standingOf('old', 'bob', false).isContact, false, 'writing to someone makes them your contact, not you theirs');
    assert.equal(store.standingOf('bob', 'new', true).isContact, true, 'a shared named room counts');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(new DurableStore(kv, DEFAULT_SERVER_LIMITS).standingOf('bob', 'old', false).isContact, true, 'kept across a restart');
  });

  it('drops one-time prekeys nobody took within their time', async () => {
    const store = new DurableStore(new MemoryKeyValue(), DEFAULT_SERVER_LIMITS);
    await store.addOneTimePrekeys('bob', [{ id: 'k0', key: 'a2V5' }], 100);
    await store.expire(Date.now() + ONE_TIME_PREKEY_TTL_MS - DAY, () => false);
    assert.equal(store.oneTimePrekeyCount('bob'), 1);
    await store.expire(Date.now() + ONE_TIME_PREKEY_TTL_MS + 1000, () => false);
    assert.equal(store.oneTimePrekeyCount('bob'), 0);
  });

  it('hands each one-time prekey out once, reading only as far as it needs (not the whole pool per bundle)', async () => {
    /** Counts the records a range hands out, as LMDB decodes them one by one. */
    class CountingKeyValue extends MemoryKeyValue {
      read = 0;
      override *range<T>(prefix: Key): Iterable<{ key: Key; value: T }> {
        for (const entry of super.range<T>(prefix)) {
          this.read++;
          yield entry;
        }
      }
    }
    const kv = new CountingKeyValue();
    const store = new DurableStore(kv, DEFAULT_SERVER_LIMITS);
    await store.addOneTimePrekeys(
      'bob',
      Array.from({ length: 100 }, (_, i) => ({ id: `k${i}`, key: 'a2V5' })),
      100,
    );
    kv.read = 0;
    const taken = await Promise.all([1, 2, 3].map(() => store.takeOneTimePrekey('bob')));
    assert.equal(new Set(taken.map((key) => key?.id)).size, 3, 'three different keys');
    assert.ok(kv.read <= 6, `a take reads the few records before the first free one (read ${kv.read})`);
    kv.read = 0;
    assert.equal(store.oneTimePrekeyCount('bob', 21), 21, 'counted up to the mark asked for');
    assert.ok(kv.read <= 24, `and no further (read ${kv.read})`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.oneTimePrekeyCount('bob'), 97);
  });
});
