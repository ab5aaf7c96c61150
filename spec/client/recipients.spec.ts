// A big room on a big server: its members are listed from presence (or only in its roster), their
// keys fetched once a line goes there, not when they join. Here a room of three counts as big
// (keysOnSightMaxRoomMembers: 1), so three real sessions show what a room of thousands does.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ChatClient } from '../../src/client/chat-client.js';
import { type ChatMessageEvent, ChatSession, type SessionEvents } from '../../src/client/chat-session.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

async function bigRoom(t: TestContext, keysOnSightMaxRoomMembers: number) {
  const server = new ChatServer({ port: 0, limits: { fullPresenceMaxUsers: 0 } });
  const { port } = await server.listen();
  t.after(() => server.close());
  const members = [];
  for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
    const session = new ChatSession({ host: '127.0.0.1', port, name, identity: ids[i]!, keysOnSightMaxRoomMembers });
    const messages: ChatMessageEvent[] = [];
    const deliveries: Array<SessionEvents['delivery']> = [];
    session.on('message', (m) => messages.push(m));
    session.on('delivery', (d) => deliveries.push(d));
    await session.connect();
    t.after(() => session.close());
    session.joinRoom('#big');
    await waitUntil(() => session.room('#big') !== undefined, `${name} to be in #big`);
    members.push({ session, messages, deliveries });
  }
  const [alice, bob, carol] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
  // The marker: carol's join is in alice's roster, so alice has handled it (in order) already.
  await waitUntil(() => alice.session.room('#big')?.members.length === 3, "alice's roster to hold all three");
  return { alice, bob, carol, port };
}

describe('Recipients (a big room on a big server)', () => {
  it("fetches a big room's keys for its first line, not on joining, and every member reads it", async (t) => {
    const { alice, bob, carol } = await bigRoom(t, 1);
    assert.equal(alice.session.peer('bob'), undefined, "bob's keys were not fetched when he joined");
    assert.equal(alice.session.peer('carol'), undefined, "nor carol's");
    assert.equal(alice.session.needsLookup('#big'), true);
    assert.equal(await alice.session.lookup('#big'), true);
    assert.equal(alice.session.needsLookup('#big'), false, 'both listed with keys now');
    const sent = alice.session.sendToRoom('#big', 'hello big room');
    assert.deepEqual(sent.withheld, []);
    await waitUntil(() => bob.messages.some((m) => m.text === 'hello big room'), 'bob to read it');
    await waitUntil(() => carol.messages.some((m) => m.text === 'hello big room'), 'carol to read it');
    assert.ok(bob.session.peer('alice') !== undefined, 'the reader fetched the writer’s keys to open it');
  });

  it('keeps fetching keys on sight in a small room', async (t) => {
    const { alice } = await bigRoom(t, 3);
    await waitUntil(() => alice.session.peer('carol') !== undefined, "carol's keys, fetched when she joined");
    assert.equal(alice.session.needsLookup('#big'), false);
  });

  it('tells the sender which members did not get a line sealed without their keys, and why', async (t) => {
    const { alice, bob } = await bigRoom(t, 1);
    const sent = alice.session.sendToRoom('#big', 'sealed too soon');
    assert.deepEqual([...sent.withheld].sort(), ['bob', 'carol']);
    await waitUntil(
      () => alice.deliveries.some((d) => d.id === sent.id && d.failed.some((f) => f.name === 'bob' && /no keys/.test(f.reason))),
      'the delivery to say bob got nothing, and why',
    );
    // The marker: a line after a lookup reaches bob, and the one before it never did.
    await alice.session.lookup('#big');
    alice.session.sendToRoom('#big', 'after the lookup');
    await waitUntil(() => bob.messages.some((m) => m.text === 'after the lookup'), 'bob to read the next line');
    assert.equal(
      bob.messages.some((m) => m.text === 'sealed too soon'),
      false,
    );
  });

  it('sends a line typed into a big room once its members are looked up, as the TUI sends it (through the client)', async (t) => {
    const { bob, carol, port } = await bigRoom(t, 1);
    const dave = new ChatClient({
      host: '127.0.0.1',
      port,
      name: 'dave',
      identity: ids[0]!,
      keysOnSightMaxRoomMembers: 1,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    dave.start();
    t.after(() => dave.stop());
    await waitUntil(() => dave.state === 'online', 'dave to be connected');
    dave.joinRoom('#big');
    await waitUntil(() => dave.room('#big')?.members.length === 4, "dave's roster to hold all four");
    const outcome = dave.send('#big', 'typed in the big room');
    assert.equal(outcome.status, 'queued', 'it waits for the members to be looked up, it is not sealed without them');
    await waitUntil(() => bob.messages.some((m) => m.text === 'typed in the big room'), 'bob to read it');
    await waitUntil(() => carol.messages.some((m) => m.text === 'typed in the big room'), 'carol to read it');
  });
});
