import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { KnownPeers } from '../../src/client/known-peers.js';
import { PeerDirectory } from '../../src/client/peer-directory.js';
import type { Identity } from '../../src/core/identity.js';
import { testIdentity } from '../helpers/identities.js';
import { peerSummary } from '../helpers/scripted-server.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

describe('PeerDirectory', () => {
  it('flags a name that reads like one online, and one pinned before it though offline now', () => {
    const known = KnownPeers.inMemory();
    known.observe('bob', ids[2]!.fingerprint, 1000);
    const directory = new PeerDirectory(known, () => 'me', ids[0]!.fingerprint);
    directory.add(peerSummary(['alice', ids[1]!]));
    const a1ice = directory.add(peerSummary(['a1ice', ids[2]!]));
    const b0b = directory.add(peerSummary(['b0b', ids[1]!]));
    assert.ok(a1ice.kind === 'added' && b0b.kind === 'added');
    assert.equal(directory.view(a1ice.peer).lookalikeOf, 'alice');
    assert.equal(directory.view(b0b.peer).lookalikeOf, 'bob');
    assert.equal(directory.view(directory.get('alice')!).lookalikeOf, 'a1ice', 'both sides are flagged');
    directory.remove('a1ice');
    assert.equal(directory.view(directory.get('alice')!).lookalikeOf, undefined, 'the original is not flagged by a look-alike pinned after it');
  });

  it('refuses an entry under its own name with a key that is not its own', () => {
    const directory = new PeerDirectory(KnownPeers.inMemory(), () => 'me', ids[0]!.fingerprint);
    assert.equal(directory.add(peerSummary(['me', ids[1]!])).kind, 'impostor');
    assert.equal(directory.add(peerSummary(['ME', ids[0]!])).kind, 'added');
  });
});

describe('PeerDirectory trust', () => {
  it('refuses :trust on a verified peer, keeping the verification and the first-seen date', () => {
    const known = KnownPeers.inMemory();
    const directory = new PeerDirectory(known, () => 'me', ids[0]!.fingerprint);
    directory.add(peerSummary(['bob', ids[1]!]));
    const firstSeen = known.get('bob')!.firstSeen;
    directory.markNumberShown(directory.get('bob')!);
    directory.accept('bob', true);
    assert.throws(() => directory.accept('bob', false), /verified already/);
    assert.equal(directory.view(directory.get('bob')!).verified, true);
    assert.equal(known.get('bob')!.firstSeen, firstSeen);
  });

  it('keeps the first-seen date when the pinned key is trusted again', () => {
    const known = KnownPeers.inMemory();
    known.observe('bob', 'ab', 1000);
    known.trust('bob', 'ab', 5000);
    assert.equal(known.get('bob')!.firstSeen, 1000);
  });
});
