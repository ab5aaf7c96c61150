// ClientState: what the client keeps of its history, each line once.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DeliveryTracker, describeDelivery } from '../../../src/client/delivery-tracker.js';
import { ClientState } from '../../../src/client/state/client-state.js';
import { SealedJournal, stateKey } from '../../../src/client/state/sealed-files.js';
import type { Identity } from '../../../src/core/identity.js';
import { testIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let alice: Identity;
before(async () => {
  alice = await testIdentity(0);
});

describe('ClientState', () => {
  it('keeps a line queued offline once when it is sent under the same id', () => {
    const state = ClientState.inMemory();
    state.remember({ kind: 'out', id: 'queued-1', to: 'bob', text: 'typed offline', ts: 1 });
    state.remember({ kind: 'out', id: 'queued-1', to: 'bob', text: 'typed offline', ts: 2 });
    assert.equal(state.history().length, 1);
    assert.equal(state.search('offline').length, 1);
  });

  it('mends a history written twice by an older version: each line once after opening', (t) => {
    const base = join(makeTempDir(t), 'state');
    const journal = new SealedJournal(`${base}.history`, stateKey(alice));
    const line = { kind: 'out', id: 'queued-2', to: 'bob', text: 'twice on disk', ts: Date.now() };
    journal.append([line, line]);
    const state = ClientState.open(base, alice);
    assert.equal(state.history().length, 1);
    const size = readFileSync(`${base}.history`).length;
    assert.equal(ClientState.open(base, alice).history().length, 1);
    assert.equal(readFileSync(`${base}.history`).length, size, 'rewritten once, then left alone');
  });

  it('tells once what a damaged history lost', (t) => {
    const base = join(makeTempDir(t), 'state');
    const journal = new SealedJournal(`${base}.history`, stateKey(alice));
    journal.append([{ kind: 'out', id: 'a', to: 'bob', text: 'one', ts: Date.now() }]);
    appendFileSync(`${base}.history`, Buffer.from([0, 0, 0, 40, ...Array(40).fill(7)]));
    journal.append([{ kind: 'out', id: 'b', to: 'bob', text: 'two', ts: Date.now() }]);
    const state = ClientState.open(base, alice);
    assert.equal(state.historyDamage?.records, 1);
    assert.deepEqual(
      state.history().map((record) => (record.kind === 'seen' ? '' : record.text)),
      ['one', 'two'],
    );
    assert.equal(ClientState.open(base, alice).historyDamage, undefined);
  });

  it("keeps a settled line's delivery mark with the history, across a restart", (t) => {
    const base = join(makeTempDir(t), 'state');
    const state = ClientState.open(base, alice);
    const envelope = { id: 'm1', ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'Y3Q=', sig: 'c2ln' };
    const tracker = new DeliveryTracker(state);
    state.remember({ kind: 'out', id: 'm1', to: 'bob', text: 'read it?', ts: Date.now() });
    tracker.track({ id: 'm1', to: 'bob', text: 'read it?', createdAt: Date.now(), sends: [{ type: 'send', to: 'bob', envelope }], recipients: {} });
    tracker.onAck({ type: 'ack', id: 'm1', sent: ['bob'], stored: [], refused: [] });
    tracker.onEndToEndReceipt('bob', ['m1']);
    tracker.prune();
    state.commit(undefined);
    assert.equal(state.outbox.length, 0, 'settled: no longer tracked');

    const reopened = ClientState.open(base, alice);
    const summary = new DeliveryTracker(reopened).summaryOf('m1', 'bob');
    assert.ok(summary !== undefined, 'the final word survived the restart');
    assert.equal(describeDelivery(summary), 'delivered');
    assert.equal(reopened.history().length, 1, 'the mark is not a line of its own');
    assert.equal(reopened.search('read').length, 1);
  });
});
