import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatViewModel } from '../../src/tui/chat-view-model.js';
import { InputLine } from '../../src/tui/input-line.js';
import { escapeTags, nameColor } from '../../src/tui/markup.js';
import {
  type LogLine,
  UNREAD_MARKER,
  renderActivityBar,
  renderInput,
  terminalTitle,
  renderLog,
  renderLogEntry,
  peerListLabel,
  renderPeerList,
  renderRoomList,
  renderStatus,
  sidebarColumns,
} from '../../src/tui/render-panes.js';
import { peerView } from '../helpers/peer-views.js';

const peer = peerView;

/** What blessed would display: tags resolved, {open}/{close} turned back into braces. */
function visible(tagged: string | readonly LogLine[]): string {
  const text = typeof tagged === 'string' ? tagged : tagged.map((line) => line.prefix + line.body).join('\n');
  return text.replace(/\{(open|close)\}|\{[^{}]*\}/g, (_tag, word) => (word === 'open' ? '{' : word === 'close' ? '}' : ''));
}

describe('pane rendering', () => {
  it("shows a peer's blessed tags literally instead of applying them", () => {
    const line = renderLogEntry({
      kind: 'message',
      ts: 0,
      from: 'mallory',
      text: '{red-bg}{bold}FAKE SYSTEM{/bold}',
      isOwn: false,
      verified: true,
      isDirect: false,
    });
    assert.ok(line[0]!.body.includes('{open}red-bg{close}'));
    assert.match(visible(line), /<mallory> \{red-bg\}\{bold\}FAKE SYSTEM\{\/bold\}$/);
  });

  it('draws room lines as <name> and DM lines as *name*, and flags unverified senders', () => {
    const room = visible(renderLogEntry({ kind: 'message', ts: 0, from: 'amy', text: 'hi', isOwn: false, verified: true, isDirect: false }));
    const dm = visible(renderLogEntry({ kind: 'message', ts: 0, from: 'amy', text: 'hi', isOwn: false, verified: false, isDirect: true }));
    assert.match(room, /<amy> hi/);
    assert.match(dm, /\*amy\* \[unverified\] hi/);
  });

  it('gives every name the same color every time', () => {
    assert.equal(nameColor('alice'), nameColor('Alice'));
    assert.equal(escapeTags('{x}'), '{open}x{close}');
  });

  it('puts the unread marker before the first unread line', () => {
    const model = new ChatViewModel('me');
    model.addIncoming({ id: '1', from: 'bob', to: 'me', text: 'a', ts: 0, verified: true });
    model.addIncoming({ id: '2', from: 'bob', to: 'me', text: 'b', ts: 0, verified: true });
    model.openDirect('bob');
    const lines = visible(renderLog(model.currentConversation)).split('\n');
    assert.equal(lines[0], UNREAD_MARKER);
    assert.match(lines[1]!, /\*bob\* a/);
  });

  it('marks yourself, verified peers, changed keys and unread counts in the peer list', () => {
    const model = new ChatViewModel('me');
    model.setPeers([peer('me', { isSelf: true }), peer('ver', { verified: true }), peer('bad', { trust: 'changed' }), peer('dan')]);
    model.addIncoming({ id: '1', from: 'dan', to: 'me', text: 'x', ts: 0, verified: true });
    const rows = visible(renderPeerList(model)).split('\n');
    assert.deepEqual(rows, ['   me (you)', ' !KEY bad', ' ? dan (1)', ' ✓ ver']);
  });

  it('cuts a long name with "…" so that (you), (away) and the unread count still fit', () => {
    const model = new ChatViewModel('me');
    const long = 'a-very-long-name-of-thirty-two-c';
    model.setPeers([peer(long, { isSelf: true }), peer('bob-has-a-long-name-too', { awayMessage: 'lunch' })]);
    model.addIncoming({ id: '1', from: 'bob-has-a-long-name-too', to: 'me', text: 'x', ts: 0, verified: true });
    const rows = visible(renderPeerList(model, 18)).split('\n');
    assert.deepEqual(rows, ['   a-very-l… (you)', ' ? bob… (away) (1)']);
    for (const row of rows) assert.ok(row.length <= 18, row);
    model.setRooms([{ name: '#a-room-with-a-long-name', topic: '', inviteOnly: true, members: [] }]);
    assert.deepEqual(visible(renderRoomList(model, 18)).split('\n'), ['1 #room', '3 #a-room-with… +i']);
  });

  it('leaves out users not seen for 14 days, and says how many', () => {
    const model = new ChatViewModel('me');
    const now = Date.now();
    const day = 24 * 3600_000;
    model.setPeers(
      [
        peer('me', { isSelf: true }),
        peer('gone', { online: false, joinedAt: now - 30 * day }),
        peer('away', { online: false, joinedAt: now - 2 * day }),
        peer('talked', { online: false, joinedAt: now - 60 * day }),
      ],
      now,
    );
    assert.deepEqual(visible(renderPeerList(model)).split('\n'), ['   me (you)', ' ? away (offline)', '  +2 not seen in 14 days']);
    model.openDirect('talked');
    model.setPeers([peer('talked', { online: false, joinedAt: now - 60 * day })], now);
    assert.deepEqual(visible(renderPeerList(model)).split('\n'), ['▸? talked (offline)'], 'a DM open keeps its peer listed');
  });

  it("lists the open room's members as a nicklist: operators first (@), then who is here, away, offline; Enter opens a DM", () => {
    const model = new ChatViewModel('me');
    const now = Date.now();
    model.setPeers(
      [
        peer('me', { isSelf: true }),
        peer('zed', { awayMessage: 'lunch' }),
        peer('amy'),
        peer('bob'),
        peer('old', { online: false, joinedAt: now - 60 * 24 * 3600_000 }),
        peer('outsider'),
      ],
      now,
    );
    model.setRooms([
      { name: '#dev', topic: '', inviteOnly: false, members: [{ name: 'zed' }, { name: 'me' }, { name: 'bob', op: true }, { name: 'old' }, { name: 'amy' }] },
    ]);
    model.openNamedRoom('#dev');
    assert.deepEqual(visible(renderPeerList(model)).split('\n'), [' ? @bob', ' ? amy', '   me (you)', ' ? zed (away)', ' ? old (offline)']);
    assert.equal(peerListLabel(model), ' #dev: 5 members ', 'whose list it is, not "peers"; long-gone members too, and no outsider');
    model.focus = 'peers';
    model.movePeerCursor(1);
    model.openSelectedPeer();
    assert.equal(model.currentPeer, 'amy', 'the row under the cursor, in the room list');
    assert.equal(peerListLabel(model), ' peers ', 'a DM lists everyone again');
    assert.match(visible(renderPeerList(model)), /outsider/);
  });

  it('gives the left column a quarter of the screen, between 16 and 30 columns', () => {
    assert.equal(sidebarColumns(80), 20);
    assert.equal(sidebarColumns(200), 30, 'not 50 at 200 wide');
    assert.equal(sidebarColumns(50), 16);
  });

  it('flags a name that reads like another one in the peer list', () => {
    const model = new ChatViewModel('me');
    model.setPeers([peer('alice'), peer('a1ice', { lookalikeOf: 'alice' })]);
    const rows = visible(renderPeerList(model)).split('\n');
    assert.deepEqual(rows, [' ? a1ice ≈alice', ' ? alice']);
  });

  it('shows server, name, fingerprint, state and conversation in the status bar', () => {
    const model = new ChatViewModel('alice');
    model.link = { state: 'offline', retryInMs: 4000 };
    model.openDirect('bob');
    const status = visible(renderStatus(model, { server: 'host:7373', fingerprint: `ab12cd34ef56ab12${'0'.repeat(48)}` }));
    assert.equal(status, ' host:7373 │ alice ab12 cd34 ef56 ab12 │ offline (retry in 4s) │ DM bob │ F1 help');
  });

  it('counts the retry down, and says when we are away', () => {
    const model = new ChatViewModel('alice');
    model.link = { state: 'offline', retryInMs: 8000, retryAt: 10_000 };
    model.selfAway = 'lunch';
    const info = { server: 'host:7373', fingerprint: `ab12cd34ef56ab12${'0'.repeat(48)}` };
    assert.match(visible(renderStatus(model, info, Number.POSITIVE_INFINITY, 2000)), /alice \(away\) ab12 .* offline \(retry in 8s\)/);
    assert.match(visible(renderStatus(model, info, Number.POSITIVE_INFINITY, 5000)), /offline \(retry in 5s\)/);
  });

  it('fits the status bar by dropping whole fields, least needed first, never cutting one', () => {
    const model = new ChatViewModel('alice');
    model.link = { state: 'online' };
    model.playing = 'testsrc2-320x240-30fps.mp4 1.3s/5.0s paused (12 dropped)';
    const info = { server: 'chat.example.org:7373', fingerprint: `ab12cd34ef56ab12${'0'.repeat(48)}` };
    const full = visible(renderStatus(model, info));
    for (const width of [200, 120, 80, 60, 30]) {
      const fitted = visible(renderStatus(model, info, width));
      assert.ok(fitted.length <= Math.max(width, visible(renderStatus(model, info, 0)).length), `${width}: ${fitted}`);
      for (const field of fitted.trim().split(' │ ')) assert.ok(full.includes(field), `"${field}" is whole`);
      assert.match(fitted, /online │ #room/, 'state and conversation always show');
    }
    assert.doesNotMatch(visible(renderStatus(model, info, 120)), /F1 help/, 'the help hint goes first');
    assert.match(visible(renderStatus(model, info, 120)), /▶ testsrc2-320x240-30fps\.mp4 1\.3s\/5\.0s paused \(12 dropped\)/);
  });

  it('says in the status bar when the server has lost the rest of its cluster', () => {
    const model = new ChatViewModel('alice');
    model.link = { state: 'online' };
    const info = { server: 'host:7373', fingerprint: `ab12cd34ef56ab12${'0'.repeat(48)}` };
    assert.match(visible(renderStatus(model, info)), /│ online │/);
    model.clusterDegraded = true;
    assert.match(visible(renderStatus(model, info)), /│ online, cluster degraded │/);
  });

  it('wraps a long input line and keeps the cursor row in view', () => {
    const input = new InputLine();
    input.insert('x'.repeat(25));
    const rendered = renderInput(input, '> ', 10, 2);
    assert.equal(rendered.rows, 2);
    const rows = visible(rendered.content).split('\n');
    assert.deepEqual(rows, ['xxxxxxxxxx', 'xxxxxxx ']);
  });
});

describe('activity bar, title and actions', () => {
  it('lists every conversation with its Alt+N number and counts, the open one in inverse', () => {
    const model = new ChatViewModel('me');
    model.openDirect('dan');
    model.addIncoming({ id: '1', from: 'bob', to: 'me', text: 'a', ts: 0, verified: true });
    model.addIncoming({ id: '2', from: 'bob', to: 'me', text: 'b', ts: 0, verified: true });
    model.addIncoming({ id: '3', from: 'carol', to: null, text: 'c', ts: 0, verified: true });
    const bar = renderActivityBar(model);
    assert.equal(visible(bar), '1:#room 1  2:dan  3:bob 2!2');
    assert.match(bar, /\{inverse\}2:dan\{\/inverse\}/);
    assert.equal(terminalTitle(model), 'tui-chat (3, 2!)');
    model.openDirect('bob');
    model.openRoom();
    assert.equal(terminalTitle(model), 'tui-chat');
  });

  it('shows an action as "* name action" and a line naming you highlighted', () => {
    const action = visible(renderLogEntry({ kind: 'message', ts: 0, from: 'amy', text: '/me waves', isOwn: false, verified: true, isDirect: false }));
    assert.match(action, /\* amy waves$/);
    const named = renderLogEntry({ kind: 'message', ts: 0, from: 'amy', text: 'hi me', isOwn: false, verified: true, isDirect: false, highlight: true });
    assert.match(named[0]!.body, /\{yellow-fg\}\{bold\}hi me/);
  });
});

describe('log layout', () => {
  it('aligns the nick column across names and marks where the day changes', () => {
    const model = new ChatViewModel('me');
    const day = (d: number, h: number) => new Date(2026, 10, d, h, 5).getTime();
    model.addIncoming({ id: '1', from: 'bob', to: null, text: 'late one', ts: day(25, 23), verified: true });
    model.addIncoming({ id: '2', from: 'carolyn', to: null, text: 'early one', ts: day(26, 7), verified: true });
    const lines = renderLog(model.currentConversation).map((line) => visible(line.prefix + line.body));
    assert.deepEqual(lines, ['23:05     <bob> late one', '──── Thursday, 26 November 2026 ────', '07:05 <carolyn> early one']);
  });

  it('shows seconds when asked', () => {
    const model = new ChatViewModel('me');
    model.addIncoming({ id: '1', from: 'bob', to: null, text: 'hi', ts: new Date(2026, 10, 26, 9, 8, 7).getTime(), verified: true });
    assert.equal(visible(renderLog(model.currentConversation, true)[0]!.prefix), '09:08:07 <bob> ');
  });
});
