import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KnownPeers } from '../../src/client/known-peers.js';
import { PeerDirectory, type PeerView } from '../../src/client/peer-directory.js';
import { SessionPresence } from '../../src/client/session-presence.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import type { PeerSummary } from '../../src/core/messages.js';
import { signPrekey } from '../../src/core/prekey.js';
import { testIdentity } from '../helpers/identities.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A session's presence on a big server (presence of followed users only), its requests written down. */
function followingPresence() {
  const follows: string[][] = [];
  const presence = new SessionPresence({
    directory: new PeerDirectory(KnownPeers.inMemory(), () => 'me', 'ff'),
    state: ClientState.inMemory(),
    send: (message) => {
      if (message.type === 'follow') follows.push(message.names);
      return true;
    },
    keysOnSight: () => false,
    isRoomMate: () => false,
    emit: () => {},
  });
  presence.follower.reset('followed');
  return { presence, follows };
}

describe('SessionPresence', () => {
  it('follows strangers one request at a time: names asked for meanwhile go together once it is answered', async () => {
    const { presence, follows } = followingPresence();
    const first = presence.ensureListed(['r1']);
    presence.ensureListed(['r2']);
    await turn();
    assert.deepEqual(follows, [['r1', 'r2']], 'the names of one turn in one request');
    // Messages from more strangers, over several turns, while the first request is on its way.
    const waiting: Array<Promise<void>> = [];
    for (const name of ['r3', 'r4', 'r5']) {
      waiting.push(presence.ensureListed([name]));
      await turn();
    }
    assert.deepEqual(follows, [['r1', 'r2']], 'nothing more while one is on its way');
    await presence.onFollowed({ type: 'followed', peers: [], unknown: ['r1', 'r2'] });
    await first;
    while (follows.length < 2) await turn();
    assert.deepEqual(
      follows,
      [
        ['r1', 'r2'],
        ['r3', 'r4', 'r5'],
      ],
      'then the rest, in one',
    );
    await presence.onFollowed({ type: 'followed', peers: [], unknown: ['r3', 'r4', 'r5'] });
    await Promise.all(waiting);
  });

  it("lists a big room's member from presence without keys, and fetches them in one request, no follow, once needed", async () => {
    const requests: Array<{ type: string; names: string[] }> = [];
    const shown: PeerView[][] = [];
    const presence = new SessionPresence({
      directory: new PeerDirectory(KnownPeers.inMemory(), () => 'me', 'ff'),
      state: ClientState.inMemory(),
      send: (message) => {
        requests.push(message);
        return true;
      },
      keysOnSight: (name) => name === 'teammate',
      isRoomMate: (name) => name === 'teammate' || name === 'carol',
      emit: (event, payload) => {
        if (event === 'peers') shown.push(payload as PeerView[]);
      },
    });
    presence.follower.reset('followed');
    const bob = await testIdentity(1);
    const prekey = generateX25519().publicRaw;
    const presenceOf = (name: string): PeerSummary => ({ name, fingerprint: bob.fingerprint, joinedAt: 1, keyId: 'k1' });
    await presence.step({ type: 'join', peer: presenceOf('bob') })();
    assert.deepEqual(requests, [], 'no keys fetched for a member of a big room');
    assert.deepEqual(
      presence.views().map((view) => [view.name, view.fingerprint]),
      [['bob', '']],
      "listed, without a fingerprint taken on the server's word",
    );
    const bundleOf = (name: string): PeerSummary => ({
      ...presenceOf(name),
      publicKey: bob.publicKeyBase64,
      prekey: prekey.toString('base64'),
      prekeySig: signPrekey(bob.privateKey, name, prekey).toString('base64'),
    });
    const teammate = presence.step({ type: 'join', peer: presenceOf('teammate') })();
    await turn();
    assert.deepEqual(requests, [{ type: 'keys', names: ['teammate'] }], 'one we share a small room with: keys on sight');
    presence.keys.received([bundleOf('teammate')]);
    await teammate;
    requests.length = 0;
    const listed = presence.ensureListed(['bob']);
    presence.ensureListed(['bob']);
    await turn();
    await turn();
    assert.deepEqual(requests, [{ type: 'keys', names: ['bob'] }], 'the keys of the one listed, once, and no follow');
    presence.keys.received([bundleOf('bob')]);
    await listed;
    assert.equal(shown.at(-1)?.find((view) => view.name === 'bob')?.fingerprint, bob.fingerprint, 'the views are told bob is listed with his key now');
    requests.length = 0;
    const carol = presence.ensureListed(['carol']);
    await turn();
    await turn();
    assert.deepEqual(requests, [{ type: 'keys', names: ['carol'] }], 'a room-mate we have no presence of: her keys, no follow');
    presence.keys.received([bundleOf('carol')]);
    await carol;
    assert.deepEqual(
      presence
        .views()
        .map((view) => [view.name, view.fingerprint])
        .sort(),
      [
        ['bob', bob.fingerprint],
        ['carol', bob.fingerprint],
        ['teammate', bob.fingerprint],
      ],
      'each listed with their keys, once',
    );
  });
});
