import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatClient, ClientEvents } from '../../src/client/chat-client.js';
import type { PeerView } from '../../src/client/peer-directory.js';
import { TypedEmitter } from '../../src/core/typed-emitter.js';
import { ChatViewModel } from '../../src/tui/chat-view-model.js';
import { feedClientToModel } from '../../src/tui/client-feed.js';
import { peerView } from '../helpers/peer-views.js';

class FakeClient extends TypedEmitter<ClientEvents> {
  list: PeerView[] = [];
  peers(): PeerView[] {
    return this.list;
  }
  peer(name: string): PeerView | undefined {
    return this.list.find((peer) => peer.name === name);
  }
  history(): [] {
    return [];
  }
  fire<K extends keyof ClientEvents & string>(event: K, payload: ClientEvents[K]): void {
    this.emit(event, payload);
  }
}

const view = (name: string, extra: Partial<PeerView> = {}): PeerView => peerView(name, { trust: 'new', ...extra });

function feed() {
  const client = new FakeClient();
  const model = new ChatViewModel('alice');
  let changes = 0;
  feedClientToModel(client as unknown as ChatClient, model, () => changes++);
  const log = () => model.currentConversation.entries.map((entry) => ('text' in entry ? entry.text : ''));
  return { client, model, log, changes: () => changes };
}

describe('feedClientToModel', () => {
  it('says who joined, with a warning for a look-alike name', () => {
    const { client, log, changes } = feed();
    client.list = [view('alice', { isSelf: true }), view('a1ice', { lookalikeOf: 'alice' })];
    client.fire('join', client.list[1]!);
    assert.match(log()[0]!, /a1ice joined, first seen/);
    assert.match(log()[1]!, /a1ice LOOKS LIKE alice/);
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
});
