// ClusterLink's own logic (presence, leases, clashes, outages) over an in-memory bus: no broker,
// and time is mocked, so a lease runs out when the spec says so. The real nats-server specs
// (cluster.spec.ts, nats-bus.spec.ts) stay for what only a broker shows.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { silentLogger } from '../../../src/core/logger.js';
import type { PeerSummary } from '../../../src/core/messages.js';
import { ClusterLink, type ClusterHost } from '../../../src/server/cluster/cluster-link.js';
import { InMemoryBroker, type InMemoryBus } from '../../helpers/in-memory-bus.js';

const TIMING = { heartbeatMs: 1000, leaseMs: 5000 };

const summary = (name: string): PeerSummary => ({ name, publicKey: 'cGs=', prekey: 'cHJl', prekeySig: 'c2ln', fingerprint: 'ab'.repeat(32), joinedAt: 1 });

/** A chat server as the link sees it: its own members, and a record of what the link told it. */
class FakeHost implements ClusterHost {
  readonly logger = silentLogger;
  readonly members = new Map<string, PeerSummary>();
  /** Names being admitted: claimed, not joined yet (ChatServer's `admitting`). */
  readonly admitting = new Set<string>();
  readonly events: string[] = [];
  readonly evicted: string[] = [];
  readonly gone: string[] = [];

  localMembers(): PeerSummary[] {
    return [...this.members.values()];
  }

  nodeGone(node: string): void {
    this.gone.push(node);
  }
  holdsLocally(name: string): boolean {
    return this.members.has(name.toLowerCase()) || this.admitting.has(name.toLowerCase());
  }
  isMember(name: string): boolean {
    return this.members.has(name.toLowerCase());
  }
  remoteJoined(peer: PeerSummary): void {
    this.events.push(`join ${peer.name}`);
  }
  remoteLeft(name: string): void {
    this.events.push(`leave ${name}`);
  }
  remoteAway(name: string, message: string): void {
    this.events.push(`away ${name}: ${message}`);
  }
  deliverRoom(_relay: unknown, recipients: Readonly<Record<string, string>>): string[] {
    this.events.push(`room to ${Object.keys(recipients).join(',')}`);
    return [];
  }
  deliverDirect(): boolean {
    this.events.push('direct');
    return true;
  }
  undelivered(): void {}
  receiptsArrived(receipts: ReadonlyArray<{ to: string; receipt: { id: string; state: string } }>): void {
    for (const { to, receipt } of receipts) this.events.push(`receipt ${receipt.id} ${receipt.state} for ${to}`);
  }
  linkChanged(up: boolean): void {
    this.events.push(up ? 'link up' : 'link down');
  }
  evict(name: string): void {
    // ChatServer disconnects the member, which leaves the registry.
    this.evicted.push(name);
    this.members.delete(name.toLowerCase());
  }
}

interface Node {
  readonly host: FakeHost;
  readonly link: ClusterLink;
  readonly bus: InMemoryBus;
  /** Admits a member the way ChatServer does: claim, then announce. */
  admit(name: string): Promise<boolean>;
}

async function node(broker: InMemoryBroker, id: string): Promise<Node> {
  const host = new FakeHost();
  const bus = broker.bus(id);
  const link = new ClusterLink(bus, TIMING, host);
  await link.start();
  return {
    host,
    link,
    bus,
    admit: async (name) => {
      host.admitting.add(name.toLowerCase());
      const { won } = await link.claim(name).finally(() => host.admitting.delete(name.toLowerCase()));
      if (!won) return false;
      host.members.set(name.toLowerCase(), summary(name));
      link.memberJoined(summary(name));
      return true;
    },
  };
}

/** Lets queued deliveries run (the bus delivers in microtasks; handlers may await). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ClusterLink over an in-memory bus', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('has exactly one node sweep the shared store, and hands the job on when that node leaves', async () => {
    const broker = new InMemoryBroker();
    const [a, b, c] = [await node(broker, 'a'), await node(broker, 'b'), await node(broker, 'c')];
    await settle();
    assert.deepEqual(
      [a, b, c].map((n) => n.link.sweepsSharedStore),
      [true, false, false],
    );
    await a.link.close();
    await settle();
    assert.deepEqual(
      [b, c].map((n) => n.link.sweepsSharedStore),
      [true, false],
    );
  });

  it("shows another node's members as they join and leave", async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await b.admit('bob');
    await settle();
    assert.deepEqual(a.host.events, ['join bob']);
    assert.equal(a.link.remotePeer('BOB')?.node, 'b');
    b.host.members.delete('bob');
    b.link.memberLeft('bob');
    await settle();
    assert.deepEqual(a.host.events, ['join bob', 'leave bob']);
    assert.equal(broker.claims.has('bob'), false, 'the name was given back');
  });

  it('drops the members of a node that falls silent once its lease has run out, not before', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await b.admit('bob');
    await settle();
    await b.bus.close(); // gone without a goodbye: no more heartbeats
    mock.timers.tick(TIMING.leaseMs - TIMING.heartbeatMs);
    await settle();
    assert.deepEqual(a.host.events, ['join bob'], 'still within the lease');
    mock.timers.tick(2 * TIMING.heartbeatMs);
    await settle();
    assert.deepEqual(a.host.events, ['join bob', 'leave bob']);
  });

  it("drops a node's members at once when it says goodbye", async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await b.admit('bob');
    await settle();
    await b.link.close();
    await settle();
    assert.deepEqual(a.host.events, ['join bob', 'leave bob']);
  });

  it('gives one name to one node when two claim it', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    const results = await Promise.all([a.admit('carol'), b.admit('carol')]);
    assert.deepEqual(results.filter(Boolean).length, 1);
  });

  it('catches up from a snapshot after missing a presence message', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await b.admit('bob');
    await settle();
    // a misses one join: the next message's version shows the gap, and a asks b for a snapshot.
    a.bus.setCutOff(true);
    await b.admit('dan');
    a.bus.setCutOff(false);
    await settle();
    await b.admit('erin');
    await settle();
    mock.timers.tick(TIMING.heartbeatMs);
    await settle();
    assert.deepEqual(
      a.link
        .remotePeers()
        .map((p) => p.name)
        .sort(),
      ['bob', 'dan', 'erin'],
    );
  });

  it('tells its users about an outage and, back on the broker, re-claims their names, evicting a member whose name was given away', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await a.admit('alice');
    await settle();
    a.bus.setCutOff(true);
    assert.deepEqual(a.host.events.slice(-1), ['link down']);
    // Meanwhile b presumed a dead, and someone on b took alice's name.
    broker.claims.set('alice', 'b');
    b.host.members.set('alice', summary('alice'));
    a.bus.setCutOff(false);
    await settle();
    assert.deepEqual(a.host.evicted, ['alice']);
    assert.ok(a.host.events.includes('link up'));
    assert.equal(a.link.remotePeer('alice')?.node, 'b', "b's alice is listed now");
  });

  it('refuses a relay that claims a sender its node does not hold', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [await node(broker, 'a'), await node(broker, 'b')];
    await a.admit('alice');
    await settle();
    const envelope = { id: 'x', ts: 0, chain: 'c', seq: 0, iv: 'AAAA', ct: 'AAAA', sig: 'AAAA' };
    b.bus.publishRoom({ node: 'b', from: 'mallory', id: envelope.id, envelopeJson: JSON.stringify(envelope), recipients: { a: { alice: '' } } });
    await b.admit('bob');
    await settle();
    b.bus.publishRoom({ node: 'b', from: 'bob', id: envelope.id, envelopeJson: JSON.stringify(envelope), recipients: { a: { alice: '' } } });
    await settle();
    assert.deepEqual(
      a.host.events.filter((e) => e.startsWith('room')),
      ['room to alice'],
      "only bob's relay was delivered",
    );
  });
});
