// MessageSender in process, with the session's real parts (engine, directory, state, tracker) and
// a link that records what would go out: what it refuses, and receipts that wait until they can go.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DeliveryTracker } from '../../src/client/delivery-tracker.js';
import { E2eEngine } from '../../src/client/e2e-engine.js';
import { KnownPeers } from '../../src/client/known-peers.js';
import { MAX_MESSAGE_CHARS, MessageSender } from '../../src/client/message-sender.js';
import { PeerDirectory } from '../../src/client/peer-directory.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import type { SendMessage } from '../../src/core/messages.js';
import { buildHello } from '../../src/core/prekey.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
let others: Identity[];
before(async () => {
  const [first, ...rest] = await Promise.all([0, 1, 2].map(testIdentity));
  alice = first!;
  others = rest;
});

function sender(ready: { value: boolean }) {
  const state = ClientState.inMemory();
  const wire: SendMessage[] = [];
  const directory = new PeerDirectory(KnownPeers.inMemory(), () => 'alice', alice.fingerprint);
  const parts = {
    engine: new E2eEngine({ identity: alice, selfName: () => 'alice' }),
    directory,
    state,
    tracker: new DeliveryTracker(state),
    link: { send: (message: SendMessage) => wire.push(message), checkFits: () => {} },
    isReady: () => ready.value,
    sent: () => {},
    error: () => {},
    unusablePrekey: () => {},
  };
  return { sender: new MessageSender(parts), state, wire, directory, engine: parts.engine };
}

describe('MessageSender', () => {
  it('refuses a line while not connected, and one longer than MAX_MESSAGE_CHARS', () => {
    const ready = { value: false };
    const { sender: mail, wire } = sender(ready);
    assert.throws(() => mail.sendToRoom(null, [], 'hi'), { code: ErrorCode.NOT_CONNECTED });
    ready.value = true;
    assert.throws(() => mail.sendToRoom(null, [], 'x'.repeat(MAX_MESSAGE_CHARS + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    assert.throws(() => mail.sendDirect('bob', 'hi'), { code: ErrorCode.NO_SUCH_PEER });
    assert.equal(wire.length, 0);
  });

  it('keeps a receipt owed while it cannot be sealed (not connected, or a sender not listed)', () => {
    const ready = { value: false };
    const { sender: mail, state, wire } = sender(ready);
    state.remember({ kind: 'in', id: 'm1', from: 'bob', to: 'alice', text: 'hi', ts: Date.now(), owesReceipt: true });
    mail.payReceipts('bob');
    ready.value = true;
    mail.resend();
    assert.equal(wire.length, 0, 'bob is not listed: nothing sealed');
    assert.deepEqual(state.owedReceipts.take('bob'), ['m1'], 'still owed');
  });

  it('answers the key requests of one turn together, under one signature, once the turn is over', async () => {
    const { sender: mail, wire, directory, engine } = sender({ value: true });
    for (const [i, name] of ['bob', 'carol'].entries()) {
      const identity = others[i]!;
      const hello = buildHello(identity, name, new E2eEngine({ identity, selfName: () => name }).signedPrekey);
      directory.add({
        name,
        publicKey: identity.publicKeyBase64,
        prekey: hello.prekey,
        prekeySig: hello.prekeySig,
        fingerprint: identity.fingerprint,
        joinedAt: 1,
      });
    }
    // An open lobby: a line no one was handed the chain for; both ask for it in the same turn.
    const line = engine.sealRoom(null, 'hello strangers', [], () => undefined, true);
    const chain = line.sends.at(-1)!.envelope.senderKey!.id;
    mail.answerKeyRequest('bob', chain, 0, null, true);
    mail.answerKeyRequest('carol', chain, 0, null, true);
    mail.answerKeyRequest('bob', chain, 0, null, true);
    assert.equal(wire.length, 0, 'nothing before the turn is over');
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(
      wire.map((send) => send.to),
      ['bob', 'carol'],
      'one answer each, bob once',
    );
    assert.ok(
      wire.every((send) => send.envelope.batch?.n === 2 && send.envelope.sig === wire[0]!.envelope.sig),
      'one signature for both',
    );
  });
});
