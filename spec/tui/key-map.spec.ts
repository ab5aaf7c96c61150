import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GLOBAL_KEYS, INPUT_KEYS, KEY_HELP, PEER_LIST_KEYS, conversationNumberFor } from '../../src/tui/key-map.js';

describe('key map', () => {
  it('reads Alt+1..9 as a conversation number, and nothing else', () => {
    assert.equal(conversationNumberFor('M-1'), 1);
    assert.equal(conversationNumberFor('M-9'), 9);
    for (const key of ['M-0', 'C-1', '1', 'M-10']) assert.equal(conversationNumberFor(key), undefined, key);
  });

  it('binds no key twice across the global and input tables', () => {
    for (const key of Object.keys(GLOBAL_KEYS)) assert.equal(INPUT_KEYS[key], undefined, key);
  });

  it('documents every binding family in the help', () => {
    const help = KEY_HELP.map(([keys]) => keys).join(' ');
    for (const words of ['Enter', 'Tab', 'Esc', 'Alt+1..9', 'Ctrl+N', 'PgUp', 'Ctrl+A', 'Ctrl+U', 'Ctrl+W', 'Ctrl+L', 'F1', 'Ctrl+C'])
      assert.ok(help.includes(words), words);
    assert.equal(PEER_LIST_KEYS['escape'], 'back-to-input');
  });
});
