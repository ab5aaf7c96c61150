import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerSummary } from '../../../src/core/messages.js';
import { RemoteMembers, type RemoteMembersHost } from '../../../src/server/cluster/remote-members.js';
import { silentLogger } from '../../../src/core/logger.js';

function peer(name: string, joinedAt = 1): PeerSummary {
  return { name, publicKey: `key-${name}`, prekey: 'p', prekeySig: 's', joinedAt } as PeerSummary;
}

function members(local: Set<string> = new Set()) {
  const events: string[] = [];
  const clashes: string[] = [];
  const host: RemoteMembersHost = {
    logger: silentLogger,
    holdsLocally: (name) => local.has(name),
    isMember: (name) => local.has(name),
    remoteJoined: (p) => events.push(`join ${p.name}`),
    remoteAway: (name, message) => events.push(`away ${name} ${message}`),
    remoteLeft: (name) => events.push(`leave ${name}`),
    nodeGone: (node) => events.push(`gone ${node}`),
  };
  return { remote: new RemoteMembers(host, (name) => clashes.push(name)), events, clashes };
}

describe('RemoteMembers', () => {
  it("lists each node's members by name, and drops a node's members (and tells) when its lease runs out", () => {
    const { remote, events } = members();
    const n1 = remote.nodeFor('n1');
    remote.show(n1, peer('bob'));
    remote.show(remote.nodeFor('n2'), peer('carol'));
    assert.equal(remote.get('BOB')?.node, 'n1');
    assert.equal(remote.count, 2);
    n1.lastHeardAt = 0;
    remote.expire(1);
    assert.equal(remote.get('bob'), undefined);
    assert.deepEqual(events, ['join bob', 'join carol', 'leave bob', 'gone n1']);
    assert.deepEqual(remote.nodeIds(), ['n2']);
  });

  it('keeps our member when another node announces the same name, asks for the claim to settle it, and shows theirs once ours is gone', () => {
    const local = new Set(['bob']);
    const { remote, events, clashes } = members(local);
    remote.show(remote.nodeFor('n1'), peer('bob'));
    assert.equal(remote.get('bob'), undefined);
    assert.deepEqual(clashes, ['bob']);
    local.delete('bob');
    remote.nameFreed('bob');
    assert.equal(remote.get('bob')?.node, 'n1');
    assert.deepEqual(events, ['join bob']);
  });

  it('tells only what changed when a member is announced again (away message), and follows a snapshot', () => {
    const { remote, events } = members();
    const n1 = remote.nodeFor('n1');
    remote.show(n1, peer('bob'));
    remote.show(n1, { ...peer('bob'), away: 'lunch' });
    remote.reconcile(n1, [peer('dave')]);
    assert.deepEqual(events, ['join bob', 'away bob lunch', 'leave bob', 'join dave']);
  });
});
