import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KnownPeers } from '../../src/client/known-peers.js';
import { PeerDirectory } from '../../src/client/peer-directory.js';
import { SessionPresence } from '../../src/client/session-presence.js';
import { ClientState } from '../../src/client/state/client-state.js';

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
});
