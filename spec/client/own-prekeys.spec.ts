// OwnPrekeys: the one-time prekeys a client holds the private halves of. A half handed out may be
// used by a peer days later, so none is dropped to make room; only age lets one go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ONE_TIME_PREKEYS_KEPT, ONE_TIME_PREKEY_KEEP_MS, OwnPrekeys } from '../../src/client/own-prekeys.js';

describe('OwnPrekeys', () => {
  it('never drops a half a peer may still use: at the most kept, it makes no more', () => {
    const prekeys = new OwnPrekeys();
    const first = prekeys.makeOneTime(MAX_ONE_TIME_PREKEYS_KEPT);
    assert.equal(first.length, MAX_ONE_TIME_PREKEYS_KEPT);
    assert.deepEqual(prekeys.makeOneTime(100), [], 'none made rather than any dropped');
    for (const { id } of first) assert.notEqual(prekeys.oneTimeById(id), undefined, `${id} kept`);
    prekeys.useOneTime(first[0]!.id);
    assert.equal(prekeys.makeOneTime(100).length, 1, 'a used half makes room for one');
  });

  it('lets halves go only once they are older than any peer could still use, across a restart', () => {
    const made = Date.now() - ONE_TIME_PREKEY_KEEP_MS - 1000;
    const old = new OwnPrekeys(undefined, made);
    const stale = old.makeOneTime(MAX_ONE_TIME_PREKEYS_KEPT, made);
    const restored = new OwnPrekeys(JSON.parse(JSON.stringify(old.toState())));
    assert.notEqual(restored.oneTimeById(stale[0]!.id), undefined, 'kept across a restart');
    const fresh = restored.makeOneTime(100);
    assert.equal(fresh.length, 100);
    assert.equal(restored.oneTimeById(stale[0]!.id), undefined, 'the stale ones went');
  });

  it('exports its state once until it changes, and every change shows in the next export', () => {
    const prekeys = new OwnPrekeys();
    const [made] = prekeys.makeOneTime(1);
    const first = prekeys.toState();
    assert.equal(prekeys.toState(), first, 'nothing changed: the same export');
    prekeys.useOneTime(made!.id);
    assert.deepEqual(Object.keys(prekeys.toState().oneTime), [], 'a used half is gone from the export');
    prekeys.makeOneTime(2);
    assert.equal(Object.keys(prekeys.toState().oneTime).length, 2);
    const signed = prekeys.toState().signed;
    assert.equal(prekeys.rotateIfDue(Date.now(), 0), true);
    assert.notEqual(prekeys.toState().signed, signed, 'a rotated signed prekey shows');
    assert.deepEqual(prekeys.toState().past, [signed]);
  });
});
