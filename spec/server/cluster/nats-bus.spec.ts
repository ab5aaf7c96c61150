// The NATS bus on a real nats-server: name claims (one winner, takeover of dead claims, releases
// that never remove someone else's claim) and DM hand-offs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { ClusterHandlers } from '../../../src/server/cluster/cluster-bus.js';
import type { ReceiptRelay } from '../../../src/server/cluster/cluster-wire.js';
import type { ClusterOptions } from '../../../src/server/cluster/cluster-options.js';
import { NatsBus } from '../../../src/server/cluster/nats-bus.js';
import { writeLoopbackCertificate } from '../../helpers/broker-certificate.js';
import { NatsBroker } from '../../helpers/nats-broker.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let broker: NatsBroker;
before(async () => {
  broker = await NatsBroker.start();
});
after(() => broker.destroy());

function options(): ClusterOptions {
  return { url: broker.url, name: `bus-${randomBytes(4).toString('hex')}`, heartbeatMs: 200, leaseMs: 1000, requestTimeoutMs: 1000 };
}

/** Handlers for a node holding `held` names; deliveries are recorded. */
function handlers(held: Set<string>, delivered: string[] = [], news: ReceiptRelay[] = []): ClusterHandlers {
  return {
    linkChanged() {},
    presence() {},
    room: () => [],
    direct(relay) {
      delivered.push(`${relay.from}->${relay.to}:${(JSON.parse(relay.envelopeJson) as { id: string }).id}`);
      return held.has(relay.to.toLowerCase());
    },
    undelivered() {},
    receipts: (batch) => void news.push(...batch.receipts),
    // Names are case-insensitive, as in the server's registry.
    holds: (name) => held.has(name.toLowerCase()),
  };
}

async function startBus(t: TestContext, opts: ClusterOptions, held = new Set<string>(), delivered: string[] = [], news: ReceiptRelay[] = []): Promise<NatsBus> {
  const bus = new NatsBus(opts, silentLogger);
  await bus.start(handlers(held, delivered, news));
  t.after(() => bus.close());
  return bus;
}

const envelope = (id: string) => ({ id, ts: 1, chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAA', sig: 'c2ln' });

describe('NatsBus name claims', () => {
  it('gives a name to exactly one of five nodes claiming it at once', async (t) => {
    const opts = options();
    const held = new Set(['zed']);
    const buses = await Promise.all([0, 1, 2, 3, 4].map(() => startBus(t, opts, held)));
    const outcomes = await Promise.all(buses.map((bus) => bus.claimName('Zed')));
    const winners = buses.filter((_bus, i) => outcomes[i]!.won);
    assert.equal(winners.length, 1);
    for (const outcome of outcomes) if (!outcome.won) assert.equal(outcome.owner, winners[0]!.nodeId);
  });

  it('takes over a claim whose node is gone, never one whose node still holds the name', async (t) => {
    const opts = options();
    const first = new NatsBus(opts, silentLogger);
    await first.start(handlers(new Set(['yan'])));
    assert.deepEqual(await first.claimName('yan'), { won: true });
    const second = await startBus(t, opts);
    assert.deepEqual(await second.claimName('yan'), { won: false, owner: first.nodeId });
    // The first node dies without giving its claim back.
    await first.close();
    assert.deepEqual(await second.claimName('yan'), { won: true });
  });

  it('releases only a claim that is still its own', async (t) => {
    const opts = options();
    const formerHolder = new Set<string>();
    const a = await startBus(t, opts, formerHolder);
    assert.deepEqual(await a.claimName('xo'), { won: true });
    // a no longer holds "xo" (as after a lost race), so b may take the claim over.
    const b = await startBus(t, opts, new Set(['xo']));
    assert.deepEqual(await b.claimName('xo'), { won: true });
    await a.releaseName('xo');
    const c = await startBus(t, opts);
    assert.deepEqual(await c.claimName('xo'), { won: false, owner: b.nodeId });
    await b.releaseName('xo');
    assert.deepEqual(await c.claimName('xo'), { won: true });
  });
});

describe('NatsBus direct hand-off', () => {
  it('delivers through the node holding the recipient, and tells a departed recipient from a vanished node', async (t) => {
    const opts = options();
    const delivered: string[] = [];
    const holder = await startBus(t, opts, new Set(['bob']), delivered);
    const sender = await startBus(t, opts);
    const dm = (to: string, id: string) => ({ node: sender.nodeId, from: 'alice', to, id, envelopeJson: JSON.stringify(envelope(id)) });
    // Sent in one turn, so they travel as one batch; each gets its own outcome.
    const outcomes = await Promise.all([sender.sendDirect(holder.nodeId, dm('bob', 'd1')), sender.sendDirect(holder.nodeId, dm('carol', 'd2'))]);
    assert.deepEqual(outcomes, ['delivered', 'not-delivered']);
    assert.deepEqual(delivered, ['alice->bob:d1', 'alice->carol:d2']);
    assert.equal(await sender.sendDirect('no0de0gone', dm('bob', 'd3')), 'absent');
  });
});

describe('NatsBus delivery news', () => {
  it("carries receipts to the sender's node in one batch, and drops a malformed entry but not its neighbours", async (t) => {
    const opts = options();
    const news: ReceiptRelay[] = [];
    const senderNode = await startBus(t, opts, new Set(['alice']), [], news);
    const recipientNode = await startBus(t, opts);
    assert.equal(recipientNode.sendReceipt(senderNode.nodeId, { to: 'alice', receipt: { id: 'm1', name: 'bob', state: 'delivered' } }), true);
    assert.equal(
      recipientNode.sendReceipt(senderNode.nodeId, { to: 'alice', receipt: { id: 'm2', name: 'bob', state: 'refused', reason: 'could not open it' } }),
      true,
    );
    // A hand-made batch from a confused node: the bad entry goes, the good one arrives.
    const raw = new NatsBus(opts, silentLogger);
    await raw.start(handlers(new Set()));
    t.after(() => raw.close());
    (raw as unknown as { publish(subject: string, data: Uint8Array): boolean }).publish(
      `${opts.name}.node.${senderNode.nodeId}.news`,
      Buffer.from(
        JSON.stringify({
          node: raw.nodeId,
          receipts: [
            { to: 'bad name!', receipt: {} },
            { to: 'alice', receipt: { id: 'm3', name: 'carol', state: 'stored' } },
          ],
        }),
      ),
    );
    const deadline = Date.now() + 5000;
    while (news.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(
      news.map(({ to, receipt }) => `${to} ${receipt.id} ${receipt.name} ${receipt.state} ${receipt.reason ?? ''}`.trim()),
      ['alice m1 bob delivered', 'alice m2 bob refused could not open it', 'alice m3 carol stored'],
    );
  });
});

describe('NatsBus to a broker with TLS and a password', () => {
  it('connects with the broker certificate and credentials, and refuses a wrong password or an unknown certificate', async (t) => {
    const dir = makeTempDir(t);
    const certificate = writeLoopbackCertificate(dir);
    const secured = await NatsBroker.start({ certPath: certificate.certPath, keyPath: certificate.keyPath, user: 'node', pass: 'correct horse' });
    t.after(() => secured.destroy());
    const base = {
      url: `tls://127.0.0.1:${secured.port}`,
      name: `tls-${randomBytes(4).toString('hex')}`,
      heartbeatMs: 200,
      leaseMs: 1000,
      requestTimeoutMs: 1000,
    };

    const good = new NatsBus({ ...base, brokerCaPem: certificate.certPem, credentials: { user: 'node', pass: 'correct horse' } }, silentLogger);
    await good.start(handlers(new Set()));
    t.after(() => good.close());
    assert.deepEqual(await good.claimName('wanda'), { won: true });

    const wrongPassword = new NatsBus({ ...base, brokerCaPem: certificate.certPem, credentials: { user: 'node', pass: 'wrong' } }, silentLogger);
    await assert.rejects(wrongPassword.start(handlers(new Set())), { code: ErrorCode.CLUSTER_UNAVAILABLE, message: /authorization/i });
    const unknownCertificate = new NatsBus({ ...base, credentials: { user: 'node', pass: 'correct horse' } }, silentLogger);
    await assert.rejects(unknownCertificate.start(handlers(new Set())), { code: ErrorCode.CLUSTER_UNAVAILABLE, message: /certificate/i });
  });
});
