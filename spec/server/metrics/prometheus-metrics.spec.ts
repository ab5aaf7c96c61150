// The metrics a Prometheus would scrape, over real HTTP, while real clients chat.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Identity } from '../../../src/core/identity.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { startMetricsEndpoint } from '../../../src/server/metrics/metrics-endpoint.js';
import { PrometheusMetrics } from '../../../src/server/metrics/prometheus-metrics.js';
import { testIdentity } from '../../helpers/identities.js';
import { RawClient } from '../../helpers/raw-client.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1].map(testIdentity));
});

const envelope = (id: string) => ({ id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' });

/** One sample's value from the exposition text, e.g. value(text, 'tuichat_deliveries_total{kind="room"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('Prometheus metrics', () => {
  it('count joins, deliveries, bytes and refusals while clients chat, and name no user', async (t) => {
    let server: ChatServer | undefined;
    const metrics = new PrometheusMetrics(() => server!.gauges());
    server = new ChatServer({ port: 0, metrics, limits: { maxClients: 3 } });
    const { port } = await server.listen();
    t.after(() => server!.close());
    const { server: http, address } = await startMetricsEndpoint('127.0.0.1', 0, metrics);
    t.after(() => {
      http.closeAllConnections();
      http.close();
    });
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      return response.text();
    };

    const before = await scrape();
    assert.equal(value(before, 'tuichat_joins_total'), 0);
    const alice = await RawClient.join(port, 'alice', ids[0]!);
    const bob = await RawClient.join(port, 'bob', ids[1]!);
    alice.send({ type: 'send', to: null, envelope: envelope('r1') });
    await bob.next('message');
    await alice.next('ack');
    const third = await RawClient.open(port);
    const fourth = await RawClient.open(port);
    await fourth.next('error');

    const after = await scrape();
    assert.equal(value(after, 'tuichat_joins_total'), 2);
    assert.equal(value(after, 'tuichat_deliveries_total{kind="room"}'), 1);
    assert.equal(value(after, 'tuichat_connections{state="joined"}'), 2);
    assert.equal(value(after, 'tuichat_connections{state="handshaking"}'), 1);
    assert.equal(value(after, 'tuichat_connections_refused_total{limit="max_clients"}'), 1);
    assert.equal(value(after, 'tuichat_max_clients'), 3);
    assert.ok(value(after, 'tuichat_received_bytes_total')! > value(before, 'tuichat_received_bytes_total')!);
    assert.ok(value(after, 'tuichat_sent_bytes_total')! > 0);
    assert.ok(value(after, 'process_resident_memory_bytes')! > 0, 'process memory');
    assert.ok(after.includes('nodejs_eventloop_lag_seconds'), 'event-loop lag');
    assert.doesNotMatch(after, /alice|bob/, 'no user name in any label');
    assert.equal(value(after, 'tuichat_registered_names'), 2);
    assert.equal(value(after, 'tuichat_stored_messages'), 0);

    // bob confirms what he got and goes away; alice's next room line waits for him in the store.
    bob.send({ type: 'received', ids: ['r1'] });
    await alice.next('receipts');
    bob.close();
    await alice.nextGone();
    alice.send({ type: 'send', to: null, envelope: envelope('r2') });
    assert.deepEqual((await alice.next('ack')).stored, ['bob']);
    const stored = await scrape();
    assert.equal(value(stored, 'tuichat_stored_messages'), 1);
    assert.ok(value(stored, 'tuichat_store_bytes')! > 0);
    assert.equal(value(stored, 'tuichat_deliveries_total{kind="stored"}'), 1);
    assert.doesNotMatch(after, /^tuichat_cluster_up/m, 'a lone server exports no cluster state');
    for (const client of [alice, bob, third, fourth]) client.close();
  });

  it('answers only GET /metrics', async (t) => {
    const metrics = new PrometheusMetrics(() => ({
      connectionsHandshaking: 0,
      connectionsJoined: 0,
      maxClients: 1,
      videoStreams: 0,
      ffmpegProcesses: 0,
      store: { messages: 0, bytes: 0, registrations: 0 },
      cluster: undefined,
    }));
    const { server: http, address } = await startMetricsEndpoint('127.0.0.1', 0, metrics);
    t.after(() => {
      http.closeAllConnections();
      http.close();
    });
    assert.equal((await fetch(`http://127.0.0.1:${address.port}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${address.port}/metrics`, { method: 'POST' })).status, 404);
  });
});
