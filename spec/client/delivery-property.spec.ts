// A property over random schedules: three clients connect, disconnect, send (room lines and DMs)
// and the server restarts on its data dir, in random order (fixed seeds, so a failure replays).
// At the end, with everyone back: every message reached each of its recipients exactly once, or
// its sender was told, for that recipient, that it did not and why. PROPERTY_SEEDS=4,5,... runs
// other schedules (seeds 1-13 passed when this was written; seed 3 found a queued message reported
// failed when the connection dropped again while the queue was being sent).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { ChatClient } from '../../src/client/chat-client.js';
import type { DeliverySummary } from '../../src/client/delivery-tracker.js';
import { ClientState } from '../../src/client/state/client-state.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';

const NAMES = ['alice', 'bob', 'carol'] as const;
type Name = (typeof NAMES)[number];
const STEPS = 40;

/** mulberry32: a small seeded generator, so a failing schedule can be replayed by its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map((i) => testIdentity(i)));
});

interface Sent {
  readonly text: string;
  readonly from: Name;
  readonly to: readonly Name[];
  id?: string;
}

async function runSchedule(t: TestContext, seed: number): Promise<void> {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const dir = mkdtempSync(join(tmpdir(), 'tui-chat-property-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  const dataDir = join(dir, 'server');
  let server = new ChatServer({ port: 0, dataDir });
  const port = (await server.listen()).port;
  const received = new Map<Name, string[]>(NAMES.map((name) => [name, []]));
  const summaries = new Map<string, DeliverySummary>();
  const clients = new Map<Name, ChatClient>();

  const start = (name: Name): ChatClient => {
    const index = NAMES.indexOf(name);
    const client = new ChatClient({
      host: '127.0.0.1',
      port,
      name,
      identity: ids[index]!,
      backoff: { initialMs: 20, maxMs: 100 },
      state: ClientState.open(join(dir, name), ids[index]!),
    });
    client.on('message', (m) => received.get(name)!.push(m.text));
    client.on('delivery', (d) => summaries.set(d.id, d));
    client.on('error', () => {});
    client.start();
    clients.set(name, client);
    return client;
  };
  const stop = async (name: Name) => {
    await clients.get(name)?.stop();
    clients.delete(name);
  };

  // Everyone registers once, so each is a member the others can reach while away.
  for (const name of NAMES) start(name);
  await waitUntil(() => NAMES.every((name) => clients.get(name)!.state === 'online' && clients.get(name)!.peers().length === 3), 'all registered');

  const sent: Sent[] = [];
  for (let step = 0; step < STEPS; step++) {
    const roll = next();
    const name = pick(NAMES);
    if (roll < 0.55) {
      const client = clients.get(name);
      if (client === undefined) continue;
      const dm = next() < 0.4;
      const others = NAMES.filter((other) => other !== name);
      const to = dm ? [pick(others)] : others;
      const text = `${seed}-${step}-${name}${dm ? `-to-${to[0]}` : ''}`;
      const outcome = dm ? client.sendDirect(to[0]!, text) : client.sendRoom(text);
      sent.push({ text, from: name, to, id: outcome.status === 'sent' ? outcome.sent.id : outcome.id });
    } else if (roll < 0.75) {
      if (clients.has(name)) await stop(name);
      else start(name);
    } else if (roll < 0.85) {
      await server.close();
      server = new ChatServer({ port, dataDir });
      await server.listen();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 30)));
  }

  // Everyone back; then wait until each message is received by each recipient or reported failed.
  for (const name of NAMES) if (!clients.has(name)) start(name);
  const failedFor = (message: Sent, recipient: Name) => summaries.get(message.id!)?.failed.some((f) => f.name.toLowerCase() === recipient) === true;
  const settled = () =>
    sent.every((message) => message.to.every((recipient) => received.get(recipient)!.includes(message.text) || failedFor(message, recipient)));
  try {
    await waitUntil(settled, `every message delivered or reported (seed ${seed})`, 30_000);
  } catch (error) {
    const open = sent.flatMap((message) =>
      message.to
        .filter((recipient) => !received.get(recipient)!.includes(message.text) && !failedFor(message, recipient))
        .map((recipient) => `${message.text} -> ${recipient} (${JSON.stringify(summaries.get(message.id!) ?? 'no news')})`),
    );
    throw new Error(`${(error as Error).message}; still open: ${open.join('; ')}`);
  }
  for (const message of sent) {
    for (const recipient of message.to) {
      const copies = received.get(recipient)!.filter((text) => text === message.text).length;
      if (copies === 0) assert.ok(failedFor(message, recipient), `seed ${seed}: "${message.text}" never reached ${recipient} and nobody said why`);
      else assert.equal(copies, 1, `seed ${seed}: "${message.text}" shown to ${recipient} ${copies} times`);
    }
  }
  for (const name of NAMES) await stop(name);
  await server.close();
}

describe('delivery over random schedules of connects, disconnects, sends and server restarts', () => {
  for (const seed of (process.env['PROPERTY_SEEDS'] ?? '1,2,3').split(',').map(Number)) {
    it(`delivers every message exactly once or tells its sender why (seed ${seed})`, async (t) => {
      await runSchedule(t, seed);
    });
  }
});
