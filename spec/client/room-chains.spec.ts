// Our room chains and who holds them: the membership helpers, and what the engine does with them
// when a room's members change, with handovers sealed in batches (one signature per 64 members).
// Engines only, no sockets: each member's engine opens what the server would deliver to it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { E2eEngine } from '../../src/client/e2e-engine.js';
import { KnownPeers } from '../../src/client/known-peers.js';
import { type DirectoryPeer, PeerDirectory } from '../../src/client/peer-directory.js';
import { joinedOnly, membershipOf, withMembers } from '../../src/client/room-chains.js';
import { MAX_BATCH_LEAVES } from '../../src/core/batch-signature.js';
import { CryptoError } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import type { DeliverMessage, SendMessage } from '../../src/core/messages.js';
import { buildHello } from '../../src/core/prekey.js';
import { lowOrderSummary } from '../helpers/hostile-keys.js';
import { testIdentity } from '../helpers/identities.js';

const accept = () => undefined;
const ROOM = '#dev';

interface Member {
  readonly name: string;
  readonly identity: Identity;
  readonly engine: E2eEngine;
  readonly directory: PeerDirectory;
}

function member(name: string, identity: Identity): Member {
  return {
    name,
    identity,
    engine: new E2eEngine({ identity, selfName: () => name }),
    directory: new PeerDirectory(KnownPeers.inMemory(), () => name, identity.fingerprint),
  };
}

/** `viewer` lists `other` as the server would announce it. */
function list(viewer: Member, other: Member): DirectoryPeer {
  const hello = buildHello(other.identity, other.name, other.engine.signedPrekey);
  viewer.directory.add({
    name: other.name,
    publicKey: other.identity.publicKeyBase64,
    prekey: hello.prekey,
    prekeySig: hello.prekeySig,
    fingerprint: other.identity.fingerprint,
    joinedAt: 1,
  });
  return viewer.directory.get(other.name)!;
}

const deliver = (send: SendMessage): DeliverMessage => ({ type: 'message', from: 'alice', to: send.to, envelope: send.envelope });

/** What `reader` makes of a room line from alice, after the handovers addressed to it: the text, or why not. */
function readLine(reader: Member, sends: readonly SendMessage[]): string {
  const alice = reader.directory.get('alice')!;
  try {
    for (const send of sends) if (send.to === reader.name) reader.engine.open(deliver(send), alice, true);
    const opened = reader.engine.open(deliver(sends.at(-1)!), alice, true);
    return opened.kind === 'text' ? opened.text : opened.kind;
  } catch (error) {
    if (error instanceof CryptoError) return 'unreadable';
    throw error;
  }
}

describe('room chains: membership strings', () => {
  const peer = (name: string) => ({ name }) as DirectoryPeer;

  it('are the lowercase names, sorted; a newcomer is told apart from a change', () => {
    const held = membershipOf([peer('Carol'), peer('bob')]);
    assert.equal(held, 'bob\u0000carol');
    assert.deepEqual(
      joinedOnly(held, [peer('bob'), peer('carol'), peer('dave')])?.map((p) => p.name),
      ['dave'],
    );
    assert.equal(joinedOnly(held, [peer('bob'), peer('dave')]), undefined, 'carol is gone: not only a newcomer');
    assert.equal(withMembers(held, ['Anna']), 'anna\u0000bob\u0000carol');
  });
});

describe('room chains: members come and go (handovers in batches)', () => {
  let ids: Identity[];
  let alice: Member;
  let members: Member[];

  before(async () => {
    ids = await Promise.all([0, 1, 2].map(testIdentity));
    alice = member('alice', ids[0]!);
    // More than one batch: the second signature covers the rest.
    members = Array.from({ length: MAX_BATCH_LEAVES + 6 }, (_, i) => member(`m${i}`, ids[1 + (i % 2)]!));
    for (const m of members) {
      list(alice, m);
      list(m, alice);
    }
  });

  const peersOf = (group: readonly Member[]) => group.map((m) => alice.directory.get(m.name)!);

  it('a first line reaches every member, its handovers under one signature per batch', () => {
    const sealed = alice.engine.sealRoom(ROOM, 'first', peersOf(members), accept);
    const handovers = sealed.sends.slice(0, -1);
    assert.equal(handovers.length, members.length);
    assert.equal(new Set(handovers.map((s) => s.envelope.sig)).size, 2);
    assert.ok(handovers.every((s) => s.envelope.batch !== undefined));
    for (const m of members) assert.equal(readLine(m, sealed.sends), 'first', m.name);
  });

  it('after a leave, the rest read the next line and the one who left cannot', () => {
    const leaver = members.pop()!;
    const sealed = alice.engine.sealRoom(ROOM, 'after the leave', peersOf(members), accept);
    assert.equal(sealed.sends.length, members.length + 1, 'a new chain, handed to each who stayed');
    // Even given every envelope of the line, the leaver holds only the chain before it.
    assert.equal(readLine(leaver, sealed.sends), 'unreadable');
    for (const m of members) assert.equal(readLine(m, sealed.sends), 'after the leave', m.name);
  });

  it('a member who joined reads from their join on, and not the line before it', () => {
    const before = alice.engine.sealRoom(ROOM, 'before the join', peersOf(members), accept);
    const joiner = member('newcomer', ids[1]!);
    list(alice, joiner);
    list(joiner, alice);
    members.push(joiner);
    const after = alice.engine.sealRoom(ROOM, 'after the join', peersOf(members), accept);
    assert.equal(readLine(joiner, after.sends), 'after the join');
    assert.equal(readLine(joiner, before.sends), 'unreadable');
    for (const m of members.slice(0, -1)) assert.equal(readLine(m, after.sends), 'after the join', m.name);
  });

  it('a hostile member (a low-order prekey, or its entry of the batch tampered with) fails alone', () => {
    const mallory = member('mallory', ids[2]!);
    list(mallory, alice);
    alice.directory.add(lowOrderSummary(ids[2]!, 'mallory'));
    alice.directory.get('mallory')!.prekeyUsable = true; // as if unnoticed: the engine must cope
    const half = Math.floor(members.length / 2);
    const candidates = [...peersOf(members.slice(0, half)), alice.directory.get('mallory')!, ...peersOf(members.slice(half))];
    const sealed = alice.engine.sealRoom(ROOM, 'despite mallory', candidates, accept);
    assert.deepEqual(
      sealed.unreachable.map((p) => p.name),
      ['mallory'],
    );
    // One member's handover altered on the way: that member cannot read; its batch-mates can.
    const victim = members[1]!;
    const sends = sealed.sends.map((s) => (s.to === victim.name ? { ...s, envelope: { ...s.envelope, ct: Buffer.alloc(64).toString('base64') } } : s));
    assert.equal(readLine(victim, sends), 'unreadable');
    for (const m of members.filter((m) => m !== victim)) assert.equal(readLine(m, sends), 'despite mallory', m.name);
    assert.equal(readLine(mallory, sealed.sends), 'unreadable');
  });
});
