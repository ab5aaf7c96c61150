// StoredMessages: a room message is kept once however many members are away, and goes with its
// last reference; what is stored is counted again the same after a restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../../src/server/server-limits.js';
import { MemoryKeyValue } from '../../../src/server/store/key-value.js';
import { REFERENCE_BYTES, StoredMessages } from '../../../src/server/store/stored-messages.js';

const standing = { isContact: true, isNewcomer: false };

function envelope(id: string, size: number) {
  return { id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'x'.repeat(size), sig: 'c2ln' };
}

describe('StoredMessages', () => {
  it('stores a room message once for 200 away members: an upload is not multiplied by the fan-out', async () => {
    const kv = new MemoryKeyValue();
    const messages = new StoredMessages(kv, DEFAULT_SERVER_LIMITS, 'spec');
    const away = Array.from({ length: 200 }, (_, i) => ({ name: `member${i}`, standing }));
    const env = envelope('room-1', 20_000);
    const bytes = JSON.stringify(env).length;
    const outcome = await messages.store(away, { from: 'mallory', to: null, envelope: env, storedAt: Date.now() });
    assert.equal([...outcome.values()].filter((error) => error === undefined).length, 200);
    assert.equal(messages.shares.bytes, bytes + 200 * REFERENCE_BYTES, 'one body and 200 references (it was 200 bodies)');
    assert.equal([...kv.range(['b'])].length, 1);
    assert.equal(messages.waiting('member7')[0]?.envelope.ct, env.ct, 'each member gets the whole envelope');

    // Counted the same when the store is opened again.
    const reopened = new StoredMessages(kv, DEFAULT_SERVER_LIMITS, 'spec2');
    assert.equal(reopened.shares.bytes, messages.shares.bytes);
    assert.equal(reopened.shares.senderBytes('mallory'), messages.shares.senderBytes('mallory'));

    for (const { name } of away) {
      const [delivery] = messages.waiting(name);
      await messages.forget(name, delivery!.seq, delivery!.tag);
    }
    assert.equal(messages.shares.bytes, 0);
    assert.equal([...kv.range(['b'])].length, 0, 'the body went with its last reference');
    assert.equal([...kv.range(['m'])].length, 0);
  });

  it('refuses the members past a share and keeps the message for the rest', async () => {
    const messages = new StoredMessages(new MemoryKeyValue(), { ...DEFAULT_SERVER_LIMITS, maxStoredPerUser: 1 }, 'spec');
    await messages.store([{ name: 'full', standing }], { from: 'alice', to: null, envelope: envelope('first', 10), storedAt: Date.now() });
    const outcome = await messages.store(
      [
        { name: 'full', standing },
        { name: 'empty', standing },
      ],
      { from: 'alice', to: null, envelope: envelope('second', 10), storedAt: Date.now() },
    );
    assert.match(outcome.get('full')?.message ?? '', /messages waiting already/);
    assert.equal(outcome.get('empty'), undefined);
    assert.equal(messages.waiting('empty')[0]?.envelope.id, 'second');
  });
});
