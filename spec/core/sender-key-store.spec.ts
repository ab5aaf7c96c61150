import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { SenderKeyChain } from '../../src/core/sender-key.js';
import { SenderKeyStore } from '../../src/core/sender-key-store.js';

/** Opens the message `skip` steps ahead on `chain` at `store`, as a receiver would. */
function openAhead(store: SenderKeyStore, sender: string, chain: SenderKeyChain, skip: number): void {
  for (let i = 0; i < skip; i++) chain.next();
  const { header } = chain.next();
  store.keyFor(sender, header).commit();
}

describe('SenderKeyStore', () => {
  it("keeps at most 4 chains per sender, dropping that sender's oldest, never another sender's", () => {
    const store = new SenderKeyStore();
    const honest = new SenderKeyChain();
    store.remember('alice', honest.grant());
    for (let i = 0; i < 100; i++) store.remember('mallory', new SenderKeyChain().grant());
    assert.deepEqual(store.stats, { senders: 2, chains: 5, skippedKeys: 0 });
    const { header } = honest.next();
    assert.doesNotThrow(() => store.keyFor('alice', header), "alice's chain survived mallory's grants");
  });

  it('holds at most 2,000 skipped keys per sender, across its chains', () => {
    const store = new SenderKeyStore();
    for (let i = 0; i < 10; i++) {
      const chain = new SenderKeyChain();
      store.remember('mallory', chain.grant());
      openAhead(store, 'mallory', chain, 1999);
    }
    assert.ok(store.stats.skippedKeys <= 2000, `held ${store.stats.skippedKeys}`);
  });

  it('takes from the biggest holder when all senders together hold too many', () => {
    const store = new SenderKeyStore({ chainsPerSender: 4, skippedPerSender: 2000, skippedTotal: 3000 });
    const alice = new SenderKeyChain();
    store.remember('alice', alice.grant());
    openAhead(store, 'alice', alice, 500);
    const mallory = new SenderKeyChain();
    store.remember('mallory', mallory.grant());
    openAhead(store, 'mallory', mallory, 1999);
    openAhead(store, 'mallory', mallory, 1999);
    assert.ok(store.stats.skippedKeys <= 3000, `held ${store.stats.skippedKeys}`);
    // alice's 500 held keys were not touched: her skipped message 0 still has its key.
    assert.doesNotThrow(() => store.keyFor('alice', { id: alice.id, n: 0 }));
  });

  it('refuses a message from a chain it never got, with the same error as any bad envelope', () => {
    const store = new SenderKeyStore();
    assert.throws(() => store.keyFor('bob', { id: 'nope', n: 0 }), { code: ErrorCode.ENVELOPE_INVALID });
    assert.throws(() => store.keyFor('bob', undefined), { code: ErrorCode.ENVELOPE_INVALID });
  });
});
