// Three (or two) real nodes on one real nats-server, with clients spread across them: one chat.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { ErrorCode } from '../../../src/core/errors.js';
import type { Identity } from '../../../src/core/identity.js';
import { createLineLogger } from '../../../src/core/logger.js';
import type { ServerMessage } from '../../../src/core/messages.js';
import { generateX25519 } from '../../../src/core/double-ratchet.js';
import { signJoinChallenge } from '../../../src/core/join-proof.js';
import { buildHello } from '../../../src/core/prekey.js';
import { ChatSession } from '../../../src/client/chat-session.js';
import { KnownPeers } from '../../../src/client/known-peers.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import type { ClusterOptions } from '../../../src/server/cluster/cluster-options.js';
import { encodeDirectBatch, encodeRoomBatch } from '../../../src/server/cluster/cluster-wire.js';
import { waitFor, waitUntil } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';
import type { ServerLimits } from '../../../src/server/server-limits.js';
import { NatsBroker } from '../../helpers/nats-broker.js';
import { RawClient } from '../../helpers/raw-client.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

/** Short timings so that leases run out in a test's time; the bound is lease + one heartbeat. */
const TIMING = { heartbeatMs: 200, leaseMs: 1000, requestTimeoutMs: 1000 } as const;

let broker: NatsBroker;
let ids: Identity[];

before(async () => {
  broker = await NatsBroker.start();
  ids = await Promise.all([0, 1, 2, 3, 4].map(testIdentity));
});
after(() => broker.destroy());

interface Node {
  readonly server: ChatServer;
  readonly port: number;
  readonly logs: string[];
}

/** Each test gets its own cluster name: tests share the broker, never each other's chat. */
function clusterOptions(url: string): ClusterOptions {
  return { url, name: `spec-${randomBytes(4).toString('hex')}`, ...TIMING };
}

async function startNodes(t: TestContext, count: number, options = clusterOptions(broker.url), limits: Partial<ServerLimits> = {}): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const logs: string[] = [];
    const server = new ChatServer({ port: 0, logger: createLineLogger((line) => logs.push(line), 'debug'), cluster: options, limits });
    const { port } = await server.listen();
    t.after(() => server.close());
    nodes.push({ server, port, logs });
  }
  return nodes;
}

function envelope(id: string) {
  return { id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' };
}

function dmEnvelope(id: string) {
  return { ...envelope(id), ratchet: { sid: randomBytes(32).toString('base64'), dh: randomBytes(32).toString('base64'), pn: 0, n: 0 } };
}

async function everyNodeLists(nodes: readonly Node[], names: readonly string[]): Promise<void> {
  await waitUntil(() => nodes.every((node) => names.every((name) => node.server.peerNames.includes(name))), `every node to list ${names.join(', ')}`);
}

/** Identities by name: alice is testIdentity(0), bob 1, carol 2, dave 3. */
const PEOPLE = ['alice', 'bob', 'carol', 'dave'];

/** Joins each person on their node and waits until every node lists them all. */
async function joinAll(t: TestContext, nodes: readonly Node[], placement: ReadonlyArray<readonly [Node, string]>): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (const [node, name] of placement) clients.push(await RawClient.join(node.port, name, ids[PEOPLE.indexOf(name)]!));
  t.after(() => {
    for (const client of clients) client.close();
  });
  await everyNodeLists(
    nodes,
    placement.map(([, name]) => name),
  );
  return clients;
}

/** Two nodes of one cluster, alice on the first and bob on the second, both listed everywhere. */
async function aliceAndBobOnTwoNodes(t: TestContext, options = clusterOptions(broker.url)) {
  const [n1, n2] = (await startNodes(t, 2, options)) as [Node, Node];
  const [a, b] = (await joinAll(
    t,
    [n1, n2],
    [
      [n1, 'alice'],
      [n2, 'bob'],
    ],
  )) as [RawClient, RawClient];
  return { options, n1, n2, a, b };
}

/** A plain NATS client on the shared broker: what anyone else on it could see and send. */
async function brokerClient(t: TestContext) {
  const client = await connect({ servers: broker.url });
  t.after(() => client.close());
  return client;
}

/** Joins as far as the server lets it: the welcome, or the error that refused the name. */
async function tryJoin(port: number, name: string, identity: Identity): Promise<{ client: RawClient; outcome: ServerMessage }> {
  const client = await RawClient.open(port);
  client.send(buildHello(identity, name, generateX25519()));
  let outcome: ServerMessage = await waitFor(() => client.received.find((m) => m.type === 'challenge' || m.type === 'error'), `an answer to ${name}'s hello`);
  if (outcome.type === 'challenge') {
    const signature = signJoinChallenge(identity.privateKey, Buffer.from(outcome.nonce, 'base64'), name, identity.publicKeyDer);
    client.send({ type: 'auth', signature: signature.toString('base64') });
    outcome = await waitFor(() => client.received.find((m) => m.type === 'welcome' || m.type === 'error'), `an answer to ${name}'s auth`);
  }
  return { client, outcome };
}

/** Three nodes of one cluster, alice, bob and carol on one each, all listed everywhere. */
async function aliceBobAndCarolOnThreeNodes(t: TestContext) {
  const [n1, n2, n3] = (await startNodes(t, 3)) as [Node, Node, Node];
  const placement = [
    [n1, 'alice'],
    [n2, 'bob'],
    [n3, 'carol'],
  ] as const;
  const [a, b, c] = (await joinAll(t, [n1, n2, n3], placement)) as [RawClient, RawClient, RawClient];
  return { n1, n2, n3, a, b, c };
}

describe('a cluster of nodes on one broker', () => {
  it('shows one peer list and delivers room messages across three nodes, each recipient once', async (t) => {
    const { a, b, c } = await aliceBobAndCarolOnThreeNodes(t);
    assert.deepEqual(new Set([(await a.next('join')).peer.name, (await a.next('join')).peer.name]), new Set(['bob', 'carol']));
    // The marker: a DM from alice. Every node listed everyone before it (joinAll), so a join for
    // carol would have to come before it.
    a.send({ type: 'send', to: 'carol', envelope: dmEnvelope('marker-0') });
    await c.next('message');
    assert.equal(
      c.received.some((m) => m.type === 'join'),
      false,
      'carol joined last, so she hears of nobody new',
    );
    await a.next('ack');

    a.send({ type: 'send', to: null, envelope: envelope('room-1') });
    const [toBob, toCarol] = await Promise.all([b.next('message'), c.next('message')]);
    assert.equal(toBob.envelope.id, 'room-1');
    assert.equal(toBob.from, 'alice');
    assert.equal(toCarol.envelope.id, 'room-1');
    const ack = await a.next('ack');
    assert.deepEqual({ sent: [...ack.sent].sort(), refused: ack.refused }, { sent: ['bob', 'carol'], refused: [] });
    // Each node takes the room message once: nobody gets a second copy before the next one (the
    // broker keeps one publisher's order).
    a.send({ type: 'send', to: null, envelope: envelope('room-2') });
    assert.deepEqual([(await b.next('message')).envelope.id, (await c.next('message')).envelope.id], ['room-2', 'room-2']);
    await a.next('ack');

    c.close();
    assert.equal((await a.next('leave')).name, 'carol');
    assert.equal((await b.next('leave')).name, 'carol');
  });

  it('sends a DM only to the node holding the recipient, and says when nobody holds that name', async (t) => {
    const { a, b, c } = await aliceBobAndCarolOnThreeNodes(t);

    a.send({ type: 'send', to: 'carol', envelope: dmEnvelope('dm-1') });
    const delivered = await c.next('message');
    assert.equal(delivered.envelope.id, 'dm-1');
    assert.equal(delivered.to, 'carol');
    assert.deepEqual((await a.next('ack')).sent.length, 1);
    // The marker: alice's next DM, to bob. Carol's would have reached him first.
    a.send({ type: 'send', to: 'bob', envelope: dmEnvelope('marker-1') });
    assert.equal((await b.next('message')).envelope.id, 'marker-1', "bob is not sent carol's DM");
    await a.next('ack');

    a.send({ type: 'send', to: 'nobody', envelope: dmEnvelope('dm-2') });
    const ack = await a.next('ack');
    assert.equal(ack.id, 'dm-2');
    assert.equal(ack.refused[0]?.code, ErrorCode.NO_SUCH_PEER);
  });

  it('tells every node of an away message, and who joins another node later sees it', async (t) => {
    const { n3, a, b, c } = await aliceBobAndCarolOnThreeNodes(t);
    b.send({ type: 'away', message: 'in a meeting' });
    assert.deepEqual(await a.next('away'), { type: 'away', name: 'bob', message: 'in a meeting' });
    assert.deepEqual(await c.next('away'), { type: 'away', name: 'bob', message: 'in a meeting' });
    b.send({ type: 'away', message: '' });
    assert.deepEqual(await c.next('away'), { type: 'away', name: 'bob', message: '' }, 'and when they are back');
    b.send({ type: 'away', message: 'out' });
    await a.next('away');
    await c.next('away');
    const dave = await RawClient.join(n3.port, 'dave', ids[3]!);
    assert.equal(dave.welcome?.peers.find((p) => p.name === 'bob')?.away, 'out');
    dave.close();
  });

  it('gives a name to exactly one of three nodes admitting it at the same moment', async (t) => {
    // Eight names from each key and one address: past their shares, which this race is not about.
    const nodes = (await startNodes(t, 3, clusterOptions(broker.url), { maxNamesPerKey: 100, maxNamesPerAddress: 100 })) as [Node, Node, Node];
    for (let round = 0; round < 8; round++) {
      const name = `dave${round}`;
      const attempts = await Promise.all(nodes.map((node, i) => tryJoin(node.port, name, ids[2 + i]!)));
      t.after(() => {
        for (const { client } of attempts) client.close();
      });
      const outcomes = attempts.map(({ outcome }) => outcome);
      assert.equal(outcomes.filter((m) => m.type === 'welcome').length, 1, `round ${round}: one winner`);
      for (const loser of outcomes.filter((m) => m.type !== 'welcome')) assert.equal(loser.type === 'error' && loser.code, ErrorCode.NAME_TAKEN);
    }
    await waitUntil(() => nodes.every((node) => node.server.peerNames.length === 8), 'every node to list the eight winners');
    for (const node of nodes) assert.equal(node.server.peerNames.filter((name) => name === 'dave3').length, 1);
  });

  it('carries real end-to-end encrypted room messages and DMs between sessions on different nodes; the broker sees no plaintext', async (t) => {
    const options = clusterOptions(broker.url);
    // Everything published for this cluster, as the broker (or anyone on it) would see it.
    const sniffer = await brokerClient(t);
    const seen: string[] = [];
    sniffer.subscribe(`${options.name}.>`, { callback: (_error, msg) => void seen.push(Buffer.from(msg.data).toString('latin1')) });
    await sniffer.flush();
    const [n1, n2] = await startNodes(t, 2, options);
    const alice = new ChatSession({ host: '127.0.0.1', port: n1!.port, name: 'alice', identity: ids[0]!, knownPeers: KnownPeers.inMemory() });
    const bob = new ChatSession({ host: '127.0.0.1', port: n2!.port, name: 'bob', identity: ids[1]!, knownPeers: KnownPeers.inMemory() });
    t.after(() => Promise.all([alice.close('bye'), bob.close('bye')]));
    await alice.connect();
    const bobJoined = new Promise((resolve) => alice.on('join', resolve));
    await bob.connect();
    await bobJoined;
    const texts: string[] = [];
    bob.on('message', (m) => texts.push(`${m.from}:${m.to ?? 'room'}:${m.text}`));
    const aliceGot: string[] = [];
    alice.on('message', (m) => aliceGot.push(`${m.from}:${m.to ?? 'room'}:${m.text}`));
    alice.sendRoom('hello from node one');
    alice.sendDirect('bob', 'a secret across nodes');
    await waitUntil(() => texts.length === 2, 'bob to read both messages');
    assert.deepEqual(texts, ['alice:room:hello from node one', 'alice:bob:a secret across nodes']);
    bob.sendDirect('alice', 'and back');
    await waitUntil(() => aliceGot.length === 1, 'alice to read the reply');
    assert.deepEqual(aliceGot, ['bob:alice:and back']);
    await sniffer.flush();
    // The relays are binary batches ('R' / 'D' 1, then the node id) with the envelopes in them.
    assert.ok(
      seen.some((payload) => payload.startsWith('R\u0002') && payload.includes('"ct"')) && seen.some((payload) => payload.startsWith('D\u0001')),
      'the sniffer saw the room and DM relays go by',
    );
    for (const secret of ['hello from node one', 'a secret across nodes', 'and back']) {
      assert.equal(
        seen.some((payload) => payload.includes(secret)),
        false,
        `"${secret}" crossed the broker in the clear`,
      );
    }
  });

  it('past --full-presence-max-users, finds a user on another node by name, and tells a follower when they go', async (t) => {
    const [n1, n2] = await startNodes(t, 2, clusterOptions(broker.url), { fullPresenceMaxUsers: 0 });
    const alice = new ChatSession({ host: '127.0.0.1', port: n1!.port, name: 'alice', identity: ids[0]!, knownPeers: KnownPeers.inMemory() });
    const bob = new ChatSession({ host: '127.0.0.1', port: n2!.port, name: 'bob', identity: ids[1]!, knownPeers: KnownPeers.inMemory() });
    t.after(() => Promise.all([alice.close('bye'), bob.close('bye')]));
    await alice.connect();
    await bob.connect();
    await everyNodeLists([n1!, n2!], ['alice', 'bob']);
    assert.deepEqual(
      alice.peers().map((p) => p.name),
      ['alice'],
      'bob, on the other node, is not listed to alice',
    );
    const bobGot: string[] = [];
    bob.on('message', (m) => bobGot.push(`${m.from}:${m.to ?? 'room'}:${m.text}`));
    assert.equal(await alice.lookup('bob'), true, 'found on the other node');
    alice.sendDirect('bob', 'across nodes, unlisted');
    alice.sendRoom('lobby across nodes');
    await waitUntil(() => bobGot.length === 2, 'bob to read both');
    assert.deepEqual(bobGot, ['alice:bob:across nodes, unlisted', 'alice:room:lobby across nodes']);
    const bobWent = new Promise((resolve) => alice.on('leave', resolve));
    await bob.close('bye');
    await bobWent;
  });

  it('keeps named rooms cluster-wide: members on two nodes see each other, read each other, and a room survives its node', async (t) => {
    const options = clusterOptions(broker.url);
    const [n1, n2] = await startNodes(t, 2, options);
    const alice = new ChatSession({ host: '127.0.0.1', port: n1!.port, name: 'alice', identity: ids[0]!, knownPeers: KnownPeers.inMemory() });
    const bob = new ChatSession({ host: '127.0.0.1', port: n2!.port, name: 'bob', identity: ids[1]!, knownPeers: KnownPeers.inMemory() });
    t.after(() => Promise.all([alice.close('bye'), bob.close('bye')]));
    await alice.connect();
    await bob.connect();
    alice.joinRoom('#dev');
    await waitUntil(() => alice.room('#dev') !== undefined, 'alice to be in #dev');
    bob.joinRoom('#dev');
    await waitUntil(() => bob.room('#dev')?.members.length === 2, 'bob, on the other node, to find alice in #dev');
    await waitUntil(() => alice.room('#dev')?.members.length === 2, 'alice to hear that bob joined on the other node');
    const bobGot: string[] = [];
    bob.on('message', (m) => bobGot.push(`${m.to}:${m.text}`));
    alice.send('#dev', 'across nodes in #dev');
    await waitUntil(() => bobGot.length === 1, 'bob to read the #dev line');
    assert.deepEqual(bobGot, ['#dev:across nodes in #dev']);
    alice.setTopic('#dev', 'set on node one');
    await waitUntil(() => bob.room('#dev')?.topic === 'set on node one', 'the topic to reach the other node');
    // A third node started later finds the room in the shared store.
    const [n3] = await startNodes(t, 1, options);
    const carol = await RawClient.join(n3!.port, 'carol', ids[2]!);
    t.after(() => carol.close());
    carol.send({ type: 'list-rooms' });
    assert.deepEqual((await carol.next('rooms')).rooms, [{ name: '#dev', topic: 'set on node one', members: 2, inviteOnly: false, joined: false }]);
  });

  it('drops hostile or forged messages on the broker and keeps routing', async (t) => {
    const { options, n2, a, b } = await aliceAndBobOnTwoNodes(t);
    const intruder = await brokerClient(t);
    for (const subject of [`${options.name}.presence`, `${options.name}.room`]) {
      intruder.publish(subject, Buffer.from('not json'));
      intruder.publish(subject, Buffer.from('{"kind":"join","node":"x","version":1,"peer":{}}'));
      intruder.publish(subject, randomBytes(300));
    }
    // Well-formed, but claims to relay alice's words from a node alice is not on: dropped.
    const bobNode = n2.server.clusterNodeId!;
    const forged = { from: 'alice', id: 'forged', envelopeJson: JSON.stringify(envelope('forged')), recipients: { [bobNode]: { bob: '' } } };
    intruder.publish(`${options.name}.room`, encodeRoomBatch('forger', [forged]));
    intruder.publish(
      `${options.name}.node.${bobNode}.dm`,
      encodeDirectBatch('forger', [{ n: 1, from: 'alice', to: 'bob', id: 'forged', envelopeJson: forged.envelopeJson }]),
    );
    intruder.publish(`${options.name}.node.${bobNode}.dm`, Buffer.from(JSON.stringify({ relays: ['junk'] })));
    await intruder.flush();

    a.send({ type: 'send', to: null, envelope: envelope('after-garbage') });
    const delivered = await b.next('message');
    assert.equal(delivered.envelope.id, 'after-garbage', 'the forged relay never reached bob');
    assert.ok(n2.logs.some((line) => line.includes('cluster.bad_message')));
    assert.ok(n2.logs.some((line) => line.includes('cluster.unknown_sender')));
  });
});

describe('a node that stops answering', () => {
  it("tells the sender when a room message's recipients on another node were not confirmed", async (t) => {
    const { options, n1, n2, a, b } = await aliceAndBobOnTwoNodes(t);
    // A node that announces a member and keeps its lease, but never delivers or answers anything.
    const ghost = await brokerClient(t);
    const say = (message: object) => ghost.publish(`${options.name}.presence`, Buffer.from(JSON.stringify(message)));
    say({
      kind: 'join',
      node: 'ghostnode',
      version: 1,
      peer: { name: 'ghost', publicKey: 'AAAA', prekey: 'BBBB', prekeySig: 'CCCC', fingerprint: 'ab'.repeat(32), joinedAt: 1 },
    });
    const heartbeat = setInterval(() => say({ kind: 'heartbeat', node: 'ghostnode', version: 1 }), TIMING.heartbeatMs);
    t.after(() => clearInterval(heartbeat));
    await everyNodeLists([n1, n2], ['ghost']);

    a.send({ type: 'send', to: null, envelope: envelope('to-ghost') });
    assert.equal((await b.next('message')).envelope.id, 'to-ghost');
    assert.equal((await a.next('ack')).sent.length, 2, 'handed to the broker for both');
    const error = await a.next('error', TIMING.requestTimeoutMs + 3000);
    assert.equal(error.code, ErrorCode.CLUSTER_UNAVAILABLE);
    assert.equal(error.ref, 'to-ghost');
    assert.match(error.message, /may not have reached ghost/);
    assert.doesNotMatch(error.message, /bob/, "bob's node confirmed");
  });
});

describe('a node leaving', () => {
  it('takes its users off every peer list at once when it shuts down cleanly', async (t) => {
    const { n1, n2, a } = await aliceAndBobOnTwoNodes(t);
    a.received.length = 0;
    const closedAt = Date.now();
    await n2.server.close();
    assert.equal((await a.next('leave')).name, 'bob');
    // Well inside the lease (1000 ms here): the node said goodbye instead of going silent.
    assert.ok(Date.now() - closedAt < TIMING.leaseMs / 2, `bob left ${Date.now() - closedAt} ms after his node closed`);
    // And gave his name back: it is free at once on the other node.
    const again = await RawClient.join(n1.port, 'bob', ids[1]!);
    again.close();
  });
});

describe('a broker outage', () => {
  it('keeps serving local users, tells everyone, refuses what it cannot deliver, and rejoins when the broker is back', async (t) => {
    const own = await NatsBroker.start();
    t.after(() => own.destroy());
    const nodes = (await startNodes(t, 3, clusterOptions(own.url))) as [Node, Node, Node];
    const [n1, n2, n3] = nodes;
    const everyone = ['alice', 'bob', 'carol', 'dave'];
    const [a, c, b, d] = (await joinAll(t, nodes, [
      [n1, 'alice'],
      [n1, 'carol'],
      [n2, 'bob'],
      [n3, 'dave'],
    ])) as [RawClient, RawClient, RawClient, RawClient];
    for (const client of [a, b, c, d]) client.received.length = 0;
    const leaves = async (client: RawClient, count: number) => {
      const names = new Set<string>();
      for (let i = 0; i < count; i++) names.add((await client.next('leave', 5000)).name);
      return names;
    };

    await own.stop();
    for (const client of [a, b, c, d]) assert.equal((await client.next('cluster')).state, 'degraded');

    // Local users still talk; the remote ones are reported, not silently skipped.
    a.send({ type: 'send', to: null, envelope: envelope('outage-room') });
    assert.equal((await c.next('message')).envelope.id, 'outage-room');
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['carol']);
    assert.deepEqual(ack.refused.map((r) => r.name).sort(), ['bob', 'dave']);
    a.send({ type: 'send', to: 'bob', envelope: dmEnvelope('outage-dm') });
    const dmAck = await a.next('ack');
    assert.equal(dmAck.id, 'outage-dm');
    assert.ok(([ErrorCode.CLUSTER_UNAVAILABLE, ErrorCode.NO_SUCH_PEER] as string[]).includes(dmAck.refused[0]?.code ?? ''));

    // A name cannot be checked cluster-wide now, so a new join is refused (the client retries later).
    const late = await tryJoin(n1.port, 'erin', ids[4]!);
    t.after(() => late.client.close());
    assert.equal(late.outcome.type === 'error' && late.outcome.code, ErrorCode.CLUSTER_UNAVAILABLE);

    // Past the lease, each node has dropped the other nodes' users.
    assert.deepEqual(await leaves(a, 2), new Set(['bob', 'dave']));
    assert.deepEqual(await leaves(b, 3), new Set(['alice', 'carol', 'dave']));
    assert.deepEqual(await leaves(d, 3), new Set(['alice', 'bob', 'carol']));

    await own.start();
    for (const client of [a, b, c, d]) assert.equal((await client.next('cluster', 15_000)).state, 'ok');
    await everyNodeLists(nodes, everyone);
    a.send({ type: 'send', to: null, envelope: envelope('after-outage') });
    assert.equal((await b.next('message')).envelope.id, 'after-outage');
    assert.equal((await d.next('message')).envelope.id, 'after-outage');
    assert.equal((await a.next('ack')).sent.length, 3);
  });
});

describe('a node cut off from the broker while the others are not', () => {
  it('loses a name the others gave away meanwhile (its owner came back elsewhere): that connection is told and closed, one keeps it', async (t) => {
    const own = await NatsBroker.start();
    t.after(() => own.destroy());
    const proxy = await TcpProxy.start(own.port);
    t.after(() => proxy.cut());
    const name = `spec-${randomBytes(4).toString('hex')}`;
    const [n1] = await startNodes(t, 1, { ...clusterOptions(`nats://127.0.0.1:${proxy.port}`), name });
    const [n2] = await startNodes(t, 1, { ...clusterOptions(own.url), name });
    const [alice, bob] = (await joinAll(
      t,
      [n1!, n2!],
      [
        [n1!, 'alice'],
        [n2!, 'bob'],
      ],
    )) as [RawClient, RawClient];

    // Node one's link goes (the broker stays up for node two); past the lease node two forgets alice.
    await proxy.cut();
    assert.equal((await alice.next('cluster')).state, 'degraded');
    assert.equal((await bob.next('leave', 5000)).name, 'alice');
    // Node one cannot answer for its claim, so alice, connecting again on node two (the name is
    // bound to her key cluster-wide: nobody else could have it), gets it there.
    const newcomer = await RawClient.join(n2!.port, 'alice', ids[PEOPLE.indexOf('alice')]!);
    t.after(() => newcomer.close());

    await proxy.restore();
    const evicted = await alice.next('error', 15_000);
    assert.equal(evicted.code, ErrorCode.NAME_TAKEN);
    assert.equal(evicted.fatal, true);
    await alice.waitClosed();
    await waitUntil(
      () => [n1!, n2!].every((node) => node.server.peerNames.filter((peer) => peer === 'alice').length === 1 && node.server.peerNames.includes('bob')),
      'both nodes to list one alice (the newcomer) and bob',
    );
    assert.ok(n1!.logs.some((line) => line.includes('cluster.evicted')));
  });
});

describe('the cluster store (JetStream)', () => {
  it('stores a DM relayed from another node when its recipient goes before confirming it, and delivers it again', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const alice = await RawClient.join(n1.port, 'alice', ids[0]!);
    t.after(() => alice.close());
    const bob = await RawClient.join(n2.port, 'bob', ids[1]!);
    await everyNodeLists([n1, n2], ['alice', 'bob']);
    alice.send({ type: 'send', to: 'bob', envelope: dmEnvelope('relayed-dm') });
    assert.equal((await bob.next('message')).envelope.id, 'relayed-dm');
    assert.deepEqual((await alice.next('ack')).sent, ['bob']);
    // Bob read it off the socket but never said `received`: his node must keep it for him.
    bob.close();
    assert.equal((await alice.nextGone()).name, 'bob');
    const back = await RawClient.join(n2.port, 'bob', ids[1]!);
    t.after(() => back.close());
    const again = await back.next('message');
    assert.equal(again.envelope.id, 'relayed-dm');
    assert.equal(again.stored, true);
    // Alice, on the other node, heard where it went.
    assert.deepEqual((await alice.next('receipts')).receipts, [{ id: 'relayed-dm', name: 'bob', state: 'stored' }]);
  });

  it('tells a sender on another node what its DM and room message came to: delivered, or not opened', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const alice = await RawClient.join(n1.port, 'alice', ids[0]!);
    t.after(() => alice.close());
    const bob = await RawClient.join(n2.port, 'bob', ids[1]!);
    t.after(() => bob.close());
    await everyNodeLists([n1, n2], ['alice', 'bob']);
    alice.send({ type: 'send', to: 'bob', envelope: dmEnvelope('far-dm') });
    assert.deepEqual((await alice.next('ack')).sent, ['bob']);
    alice.send({ type: 'send', to: null, envelope: envelope('far-room') });
    assert.deepEqual((await alice.next('ack')).sent, ['bob']);
    await bob.next('message');
    assert.equal((await bob.next('message')).envelope.id, 'far-room');
    bob.send({ type: 'received', ids: ['far-dm', 'far-room'], unreadable: ['far-room'] });
    const news: string[] = [];
    while (news.length < 2) for (const r of (await alice.next('receipts')).receipts) news.push(`${r.id} ${r.name} ${r.state}`);
    assert.deepEqual(news, ['far-dm bob delivered', 'far-room bob refused']);
  });

  it('keeps what is sent to someone away on any node, and delivers it on another node after the first one is gone', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const alice = await RawClient.join(n1.port, 'alice', ids[0]!);
    t.after(() => alice.close());
    const bob = await RawClient.join(n2.port, 'bob', ids[1]!);
    await everyNodeLists([n1, n2], ['alice', 'bob']);
    bob.close();
    assert.equal((await alice.nextGone()).name, 'bob', 'bob is listed as away on node one, registered cluster-wide');

    alice.send({ type: 'send', to: 'bob', envelope: dmEnvelope('kept-dm') });
    assert.deepEqual((await alice.next('ack')).stored, ['bob']);
    alice.send({ type: 'send', to: null, envelope: envelope('kept-room') });
    assert.deepEqual((await alice.next('ack')).stored, ['bob']);
    // The node that stored them goes away; nothing it acknowledged was only its own.
    alice.close();
    await n1.server.close();

    const back = await RawClient.join(n2.port, 'bob', ids[1]!);
    t.after(() => back.close());
    const first = await back.next('message');
    const second = await back.next('message');
    assert.deepEqual([first.envelope.id, second.envelope.id], ['kept-dm', 'kept-room']);
    assert.equal(first.stored, true);
  });

  it('hands each one-time prekey out once, though two nodes are asked for it at the same moment', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const carol = await RawClient.join(n1.port, 'carol', ids[2]!);
    t.after(() => carol.close());
    const keys = Array.from({ length: 6 }, (_, i) => ({ id: `k${i}`, key: generateX25519().publicRaw.toString('base64') }));
    carol.send({ type: 'prekeys', oneTime: keys });
    await waitUntil(() => [n1, n2].every((node) => node.server.store?.oneTimePrekeyCount('carol') === 6), 'both nodes to hold the six');
    const [alice, bob] = await Promise.all([RawClient.join(n1.port, 'alice', ids[0]!), RawClient.join(n2.port, 'bob', ids[1]!)]);
    t.after(() => {
      alice.close();
      bob.close();
    });
    // Each asks for carol's bundle four times at once, on its own node: eight asks for six keys.
    for (let i = 0; i < 4; i++) {
      alice.send({ type: 'keys', names: ['carol'] });
      bob.send({ type: 'keys', names: ['carol'] });
    }
    const handed: string[] = [];
    for (const client of [alice, bob]) {
      for (let i = 0; i < 4; i++) {
        const id = (await client.next('key-bundles')).bundles[0]?.oneTimePrekey?.id;
        if (id !== undefined) handed.push(id);
      }
    }
    assert.equal(new Set(handed).size, handed.length, `a one-time prekey went out twice: ${handed.sort().join(' ')}`);
    assert.equal(handed.length, 6, 'all six went out, one each');
  });

  it('binds a name to its key across nodes', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const alice = await RawClient.join(n1.port, 'alice', ids[0]!);
    alice.close();
    await waitUntil(
      () => n2.server.store?.registration('alice') !== undefined && !n2.server.peerNames.includes('alice'),
      'alice registered, and away, as node two sees it',
    );
    const other = await RawClient.open(n2.port);
    t.after(() => other.close());
    other.send(buildHello(ids[2]!, 'alice', generateX25519()));
    const refusal = await other.next('error');
    assert.equal(refusal.code, ErrorCode.NAME_TAKEN);
    assert.match(refusal.message, /not available to your key/);
  });

  it('sends a node what another node stored for a user connected to it', async (t) => {
    const [n1, n2] = (await startNodes(t, 2)) as [Node, Node];
    const bob = await RawClient.join(n2.port, 'bob', ids[1]!);
    t.after(() => bob.close());
    // Straight into the shared store from node one, as a node that had not yet seen bob join would.
    await n1.server.store!.store('bob', { from: 'alice', to: 'bob', envelope: dmEnvelope('from-the-store'), storedAt: Date.now() });
    const delivered = await bob.next('message');
    assert.equal(delivered.envelope.id, 'from-the-store');
    assert.equal(delivered.stored, true);
  });
});
