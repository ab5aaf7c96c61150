// ClientState: what the client keeps of its history, each line once.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
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
});
