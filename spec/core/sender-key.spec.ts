import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { MAX_SKIPPED_SENDER_KEYS, SenderKeyChain, SenderKeyReceiver } from '../../src/core/sender-key.js';

describe('sender keys', () => {
  it('give the receiver the same message keys as the sender, in or out of order, each once', () => {
    const chain = new SenderKeyChain();
    const receiver = new SenderKeyReceiver(chain.grant());
    const sent = [0, 1, 2, 3].map(() => chain.next());
    for (const index of [2, 0, 3, 1]) {
      const { messageKey, commit } = receiver.keyFor(sent[index]!.header.n);
      assert.ok(messageKey.equals(sent[index]!.messageKey));
      commit();
    }
    assert.throws(() => receiver.keyFor(1), { code: ErrorCode.ENVELOPE_INVALID }, 'used keys are gone');
  });

  it('open nothing from before the grant: a newcomer cannot read back', () => {
    const chain = new SenderKeyChain();
    chain.next();
    chain.next();
    const late = new SenderKeyReceiver(chain.grant());
    assert.throws(() => late.keyFor(0), { code: ErrorCode.ENVELOPE_INVALID });
    assert.doesNotThrow(() => late.keyFor(2));
  });

  it('refuse a step too far ahead, and do not move on a key that was not committed', () => {
    const chain = new SenderKeyChain();
    const receiver = new SenderKeyReceiver(chain.grant());
    assert.throws(() => receiver.keyFor(MAX_SKIPPED_SENDER_KEYS + 1), { code: ErrorCode.ENVELOPE_INVALID });
    const first = chain.next();
    receiver.keyFor(0); // not committed: a forged message failed to open
    assert.ok(receiver.keyFor(0).messageKey.equals(first.messageKey));
  });

  it('make every chain independent', () => {
    const a = new SenderKeyChain();
    const b = new SenderKeyChain();
    assert.notEqual(a.id, b.id);
    assert.ok(!a.next().messageKey.equals(b.next().messageKey));
  });
});
