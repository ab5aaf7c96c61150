// StoreShares: what one sender, one address and a newcomer may keep in the store for away users.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { DEFAULT_SERVER_LIMITS } from '../../../src/server/server-limits.js';
import { type StoreCharge, StoreShares } from '../../../src/server/store/store-shares.js';

const contact = { isContact: true, isNewcomer: false };
const stranger = { isContact: false, isNewcomer: false };

function charge(recipient: string, sender: string, bytes = 1000, origin?: string): StoreCharge {
  return { recipient, sender, mailboxBytes: bytes, storeBytes: bytes, isReference: false, ...(origin === undefined ? {} : { origin }) };
}

/** Charges until refused; returns how many fitted and the refusal. */
function fill(shares: StoreShares, make: (i: number) => StoreCharge, standing = contact, max = 100_000): { kept: number; refusal: Error & { code?: string } } {
  for (let i = 0; i < max; i++) {
    try {
      shares.check(make(i), standing, 'bob');
    } catch (error) {
      return { kept: i, refusal: error as Error & { code?: string } };
    }
    shares.count(make(i), 1);
  }
  throw new Error('never refused');
}

describe('StoreShares', () => {
  it('keeps one sender from filling a mailbox: a share per sender, a smaller one for a stranger', () => {
    const shares = new StoreShares(DEFAULT_SERVER_LIMITS);
    const fromMallory = fill(shares, () => charge('bob', 'mallory'), stranger);
    assert.equal(fromMallory.kept, DEFAULT_SERVER_LIMITS.maxStoredFromStranger);
    assert.equal(fromMallory.refusal.code, ErrorCode.STORE_FULL);
    assert.match(fromMallory.refusal.message, /has not written to/);
    const fromAlice = fill(shares, () => charge('bob', 'alice'), contact);
    assert.equal(fromAlice.kept, DEFAULT_SERVER_LIMITS.maxStoredPerSender);
    // An honest sender still gets in after both took their shares.
    assert.doesNotThrow(() => shares.check(charge('bob', 'carol'), contact, 'bob'));
  });

  it("bounds what one sender keeps across every recipient, and a newcomer's share is smaller", () => {
    const limits = { ...DEFAULT_SERVER_LIMITS, maxStoredBytesPerSender: 100_000, maxStoredBytesPerNewcomer: 10_000 };
    const newcomer = fill(new StoreShares(limits), (i) => charge(`user${i}`, 'fresh'), { isContact: true, isNewcomer: true });
    assert.equal(newcomer.kept, 10);
    assert.match(newcomer.refusal.message, /your share of its store \(small while your name is new here\)/);
    const known = fill(new StoreShares(limits), (i) => charge(`user${i}`, 'old'), contact);
    assert.equal(known.kept, 100);
  });

  it('bounds what one address keeps, whatever names it uses', () => {
    const shares = new StoreShares({ ...DEFAULT_SERVER_LIMITS, maxStoredBytesPerAddress: 50_000 });
    const many = fill(shares, (i) => charge(`user${i % 7}`, `name${i}`, 1000, 'one-address'), contact);
    assert.equal(many.kept, 50);
    assert.match(many.refusal.message, /from your address/);
    assert.doesNotThrow(() => shares.check(charge('user1', 'name1', 1000, 'another-address'), contact, 'bob'));
  });

  it('gives a share back when a message is delivered', () => {
    const shares = new StoreShares(DEFAULT_SERVER_LIMITS);
    const { kept } = fill(shares, () => charge('bob', 'mallory'), stranger);
    shares.count(charge('bob', 'mallory'), -1);
    assert.doesNotThrow(() => shares.check(charge('bob', 'mallory'), stranger, 'bob'));
    assert.equal(shares.messages, kept - 1);
  });
});
