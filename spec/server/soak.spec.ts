// Soak under attack, in a fixed budget: 50 well-behaved clients chat in the room while 20 hostile
// connections send random frames, oversize announcements, half-open handshakes and floods.
// Afterwards every message between the well-behaved clients arrived exactly once, in order per
// sender, and the server's memory stayed bounded. The figures are printed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { FrameType } from '../../src/core/frame-types.js';
import type { Identity } from '../../src/core/identity.js';
import { createLineLogger } from '../../src/core/logger.js';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { buildHello } from '../../src/core/prekey.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

const GOOD_CLIENTS = 50;
const HOSTILE_CLIENTS = 20;
const MESSAGES_PER_CLIENT = 10;
/** Each good client sends a message this often: 10/s, half the default flood limit. */
const SEND_INTERVAL_MS = 100;

let identity: Identity;
before(async () => {
  identity = await testIdentity(0);
});

function envelope(id: string) {
  return { id, ts: Date.now(), chain: 'soak', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(64).toString('base64'), sig: 'c2ln' };
}

/** One hostile behaviour per connection, cycling through the kinds; runs until stopped. */
async function attack(port: number, kind: number, stop: () => boolean): Promise<string> {
  const kinds = ['random frames', 'oversize announcement', 'half-open handshake', 'flood', 'garbage then vanish'];
  const name = kinds[kind % kinds.length]!;
  while (!stop()) {
    const client = await RawClient.open(port).catch(() => undefined);
    if (client === undefined) continue;
    switch (name) {
      case 'random frames':
        client.sendBytes(Buffer.concat([Buffer.from([0, 0, 0, 40, FrameType.CONTROL]), randomBytes(40), randomBytes(200)]));
        break;
      case 'oversize announcement':
        client.sendBytes(Buffer.from([0x7f, 0xff, 0xff, 0xff, FrameType.CONTROL]));
        break;
      case 'half-open handshake':
        client.send(buildHello(identity, `half${kind}`, generateX25519()));
        break;
      case 'flood': {
        // A joined client blasting the room: it is throttled, and its messages must not disturb the others' order.
        const flooder = await RawClient.join(port, `flood${kind}`, identity).catch(() => undefined);
        client.close();
        if (flooder === undefined) continue;
        for (let i = 0; i < 400 && !stop(); i++) flooder.send({ type: 'send', to: null, envelope: envelope(`x${kind}-${i}`), keys: {} });
        await new Promise((resolve) => setTimeout(resolve, 300));
        flooder.close();
        continue;
      }
      case 'garbage then vanish':
        client.sendBytes(randomBytes(5000));
        client.socket.destroy();
        continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.close();
  }
  return name;
}

describe('soak: chatting while under attack', () => {
  it('delivers every message between well-behaved clients exactly once, in order, with bounded memory', { timeout: 90_000 }, async (t) => {
    const logs: string[] = [];
    const server = new ChatServer({
      port: 0,
      // Everyone here is 127.0.0.1; the per-address limit would otherwise (rightly) refuse them.
      limits: { maxClientsPerAddress: 1000, handshakeTimeoutMs: 2000 },
      logger: createLineLogger((line) => logs.push(line), 'warn'),
    });
    const { port } = await server.listen();
    t.after(() => server.close());
    const heapBefore = process.memoryUsage().heapUsed;

    const clients: RawClient[] = [];
    for (let i = 0; i < GOOD_CLIENTS; i++) clients.push(await RawClient.join(port, `good${i}`, identity));
    const names = clients.map((_, i) => `good${i}`);

    let stopped = false;
    const attackers = Array.from({ length: HOSTILE_CLIENTS }, (_, kind) => attack(port, kind, () => stopped));

    let peakHeap = 0;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
    t.after(() => clearInterval(sampler));
    const started = Date.now();
    for (let round = 0; round < MESSAGES_PER_CLIENT; round++) {
      clients.forEach((client, i) => {
        const keys = Object.fromEntries(names.filter((n) => n !== `good${i}`).map((n) => [n, 'a2V5']));
        client.send({ type: 'send', to: null, envelope: envelope(`m${i}-${round}`), keys });
      });
      await new Promise((resolve) => setTimeout(resolve, SEND_INTERVAL_MS));
    }
    const expectedPerReceiver = (GOOD_CLIENTS - 1) * MESSAGES_PER_CLIENT;
    const goodMessages = (client: RawClient) => client.received.filter((m) => m.type === 'message' && m.from.startsWith('good'));
    await waitUntil(() => clients.every((c) => goodMessages(c).length >= expectedPerReceiver), 'every delivery', 60_000);
    stopped = true;
    const kinds = await Promise.all(attackers);
    const elapsed = Date.now() - started;

    for (const [r, receiver] of clients.entries()) {
      const ids = goodMessages(receiver).map((m) => (m.type === 'message' ? m.envelope.id : ''));
      assert.equal(new Set(ids).size, ids.length, `good${r} got a duplicate`);
      assert.equal(ids.length, expectedPerReceiver, `good${r} got ${ids.length} of ${expectedPerReceiver}`);
      for (let s = 0; s < GOOD_CLIENTS; s++) {
        if (s === r) continue;
        const fromSender = ids.filter((id) => id.startsWith(`m${s}-`));
        assert.deepEqual(fromSender, Array.from({ length: MESSAGES_PER_CLIENT }, (_, k) => `m${s}-${k}`), `order from good${s} at good${r}`);
      }
    }
    assert.deepEqual(server.peerNames.filter((n) => n.startsWith('good')).length, GOOD_CLIENTS, 'no well-behaved client was dropped');
    const growthMb = (peakHeap - heapBefore) / 2 ** 20;
    // Everything here (server, 50 clients' logs of 490 messages each, attackers) shares one heap.
    assert.ok(growthMb < 200, `heap grew ${growthMb.toFixed(1)} MB`);
    const dropped = logs.filter((l) => /client\.protocol_error|handshake|client\.dropped/.test(l)).length;
    t.diagnostic(
      `soak: ${GOOD_CLIENTS} clients x ${MESSAGES_PER_CLIENT} room messages = ${GOOD_CLIENTS * expectedPerReceiver} deliveries in ${elapsed} ms ` +
        `alongside ${HOSTILE_CLIENTS} hostile connections (${[...new Set(kinds)].join(', ')}); ${dropped} hostile connections refused or dropped; ` +
        `heap growth at peak ${growthMb.toFixed(1)} MB`,
    );
    for (const client of clients) client.close();
  });
});
