// The end-to-end engine on its own: no sockets, no server; two engines hand each other what they seal.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { E2eEngine } from '../../src/client/e2e-engine.js';
import { KnownPeers } from '../../src/client/known-peers.js';
import { type DirectoryPeer, PeerDirectory } from '../../src/client/peer-directory.js';
import { ChatError, ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import type { DeliverMessage, PeerSummary, SendMessage } from '../../src/core/messages.js';
import { buildHello } from '../../src/core/prekey.js';
import { lowOrderSummary } from '../helpers/hostile-keys.js';
import { MissingSenderKeyError } from '../../src/core/sender-key-store.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

const accept = () => undefined;

interface Party {
  readonly name: string;
  readonly engine: E2eEngine;
  readonly directory: PeerDirectory;
}

function party(name: string, identity: Identity): Party {
  const engine = new E2eEngine({ identity, selfName: () => name });
  return { name, engine, directory: new PeerDirectory(KnownPeers.inMemory(), () => name, identity.fingerprint) };
}

function summaryOf(name: string, identity: Identity, party: Party): PeerSummary {
  const hello = buildHello(identity, name, party.engine.signedPrekey);
  return { name, publicKey: identity.publicKeyBase64, prekey: hello.prekey, prekeySig: hello.prekeySig, fingerprint: identity.fingerprint, joinedAt: 1 };
}

/** `viewer`'s directory entry for `name`. */
function peerIn(viewer: Party, name: string): DirectoryPeer {
  return viewer.directory.get(name)!;
}

/** `engine`'s answer to one member's request for a chain, or undefined when it is not theirs to have. */
function answerOne(
  engine: E2eEngine,
  peer: DirectoryPeer,
  chain: string,
  n: number,
  room: string | null,
  check: () => undefined,
  open = false,
): SendMessage | undefined {
  return engine.answerKeyRequests([{ peer, chain, n, room, open }], check)[0];
}

/** What the server would deliver of a send, to `to` (or the room). */
function deliver(from: string, send: SendMessage): DeliverMessage {
  return { type: 'message', from, to: send.to, envelope: send.envelope };
}

describe('E2eEngine', () => {
  let alice: Party;
  let bob: Party;
  let carol: Party;

  before(() => {
    alice = party('alice', ids[0]!);
    bob = party('bob', ids[1]!);
    carol = party('carol', ids[2]!);
    for (const viewer of [alice, bob, carol]) {
      for (const [p, id] of [
        [alice, ids[0]!],
        [bob, ids[1]!],
        [carol, ids[2]!],
      ] as const)
        viewer.directory.add(summaryOf(p.name, id, p));
    }
  });

  it('hands its room sender key over the ratchet first, then seals the room message under it', () => {
    const sealed = alice.engine.sealRoom(null, 'hello room', [peerIn(alice, 'bob'), peerIn(alice, 'carol')], accept);
    assert.deepEqual(
      sealed.sends.map((s) => s.to),
      ['bob', 'carol', null],
    );
    for (const reader of [bob, carol]) {
      const handover = sealed.sends.find((s) => s.to === reader.name)!;
      assert.equal(reader.engine.open(deliver('alice', handover), peerIn(reader, 'alice'), true).kind, 'handover');
      const opened = reader.engine.open(deliver('alice', sealed.sends.at(-1)!), peerIn(reader, 'alice'), true);
      assert.deepEqual(opened.kind === 'text' && opened.text, 'hello room');
    }
  });

  it('keeps the chain while the members stay, and hands a new one when they change', () => {
    const same = alice.engine.sealRoom(null, 'again', [peerIn(alice, 'bob'), peerIn(alice, 'carol')], accept);
    assert.equal(same.sends.length, 1, 'no handover for the same members');
    const fewer = alice.engine.sealRoom(null, 'without carol', [peerIn(alice, 'bob')], accept);
    assert.deepEqual(
      fewer.sends.map((s) => s.to),
      ['bob', null],
    );
    // carol, who still holds the old chain, cannot read the message under the new one.
    assert.throws(() => carol.engine.open(deliver('alice', fewer.sends.at(-1)!), peerIn(carol, 'alice'), true), { code: ErrorCode.ENVELOPE_INVALID });
  });

  it('carries DMs both ways through the Double Ratchet and refuses a replay', () => {
    const toBob = alice.engine.sealDirect(peerIn(alice, 'bob'), 'secret', accept);
    const opened = bob.engine.open(deliver('alice', toBob), peerIn(bob, 'alice'), true);
    assert.deepEqual(opened.kind === 'text' && opened.text, 'secret');
    assert.throws(
      () => bob.engine.open(deliver('alice', toBob), peerIn(bob, 'alice'), true),
      (error: Error & { code?: string }) => error.code === ErrorCode.ENVELOPE_INVALID || error.code === ErrorCode.REPLAY,
    );
    const back = bob.engine.sealDirect(peerIn(bob, 'alice'), 'reply', accept);
    const reply = alice.engine.open(deliver('bob', back), peerIn(alice, 'bob'), true);
    assert.deepEqual(reply.kind === 'text' && reply.text, 'reply');
  });

  it('refuses a DM that was not addressed to it, and one from another sender than signed it', () => {
    const toCarol = alice.engine.sealDirect(peerIn(alice, 'carol'), 'for carol', accept);
    assert.throws(() => bob.engine.open(deliver('alice', toCarol), peerIn(bob, 'alice'), false), { code: ErrorCode.ENVELOPE_INVALID });
    const fromAlice = alice.engine.sealDirect(peerIn(alice, 'bob'), 'hi', accept);
    assert.throws(() => bob.engine.open(deliver('carol', fromAlice), peerIn(bob, 'carol'), true), { code: ErrorCode.ENVELOPE_INVALID });
  });

  it("reports the gap when a message in a sender's chain went missing", () => {
    alice.engine.sealDirect(peerIn(alice, 'carol'), 'one, which the server drops', accept);
    const second = alice.engine.sealDirect(peerIn(alice, 'carol'), 'two', accept);
    const opened = carol.engine.open(deliver('alice', second), peerIn(carol, 'alice'), true);
    assert.equal(opened.order.kind, 'gap');
  });

  it('leaves out a member whose prekey is a low-order point, and keys the rest', () => {
    alice.directory.add(lowOrderSummary(ids[2]!, 'dave'));
    const davePeer = peerIn(alice, 'dave');
    davePeer.prekeyUsable = true; // as if the directory had not noticed: the engine must cope on its own
    const sealed = alice.engine.sealRoom(null, 'room', [peerIn(alice, 'bob'), davePeer], accept);
    assert.deepEqual(
      sealed.unreachable.map((p) => p.name),
      ['dave'],
    );
    assert.equal(davePeer.prekeyUsable, false);
  });

  it('returns the handovers but refuses the room message when the check refuses it, and counts it as not sent', () => {
    const erin = party('erin', ids[0]!);
    erin.directory.add(summaryOf('bob', ids[1]!, bob));
    const tooLarge = new ChatError(ErrorCode.MESSAGE_TOO_LARGE, 'over the limit');
    const refused = erin.engine.sealRoom(null, 'too big', [peerIn(erin, 'bob')], (message) => {
      if (message.to === null) throw tooLarge;
    });
    assert.equal(refused.refused, tooLarge);
    assert.deepEqual(
      refused.sends.map((s) => s.to),
      ['bob'],
      'the handover still goes out: the chain moved',
    );
    const next = erin.engine.sealRoom(null, 'fits', [peerIn(erin, 'bob')], accept);
    assert.equal(next.sends.length, 1);
    assert.equal(next.sends[0]!.envelope.seq, 0, 'the refused message took no sequence number');
  });
});

describe('E2eEngine key requests (a handover that never came)', () => {
  function threeParties(): [Party, Party, Party] {
    const parties = [party('alice', ids[0]!), party('bob', ids[1]!), party('carol', ids[2]!)] as const;
    for (const viewer of parties) for (const [i, p] of parties.entries()) viewer.directory.add(summaryOf(p.name, ids[i]!, p));
    return [...parties];
  }

  it('hands a lost chain to a member who asks, from the message asked for on, once', () => {
    const [alice, bob] = threeParties();
    alice.engine.sealRoom(null, 'first, read by nobody here', [peerIn(alice, 'bob')], accept);
    const sealed = alice.engine.sealRoom(null, 'second', [peerIn(alice, 'bob')], accept);
    assert.equal(sealed.sends.length, 1, 'the handover went with the first message, and was lost');
    const room = deliver('alice', sealed.sends[0]!);
    const missing = (() => {
      try {
        bob.engine.open(room, peerIn(bob, 'alice'), true);
      } catch (error) {
        return error as MissingSenderKeyError;
      }
      assert.fail('bob has no key for it');
    })();
    assert.ok(missing instanceof MissingSenderKeyError);
    assert.equal(missing.n, 1);

    const request = bob.engine.requestKey(peerIn(bob, 'alice'), missing.chain, missing.n, null, accept);
    const asked = alice.engine.open(deliver('bob', request), peerIn(alice, 'bob'), true);
    assert.deepEqual(asked.kind === 'key-request' && [asked.chain, asked.n], [missing.chain, 1]);
    const answer = answerOne(alice.engine, peerIn(alice, 'bob'), missing.chain, 1, null, accept);
    assert.ok(answer !== undefined);
    assert.equal(answerOne(alice.engine, peerIn(alice, 'bob'), missing.chain, 1, null, accept), undefined, 'answered once');
    assert.equal(bob.engine.open(deliver('alice', answer), peerIn(bob, 'alice'), true).kind, 'handover');
    const opened = bob.engine.open(room, peerIn(bob, 'alice'), true);
    assert.deepEqual(opened.kind === 'text' && opened.text, 'second');
    // The grant starts at message 1: the first message stays closed to bob's copy.

    // carol was not a member when the chain was made: asking gets her nothing.
    assert.equal(answerOne(alice.engine, peerIn(alice, 'carol'), missing.chain, 0, null, accept), undefined);
    // Nor does asking for a message the chain has not sealed yet, or a chain alice never had.
    assert.equal(answerOne(alice.engine, peerIn(alice, 'bob'), 'no-such-chain', 0, null, accept), undefined);
  });

  it('in an open lobby answers anyone who asks, and hands a newcomer the current chain, never twice', () => {
    const [alice, bob, carol] = threeParties();
    // alice knows nobody yet: her first line goes with no handover at all.
    const first = alice.engine.sealRoom(null, 'hello strangers', [], accept, true);
    assert.equal(first.sends.length, 1);
    const chain = first.sends[0]!.envelope.senderKey!.id;
    assert.equal(answerOne(alice.engine, peerIn(alice, 'bob'), chain, 0, null, accept), undefined, 'closed: bob was no member');
    const answer = answerOne(alice.engine, peerIn(alice, 'bob'), chain, 0, null, accept, true);
    assert.ok(answer !== undefined, 'open: anyone on the server may ask');
    assert.equal(bob.engine.open(deliver('alice', answer), peerIn(bob, 'alice'), true).kind, 'handover');
    // bob holds the chain now; carol is new to alice: only she is handed it, and the chain stays.
    const second = alice.engine.sealRoom(null, 'second', [peerIn(alice, 'bob'), peerIn(alice, 'carol')], accept, true);
    assert.deepEqual(
      second.sends.map((send) => send.to),
      ['carol', null],
      'one handover, to carol, then the line',
    );
    const read = bob.engine.open(deliver('alice', second.sends[1]!), peerIn(bob, 'alice'), true);
    assert.deepEqual(read.kind === 'text' && read.text, 'second', 'bob reads on with the chain he asked for');
    assert.equal(carol.engine.open(deliver('alice', second.sends[0]!), peerIn(carol, 'alice'), true).kind, 'handover');
    assert.deepEqual(carol.engine.open(deliver('alice', second.sends[1]!), peerIn(carol, 'alice'), true).kind, 'text');
  });

  it('keeps a chain per named room: a handover for #dev opens nothing in #ops, and a key request names its room', () => {
    const [alice, bob] = threeParties();
    const dev = alice.engine.sealRoom('#dev', 'in dev', [peerIn(alice, 'bob')], accept);
    const ops = alice.engine.sealRoom('#ops', 'in ops', [peerIn(alice, 'bob')], accept);
    // bob gets #dev's handover and both room lines, but never #ops's handover.
    assert.equal(bob.engine.open(deliver('alice', dev.sends[0]!), peerIn(bob, 'alice'), true).kind, 'handover');
    const devLine = bob.engine.open(deliver('alice', dev.sends[1]!), peerIn(bob, 'alice'), true);
    assert.deepEqual(devLine.kind === 'text' && devLine.text, 'in dev');
    // The #ops line re-addressed by a server to #dev does not open there either (no #dev chain of that id, and the header names #ops).
    assert.throws(() => bob.engine.open({ ...deliver('alice', ops.sends[1]!), to: '#dev' }, peerIn(bob, 'alice'), true));
    const missing = (() => {
      try {
        bob.engine.open(deliver('alice', ops.sends[1]!), peerIn(bob, 'alice'), true);
      } catch (error) {
        return error as MissingSenderKeyError;
      }
      assert.fail('bob has no #ops key: the #dev one must not open it');
    })();
    assert.ok(missing instanceof MissingSenderKeyError);
    const request = bob.engine.requestKey(peerIn(bob, 'alice'), missing.chain, missing.n, '#ops', accept);
    const asked = alice.engine.open(deliver('bob', request), peerIn(alice, 'bob'), true);
    assert.deepEqual(asked.kind === 'key-request' && [asked.chain, asked.room], [missing.chain, '#ops']);
    assert.equal(answerOne(alice.engine, peerIn(alice, 'bob'), missing.chain, 0, '#dev', accept), undefined, 'not a #dev chain');
    const answer = answerOne(alice.engine, peerIn(alice, 'bob'), missing.chain, 0, '#ops', accept);
    assert.ok(answer !== undefined);
    assert.equal(bob.engine.open(deliver('alice', answer), peerIn(bob, 'alice'), true).kind, 'handover');
    const opsLine = bob.engine.open(deliver('alice', ops.sends[1]!), peerIn(bob, 'alice'), true);
    assert.deepEqual(opsLine.kind === 'text' && opsLine.text, 'in ops');
  });

  it('answers for a recent earlier chain too, after the membership moved on', () => {
    const [alice, bob] = threeParties();
    const old = alice.engine.sealRoom(null, 'on the old chain', [peerIn(alice, 'bob')], accept);
    alice.engine.sealRoom(null, 'on a new chain', [peerIn(alice, 'bob'), peerIn(alice, 'carol')], accept);
    const room = deliver('alice', old.sends.at(-1)!);
    const chain = old.sends.at(-1)!.envelope.senderKey!.id;
    const answer = answerOne(alice.engine, peerIn(alice, 'bob'), chain, 0, null, accept);
    assert.ok(answer !== undefined);
    bob.engine.open(deliver('alice', answer), peerIn(bob, 'alice'), true);
    const opened = bob.engine.open(room, peerIn(bob, 'alice'), true);
    assert.deepEqual(opened.kind === 'text' && opened.text, 'on the old chain');
    assert.equal(answerOne(alice.engine, peerIn(alice, 'bob'), chain, 1, null, accept), undefined, 'message 1 was never sealed on it');
  });

  it('answers the requests of one turn under one signature, a member asking for two chains given both', () => {
    const [alice, bob, carol] = threeParties();
    const lobby = alice.engine.sealRoom(null, 'in the lobby', [], accept, true);
    const dev = alice.engine.sealRoom('#dev', 'in dev', [peerIn(alice, 'bob')], accept);
    const lobbyChain = lobby.sends.at(-1)!.envelope.senderKey!.id;
    const devChain = dev.sends.at(-1)!.envelope.senderKey!.id;
    const answers = alice.engine.answerKeyRequests(
      [
        { peer: peerIn(alice, 'bob'), chain: lobbyChain, n: 0, room: null, open: true },
        { peer: peerIn(alice, 'carol'), chain: lobbyChain, n: 0, room: null, open: true },
        { peer: peerIn(alice, 'bob'), chain: devChain, n: 0, room: '#dev', open: false },
        { peer: peerIn(alice, 'carol'), chain: devChain, n: 0, room: '#dev', open: false },
        { peer: peerIn(alice, 'bob'), chain: lobbyChain, n: 0, room: null, open: true },
      ],
      accept,
    );
    assert.deepEqual(
      answers.map((answer) => answer.to),
      ['bob', 'carol', 'bob'],
      'carol was no member of #dev, and bob asked twice for the lobby: answered once',
    );
    assert.ok(
      answers.every((answer) => answer.envelope.batch?.n === 3 && answer.envelope.sig === answers[0]!.envelope.sig),
      'one signature over the three',
    );
    assert.deepEqual(
      answers.filter((answer) => answer.to === 'bob').map((answer) => answer.envelope.seq),
      [answers[0]!.envelope.seq, answers[0]!.envelope.seq + 1],
      "bob's two answers numbered one after the other",
    );
    for (const answer of answers) {
      const reader = answer.to === 'bob' ? bob : carol;
      assert.equal(reader.engine.open(deliver('alice', answer), peerIn(reader, 'alice'), true).kind, 'handover');
    }
    const bobReads = bob.engine.open(deliver('alice', dev.sends.at(-1)!), peerIn(bob, 'alice'), true);
    assert.deepEqual(bobReads.kind === 'text' && bobReads.text, 'in dev');
    const carolReads = carol.engine.open(deliver('alice', lobby.sends.at(-1)!), peerIn(carol, 'alice'), true);
    assert.deepEqual(carolReads.kind === 'text' && carolReads.text, 'in the lobby');
  });

  it('keeps the chains it can answer for across a restart', () => {
    const [alice, bob] = threeParties();
    const sealed = alice.engine.sealRoom(null, 'before the restart', [peerIn(alice, 'bob')], accept);
    const restarted = new E2eEngine({ identity: ids[0]!, selfName: () => 'alice', state: alice.engine.exportState() });
    const chain = sealed.sends.at(-1)!.envelope.senderKey!.id;
    const answer = answerOne(restarted, peerIn(alice, 'bob'), chain, 0, null, accept);
    assert.ok(answer !== undefined);
    assert.equal(bob.engine.open(deliver('alice', answer), peerIn(bob, 'alice'), true).kind, 'handover');
    const opened = bob.engine.open(deliver('alice', sealed.sends.at(-1)!), peerIn(bob, 'alice'), true);
    assert.deepEqual(opened.kind === 'text' && opened.text, 'before the restart');
  });
});

describe('E2eEngine sessions from fetched bundles (X3DH-shaped, protocol v4)', () => {
  /** What the server would hand `viewer` for `owner`: the signed prekey, and one one-time prekey if asked. */
  function bundle(owner: Party, identity: Identity, oneTime: boolean): PeerSummary {
    const [opk] = oneTime ? owner.engine.makeOneTimePrekeys(1) : [];
    return { ...summaryOf(owner.name, identity, owner), ...(opk === undefined ? {} : { oneTimePrekey: opk }) };
  }

  /** `a` fetched `b`'s bundle (with a one-time prekey unless told not to); `b` knows `a`'s keys. */
  function meet(a: Party, aId: Identity, b: Party, bId: Identity, oneTime = true): void {
    a.directory.add(bundle(b, bId, oneTime));
    b.directory.add(bundle(a, aId, false));
  }

  const text = (opened: ReturnType<E2eEngine['open']>) => (opened.kind === 'text' ? opened.text : opened.kind);

  it('starts a first DM from the bundle alone (the recipient away), consuming its one-time prekey once', () => {
    const alice = party('alice', ids[0]!);
    const bob = party('bob', ids[1]!);
    const bobBundle = bundle(bob, ids[1]!, true);
    alice.directory.add(bobBundle);
    bob.directory.add(bundle(alice, ids[0]!, false));
    assert.notEqual(peerIn(alice, 'bob').oneTimePrekey, undefined);
    const first = alice.engine.sealDirect(peerIn(alice, 'bob'), 'while you were away', accept);
    const second = alice.engine.sealDirect(peerIn(alice, 'bob'), 'and again', accept);
    assert.equal(peerIn(alice, 'bob').oneTimePrekey, undefined, 'used once');
    assert.notEqual(first.envelope.ratchet?.init?.opk, undefined);
    // Bob comes back later (a restart in between) and reads both.
    const restartedBob = new E2eEngine({ identity: ids[1]!, selfName: () => 'bob', state: bob.engine.exportState() });
    assert.equal(text(restartedBob.open(deliver('alice', first), peerIn(bob, 'alice'), true)), 'while you were away');
    assert.equal(text(restartedBob.open(deliver('alice', second), peerIn(bob, 'alice'), true)), 'and again');
    // The one-time prekey is gone (and stays gone across a restart): a second session started
    // from the same bundle (alice after losing her state) opens nothing.
    const bobAgain = new E2eEngine({ identity: ids[1]!, selfName: () => 'bob', state: restartedBob.exportState() });
    const aliceAfresh = party('alice', ids[0]!);
    aliceAfresh.directory.add(bobBundle);
    const reuse = aliceAfresh.engine.sealDirect(peerIn(aliceAfresh, 'bob'), 'same one-time prekey', accept);
    assert.equal(reuse.envelope.ratchet!.init!.opk, first.envelope.ratchet!.init!.opk);
    assert.throws(() => bobAgain.open(deliver('alice', reuse), peerIn(bob, 'alice'), true), { code: ErrorCode.ENVELOPE_INVALID });
  });

  it('copes with both sides starting a session at once, and settles on one', () => {
    const alice = party('alice', ids[0]!);
    const bob = party('bob', ids[1]!);
    meet(alice, ids[0]!, bob, ids[1]!);
    const fromAlice = alice.engine.sealDirect(peerIn(alice, 'bob'), 'hi bob', accept);
    const fromBob = bob.engine.sealDirect(peerIn(bob, 'alice'), 'hi alice', accept);
    assert.notEqual(fromAlice.envelope.ratchet!.sid, fromBob.envelope.ratchet!.sid);
    assert.equal(text(bob.engine.open(deliver('alice', fromAlice), peerIn(bob, 'alice'), true)), 'hi bob');
    assert.equal(text(alice.engine.open(deliver('bob', fromBob), peerIn(alice, 'bob'), true)), 'hi alice');
    for (let turn = 0; turn < 3; turn++) {
      const a = alice.engine.sealDirect(peerIn(alice, 'bob'), `a${turn}`, accept);
      assert.equal(text(bob.engine.open(deliver('alice', a), peerIn(bob, 'alice'), true)), `a${turn}`);
      const b = bob.engine.sealDirect(peerIn(bob, 'alice'), `b${turn}`, accept);
      assert.equal(text(alice.engine.open(deliver('bob', b), peerIn(alice, 'bob'), true)), `b${turn}`);
      assert.equal(a.envelope.ratchet!.sid, b.envelope.ratchet!.sid, 'both send on the same session');
    }
  });

  it('rotates its signed prekey on schedule, and still opens a session started to the previous one', () => {
    const alice = party('alice', ids[0]!);
    const bob = party('bob', ids[1]!);
    meet(alice, ids[0]!, bob, ids[1]!, false);
    const before = bob.engine.signedPrekey.publicRaw.toString('base64');
    assert.equal(bob.engine.rotateSignedPrekeyIfDue(Date.now()), false, 'not due yet');
    // Alice seals from the bundle she fetched before bob rotated.
    const sealed = alice.engine.sealDirect(peerIn(alice, 'bob'), 'to the old signed prekey', accept);
    assert.equal(bob.engine.rotateSignedPrekeyIfDue(Date.now() + 8 * 24 * 3600_000), true);
    assert.notEqual(bob.engine.signedPrekey.publicRaw.toString('base64'), before);
    assert.equal(text(bob.engine.open(deliver('alice', sealed), peerIn(bob, 'alice'), true)), 'to the old signed prekey');
    // The session goes on across bob's new bundle.
    alice.directory.add(summaryOf('bob', ids[1]!, bob));
    const next = alice.engine.sealDirect(peerIn(alice, 'bob'), 'same session', accept);
    assert.equal(next.envelope.ratchet!.sid, sealed.envelope.ratchet!.sid);
    assert.equal(text(bob.engine.open(deliver('alice', next), peerIn(bob, 'alice'), true)), 'same session');
  });
});
