import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LINE_COMMANDS } from '../../src/client/line-command.js';
import { helpText, keyTableMarkdown } from '../../src/tui/help-text.js';
import { KEY_HELP } from '../../src/tui/key-map.js';

describe('helpText', () => {
  it('lists every key and every command from their tables', () => {
    const text = helpText();
    for (const [keys] of KEY_HELP) assert.ok(text.includes(keys), keys);
    for (const name of Object.keys(LINE_COMMANDS)) assert.ok(text.includes(`:${name}`), name);
  });
});

describe('the key table in README.md', () => {
  it("is the help overlay's table (run `npm run docs:keys` after changing the keys)", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /<!-- keys: generated[^\n]*-->\n([\s\S]*?)\n<!-- keys: end -->/.exec(readme);
    assert.ok(block !== null, 'README.md has the keys: markers');
    assert.equal(block[1], keyTableMarkdown());
  });
});
