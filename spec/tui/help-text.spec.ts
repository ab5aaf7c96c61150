import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINE_COMMANDS } from '../../src/client/line-command.js';
import { helpText } from '../../src/tui/help-text.js';
import { KEY_HELP } from '../../src/tui/key-map.js';

describe('helpText', () => {
  it('lists every key and every command from their tables', () => {
    const text = helpText();
    for (const [keys] of KEY_HELP) assert.ok(text.includes(keys), keys);
    for (const name of Object.keys(LINE_COMMANDS)) assert.ok(text.includes(`:${name}`), name);
  });
});
