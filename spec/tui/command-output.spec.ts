import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerView } from '../../src/client/peer-directory.js';
import { ChatViewModel } from '../../src/tui/chat-view-model.js';
import { commandOutputFor } from '../../src/tui/command-output.js';
import { peerView } from '../helpers/peer-views.js';

const bob: PeerView = peerView('bob', { verified: true, firstSeen: 0, lookalikeOf: 'b0b' });

describe('commandOutputFor', () => {
  it('writes each result as a log line, and opens help through the view', () => {
    const model = new ChatViewModel('alice');
    let helped = false;
    const output = commandOutputFor(
      model,
      () => [bob],
      () => (helped = true),
    );
    output.whois(bob);
    output.peers([bob]);
    output.help();
    const lines = model.currentConversation.entries.map((entry) => ('text' in entry ? entry.text : ''));
    assert.match(lines[0]!, /^bob: verified by you; key first seen 1970-01-01 00:00 UTC\nfingerprint abab[\s\S]*LOOKS LIKE b0b/);
    assert.equal(lines[1], 'online (1): bob [verified]');
    assert.equal(helped, true);
  });

  it('lists :search --all oldest first, as :search in one conversation does', () => {
    const model = new ChatViewModel('alice');
    const output = commandOutputFor(
      model,
      () => [bob],
      () => {},
    );
    // ClientState.search hands them newest first.
    output.searchResults('deploy', [
      { kind: 'in', id: 'b', from: 'bob', to: null, text: 'deploy done', ts: Date.UTC(2026, 0, 2) },
      { kind: 'in', id: 'a', from: 'bob', to: null, text: 'deploy started', ts: Date.UTC(2026, 0, 1) },
    ]);
    const text = model.currentConversation.entries.map((entry) => ('text' in entry ? entry.text : '')).at(-1)!;
    assert.match(text, /oldest first:\n.*deploy started\n.*deploy done$/);
  });
});
