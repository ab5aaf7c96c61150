// Moving the client's state to a new identity key (keys rotate): whole, and safe at every point a
// crash could cut it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ClientState } from '../../../src/client/state/client-state.js';
import { commitRekey, prepareRekey } from '../../../src/client/state/state-rekey.js';
import type { Identity } from '../../../src/core/identity.js';
import { testIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let oldKey: Identity;
let newKey: Identity;
let stranger: Identity;
before(async () => {
  [oldKey, newKey, stranger] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

/** A state with one line of history and one queued message, sealed under `identity`. */
function stateWithHistory(base: string, identity: Identity): void {
  const state = ClientState.open(base, identity);
  state.remember({ kind: 'out', id: 'o1', to: 'bob', text: 'before the rotation', ts: Date.now() });
  state.addOutgoing({ id: 'q1', to: 'bob', text: 'queued', createdAt: Date.now(), recipients: {} });
  state.commit(undefined);
}

const texts = (state: ClientState) => state.history().flatMap((record) => (record.kind === 'seen' ? [] : [record.text]));

describe('state re-keying', () => {
  it("moves history and outbox to the new key, and leaves another identity's state alone", (t) => {
    const dir = makeTempDir(t);
    stateWithHistory(join(dir, 'mine'), oldKey);
    stateWithHistory(join(dir, 'theirs'), stranger);
    commitRekey(prepareRekey(dir, oldKey, newKey));
    const moved = ClientState.open(join(dir, 'mine'), newKey);
    assert.deepEqual(texts(moved), ['before the rotation']);
    assert.equal(moved.outbox[0]?.text, 'queued');
    assert.deepEqual(texts(ClientState.open(join(dir, 'theirs'), stranger)), ['before the rotation']);
  });

  it('finishes a rotation a crash cut short after the new key was saved', (t) => {
    const dir = makeTempDir(t);
    stateWithHistory(join(dir, 'mine'), oldKey);
    prepareRekey(dir, oldKey, newKey);
    // Crash: the identity is the new key, the files not yet renamed.
    assert.deepEqual(texts(ClientState.open(join(dir, 'mine'), newKey)), ['before the rotation']);
    assert.equal(existsSync(join(dir, 'mine.history.rekey')), false);
  });

  it('undoes a rotation a crash cut short before the new key was saved', (t) => {
    const dir = makeTempDir(t);
    stateWithHistory(join(dir, 'mine'), oldKey);
    prepareRekey(dir, oldKey, newKey);
    // Crash: the identity is still the old key.
    assert.deepEqual(texts(ClientState.open(join(dir, 'mine'), oldKey)), ['before the rotation']);
    assert.equal(existsSync(join(dir, 'mine.state.rekey')), false);
  });
});
