// OwedReceipts, and ClientState rebuilding what is owed from its files: a receipt owed for a DM
// shown survives a crash; one receipted, or on its way, is not owed again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ClientState } from '../../../src/client/state/client-state.js';
import { OwedReceipts } from '../../../src/client/state/owed-receipts.js';
import type { Identity } from '../../../src/core/identity.js';
import { testIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let alice: Identity;
before(async () => {
  alice = await testIdentity(0);
});

describe('OwedReceipts', () => {
  it('owes per sender (any case), pays, and hands over what is owed once', () => {
    const owed = new OwedReceipts();
    owed.owe('Bob', 'm1');
    owed.owe('bob', 'm2');
    owed.owe('carol', 'm3');
    owed.paid('BOB', ['m1']);
    assert.deepEqual(owed.senders().sort(), ['Bob', 'carol']);
    assert.deepEqual(owed.take('bob'), ['m2']);
    assert.deepEqual(owed.take('bob'), [], 'taken once');
  });
});

describe('receipts owed across a restart', () => {
  it('are rebuilt from the history: shown and not receipted, nor on their way', (t) => {
    const base = join(makeTempDir(t), 'state');
    const state = ClientState.open(base, alice);
    const dm = (id: string) => ({ kind: 'in' as const, id, from: 'bob', to: 'alice', text: id, ts: Date.now(), owesReceipt: true });
    state.remember(dm('kept-before-a-crash'));
    state.remember(dm('receipted'));
    state.remember(dm('on-its-way'));
    state.remember({ kind: 'in', id: 'a-room-line', from: 'bob', to: '#dev', text: 'x', ts: Date.now() });
    // A receipt for 'receipted' got its final word (its outbox entry pruned as done) ...
    const envelope = { id: 'r1', ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'Y3Q=', sig: 'c2ln' };
    state.addOutgoing({
      id: 'receipt-r1',
      to: 'bob',
      text: '',
      createdAt: Date.now(),
      sends: [{ type: 'send', to: 'bob', envelope }],
      recipients: { r1: { bob: { state: 'confirmed' } } },
      receiptFor: state.owedReceipts.take('bob').filter((id) => id === 'receipted'),
    });
    state.pruneOutbox();
    // ... and one for 'on-its-way' is still tracked.
    state.addOutgoing({ id: 'receipt-r2', to: 'bob', text: '', createdAt: Date.now(), recipients: {}, receiptFor: ['on-its-way'] });
    state.commit(undefined);

    const reopened = ClientState.open(base, alice);
    assert.deepEqual(reopened.owedReceipts.take('bob'), ['kept-before-a-crash']);
  });
});
