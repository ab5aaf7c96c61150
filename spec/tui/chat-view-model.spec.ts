import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessageEvent } from '../../src/client/chat-session.js';
import { ChatViewModel, ROOM_ID, dmId, mentions, roomId } from '../../src/tui/chat-view-model.js';
import { peerView } from '../helpers/peer-views.js';

const peer = peerView;

let n = 0;
const incoming = (from: string, to: string | null, text: string): ChatMessageEvent => ({ id: String(n++), from, to, text, ts: 0, verified: true });

describe('ChatViewModel', () => {
  it('puts room messages in the room and DMs in a conversation per peer', () => {
    const model = new ChatViewModel('me');
    model.addIncoming(incoming('alice', null, 'to all'));
    model.addIncoming(incoming('alice', 'me', 'to me'));
    assert.equal(model.conversations.get(ROOM_ID)!.entries.length, 1);
    assert.equal(model.conversations.get(dmId('alice'))!.entries.length, 1);
    assert.deepEqual(model.order, [ROOM_ID, dmId('alice')]);
  });

  it('counts unread messages in conversations that are not open, and clears them on opening', () => {
    const model = new ChatViewModel('me');
    model.addIncoming(incoming('bob', 'me', 'one'));
    model.addIncoming(incoming('bob', 'me', 'two'));
    model.addIncoming(incoming('carol', null, 'room line'));
    assert.equal(model.unreadFor('bob'), 2);
    assert.equal(model.conversations.get(ROOM_ID)!.unread, 0, 'the open conversation has nothing unread');
    model.openDirect('bob');
    assert.equal(model.unreadFor('bob'), 0);
  });

  it('marks where unread messages start while the conversation is open, and drops the mark on leaving', () => {
    const model = new ChatViewModel('me');
    model.openDirect('bob');
    model.addIncoming(incoming('bob', 'me', 'seen'));
    model.openRoom();
    model.addIncoming(incoming('bob', 'me', 'new 1'));
    model.addIncoming(incoming('bob', 'me', 'new 2'));
    const dm = model.conversations.get(dmId('bob'))!;
    assert.equal(dm.unreadMarker, 1);
    model.openDirect('bob');
    assert.equal(dm.unreadMarker, 1, 'still shown while reading');
    model.openRoom();
    assert.equal(dm.unreadMarker, null);
  });

  it('switches conversations by number and cycles through them', () => {
    const model = new ChatViewModel('me');
    model.addIncoming(incoming('bob', 'me', 'x'));
    model.addIncoming(incoming('carol', 'me', 'y'));
    assert.ok(model.switchToIndex(3));
    assert.equal(model.currentPeer, 'carol');
    assert.equal(model.switchToIndex(9), false);
    model.cycle(1);
    assert.equal(model.current, ROOM_ID);
    model.cycle(-1);
    assert.equal(model.currentPeer, 'carol');
  });

  it('opens a DM from the peer list with Enter, and the room for yourself', () => {
    const model = new ChatViewModel('me');
    model.setPeers([peer('zed'), peer('me', { isSelf: true, lookalikeOf: undefined }), peer('amy')]);
    assert.deepEqual(
      model.peers.map((p) => p.name),
      ['me', 'amy', 'zed'],
      'you first, then by name',
    );
    model.focus = 'peers';
    model.movePeerCursor(1);
    model.openSelectedPeer();
    assert.equal(model.currentPeer, 'amy');
    assert.equal(model.focus, 'input');
    model.movePeerCursor(-1);
    model.openSelectedPeer();
    assert.equal(model.current, ROOM_ID);
  });

  it('records own messages, marking those queued while offline until they are sent', () => {
    const model = new ChatViewModel('me');
    model.addOutgoing(null, 'later', true);
    const isQueued = () => {
      const entry = model.conversations.get(ROOM_ID)!.entries[0]!;
      return entry.kind === 'message' && entry.isQueued === true;
    };
    assert.equal(isQueued(), true);
    model.markQueuedSent();
    assert.equal(isQueued(), false);
  });
});

describe('highlights and closing conversations', () => {
  it('knows a line names you as a word, in any case, with or without @', () => {
    assert.ok(mentions('hey alice, look', 'alice'));
    assert.ok(mentions('@Alice: there', 'alice'));
    assert.ok(!mentions('malice aforethought', 'alice'));
    assert.ok(!mentions('alice_b is here', 'alice'));
  });

  it('counts highlights (DMs and mentions) apart from unread lines, and rings for each', () => {
    const model = new ChatViewModel('me');
    let rung = 0;
    model.onHighlight = () => rung++;
    model.openDirect('bob');
    model.addIncoming({ id: '1', from: 'carol', to: null, text: 'plain', ts: 0, verified: true });
    model.addIncoming({ id: '2', from: 'carol', to: null, text: 'ping me', ts: 0, verified: true });
    model.addIncoming({ id: '3', from: 'dan', to: 'me', text: 'a DM', ts: 0, verified: true });
    assert.equal(rung, 2);
    assert.deepEqual(model.totals(), { unread: 3, highlights: 2 });
    model.openRoom();
    assert.deepEqual(model.totals(), { unread: 1, highlights: 1 }, 'opening a conversation reads it');
  });

  it('closes a DM (Alt+N renumber), refuses to close the room, and reopens the DM with its log', () => {
    const model = new ChatViewModel('me');
    model.addIncoming({ id: '1', from: 'bob', to: 'me', text: 'first', ts: 0, verified: true });
    model.addIncoming({ id: '2', from: 'carol', to: 'me', text: 'hi', ts: 0, verified: true });
    model.openDirect('bob');
    assert.ok(model.closeCurrent());
    assert.equal(model.current, ROOM_ID);
    assert.deepEqual(model.order, [ROOM_ID, dmId('carol')]);
    assert.ok(!model.closeCurrent(), 'the room stays');
    model.openDirect('bob');
    assert.equal(model.currentConversation.entries.length, 1, 'the log is still there');
    assert.deepEqual(model.order, [ROOM_ID, dmId('carol'), dmId('bob')]);
  });

  it('files room lines under their room, sends there when it is open, and drops a room no longer listed', () => {
    const model = new ChatViewModel('me');
    const dev = { name: '#dev', topic: '', inviteOnly: false, members: [{ name: 'me' }, { name: 'bob' }] };
    model.setRooms([dev]);
    model.addIncoming({ id: '1', from: 'bob', to: '#dev', text: 'in dev', ts: 0, verified: true });
    model.addIncoming({ id: '2', from: 'bob', to: '#DEV', text: 'me: look', ts: 0, verified: true });
    const conversation = model.conversations.get(roomId('#dev'))!;
    assert.equal(conversation.entries.length, 2, 'one conversation however the name is spelled');
    assert.deepEqual([conversation.unread, conversation.highlights], [2, 1], 'a line naming you is a highlight; a room line alone is not');
    model.openNamedRoom('#dev');
    assert.deepEqual([model.currentTarget, model.currentRoom, model.currentPeer, model.currentLabel], ['#dev', '#dev', null, '#dev']);
    model.openRoom();
    assert.deepEqual([model.currentTarget, model.currentLabel], [null, '#room']);
    model.openNamedRoom('#dev');
    model.setRooms([]);
    assert.equal(model.current, ROOM_ID, 'back in the lobby');
    assert.deepEqual(model.order, [ROOM_ID]);
  });
});
