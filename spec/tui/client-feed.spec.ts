import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatClient, ClientEvents } from '../../src/client/chat-client.js';
import type { DeliverySummary } from '../../src/client/delivery-tracker.js';
import type { PeerView } from '../../src/client/peer-directory.js';
import type { HistoryRecord } from '../../src/client/state/client-state.js';
import { TypedEmitter } from '../../src/core/typed-emitter.js';
import { ChatViewModel } from '../../src/tui/chat-view-model.js';
import { feedClientToModel } from '../../src/tui/client-feed.js';
import { peerView } from '../helpers/peer-views.js';
import type { RoomView } from '../../src/core/messages.js';
import { roomId } from '../../src/tui/chat-view-model.js';

class FakeClient extends TypedEmitter<ClientEvents> {
  list: PeerView[] = [];
  peers(): PeerView[] {
    return this.list;
  }
  peer(name: string): PeerView | undefined {
    return this.list.find((peer) => peer.name === name);
  }
  records: HistoryRecord[] = [];
  tracked = new Map<string, DeliverySummary>();
  history(): HistoryRecord[] {
    return this.records;
  }
  deliveryOf(id: string): DeliverySummary | undefined {
    return this.tracked.get(id);
  }
  joined: RoomView[] = [];
  rooms(): RoomView[] {
    return this.joined;
  }
  fire<K extends keyof ClientEvents & string>(event: K, payload: ClientEvents[K]): void {
    this.emit(event, payload);
  }
}

const view = (name: string, extra: Partial<PeerView> = {}): PeerView => peerView(name, { trust: 'new', ...extra });

function feed(before: (client: FakeClient) => void = () => {}) {
  const client = new FakeClient();
  before(client);
  const model = new ChatViewModel('alice');
  let changes = 0;
  feedClientToModel(client as unknown as ChatClient, model, () => changes++);
  const log = () => model.currentConversation.entries.map((entry) => ('text' in entry ? entry.text : ''));
  return { client, model, log, changes: () => changes };
}

describe('feedClientToModel', () => {
  it("tells a running client at once that the server's certificate changed, and promises no queue to a server never reached", () => {
    const { client, log } = feed();
    client.fire('state', { state: 'offline', reason: 'connection closed', retryInMs: 500, reached: true });
    assert.match(log().at(-1)!, /\(connection closed\); .*Messages you send now are queued\./);
    // The same outage: a retry meets another certificate.
    client.fire('state', { state: 'connecting' });
    client.fire('state', {
      state: 'offline',
      reason: 'the certificate of 127.0.0.1:7373 CHANGED since you first connected (...).',
      retryInMs: 1000,
      reached: true,
      code: 'CHAT_ERR_SERVER_KEY_CHANGED',
    });
    assert.match(log().at(-1)!, /^not connecting: the certificate of 127\.0\.0\.1:7373 CHANGED/);
    assert.doesNotMatch(log().at(-1)!, /queued/);
    const said = log().length;
    client.fire('state', { state: 'offline', reason: 'again', retryInMs: 2000, reached: true, code: 'CHAT_ERR_SERVER_KEY_CHANGED' });
    assert.equal(log().length, said, 'once');

    const never = feed();
    never.client.fire('state', { state: 'offline', reason: 'connect ECONNREFUSED 127.0.0.1:1', retryInMs: 500, reached: false });
    assert.match(never.log().at(-1)!, /cannot reach the server .*Nothing is sent or queued until it answers/);
  });

  it('says who joined, with a warning for a look-alike name', () => {
    const { client, log, changes } = feed();
    client.list = [view('alice', { isSelf: true }), view('a1ice', { lookalikeOf: 'alice' })];
    client.fire('join', client.list[1]!);
    assert.match(log()[0]!, /a1ice joined, first seen/);
    assert.match(log()[1]!, /a1ice LOOKS LIKE alice/);
    assert.equal(changes(), 1);
  });

  it('lists someone looked up (a big server) without a line in the log', () => {
    const { client, model, log, changes } = feed();
    client.list = [view('alice', { isSelf: true }), view('bob')];
    client.fire('peers', client.list);
    assert.deepEqual(
      model.peers.map((peer) => peer.name),
      ['alice', 'bob'],
    );
    assert.deepEqual(log(), []);
    assert.equal(changes(), 1);
  });

  it('says once per outage that it cannot connect, or that the connection was lost once it had joined', () => {
    const { client, log } = feed();
    client.fire('state', { state: 'offline', reason: 'ECONNREFUSED', retryInMs: 500 });
    client.fire('state', { state: 'offline', reason: 'ECONNREFUSED', retryInMs: 1000 });
    assert.equal(log().filter((line) => /cannot connect to the server \(ECONNREFUSED\)/.test(line)).length, 1);
    client.fire('ready', { name: 'alice', fingerprint: 'ab'.repeat(32), peers: [] });
    client.fire('state', { state: 'online' });
    client.fire('state', { state: 'offline', reason: 'gone', retryInMs: 500 });
    client.fire('state', { state: 'offline', reason: 'gone', retryInMs: 900 });
    assert.equal(log().filter((line) => /connection lost \(gone\)/.test(line)).length, 1);
  });

  it('opens a room we join, tells its events in it, and keeps its window with the kick in it when we are kicked', () => {
    const { client, model, log } = feed();
    const dev: RoomView = { name: '#dev', topic: 'ship it', inviteOnly: false, members: [{ name: 'bob', op: true }, { name: 'alice' }] };
    client.joined = [dev];
    client.fire('room-change', { event: { type: 'room-event', room: '#dev', kind: 'join', name: 'alice' }, room: dev });
    assert.equal(model.currentRoom, '#dev', ':join opens the room');
    assert.match(log().at(-1)!, /you joined #dev; topic: ship it; members: @bob, alice/);
    client.fire('room-change', {
      event: { type: 'room-event', room: '#dev', kind: 'topic', name: 'bob', by: 'bob', topic: 'friday' },
      room: { ...dev, topic: 'friday' },
    });
    assert.match(log().at(-1)!, /bob set the topic of #dev: friday/);
    client.joined = [];
    const lobbyLines = model.conversations.get('room')!.entries.length;
    client.fire('room-change', { event: { type: 'room-event', room: '#dev', kind: 'kick', name: 'alice', by: 'bob', reason: 'spam' }, room: undefined });
    assert.equal(model.current, roomId('#dev'), "the room's window stays open");
    assert.match(log().at(-1)!, /bob removed you from #dev \(spam\)/, 'the kick is said in the room itself, with its reason');
    assert.equal(model.conversations.get('room')!.entries.length, lobbyLines, 'and not in the lobby');
    assert.equal(model.isInRoom('#dev'), false, 'no longer a room we are in');
    // Back in: one "you joined", and the kick line still there above it.
    client.joined = [dev];
    client.fire('room-change', { event: { type: 'room-event', room: '#dev', kind: 'join', name: 'alice' }, room: dev });
    client.fire('room-change', { event: { type: 'room-event', room: '#dev', kind: 'join', name: 'alice' }, room: dev });
    const lines = log();
    assert.equal(lines.filter((line) => /you joined #dev/.test(line)).length, 2, 'the first join and the one after the kick, not the :join repeated');
    assert.match(lines.at(-2)!, /bob removed you from #dev/);
  });

  it('says in a DM once that its peer went away, and that they came back; answers :away where it was typed', () => {
    const { client, model } = feed();
    const dm = () => model.conversations.get('dm:bob')!.entries.map((entry) => ('text' in entry ? entry.text : ''));
    client.list = [view('alice', { isSelf: true }), view('bob')];
    client.fire('join', client.list[1]!);
    model.openDirect('bob');
    client.list = [view('alice', { isSelf: true }), view('bob', { online: false })];
    client.fire('leave', { name: 'bob' });
    client.fire('leave', { name: 'bob' });
    assert.equal(dm().filter((line) => /bob went away/.test(line)).length, 1, 'once');
    client.list = [view('alice', { isSelf: true }), view('bob')];
    client.fire('join', client.list[1]!);
    assert.match(dm().at(-1)!, /^bob is back$/);
    client.fire('away', { name: 'alice', message: 'lunch' });
    assert.match(dm().at(-1)!, /you are marked away: lunch/, 'in the window it was typed in');
    assert.equal(model.selfAway, 'lunch');
  });

  it('shows our lines from the history with their delivery state, and updates it as news comes', () => {
    const stored: DeliverySummary = {
      id: 'm1',
      to: 'bob',
      text: 'see you',
      total: 1,
      delivered: 0,
      confirmed: 0,
      stored: 1,
      sent: 0,
      failed: [],
      pending: false,
    };
    const { client, model } = feed((c) => {
      c.records = [
        { kind: 'out', id: 'm1', to: 'bob', text: 'see you', ts: 1 },
        { kind: 'out', id: 'm0', to: 'bob', text: 'settled long ago', ts: 0 },
      ];
      c.tracked.set('m1', stored);
    });
    const lines = () => [...model.conversations.get('dm:bob')!.entries].filter((entry) => entry.kind === 'message');
    const markOf = (id: string) => lines().find((entry) => entry.kind === 'message' && entry.id === id);
    const first = markOf('m1');
    assert.equal(first?.kind === 'message' ? first.delivery?.text : undefined, 'server says: stored until they are back');
    const settled = markOf('m0');
    assert.equal(settled?.kind === 'message' ? settled.delivery : 'missing', undefined, 'no mark once settled and pruned');
    client.fire('delivery', { ...stored, stored: 0, delivered: 1 });
    const updated = markOf('m1');
    assert.equal(updated?.kind === 'message' ? updated.delivery?.text : undefined, 'delivered');
  });
});
