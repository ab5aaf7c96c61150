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

  it('fits the width given, a long description continuing under its own column, never under the keys', () => {
    const plain = (text: string) => text.replace(/\{[^{}]*\}/g, '');
    // The help box at 80x24 is 72 wide: 70 inside its borders.
    const rows = plain(helpText(70)).split('\n');
    for (const row of rows) assert.ok(row.length <= 70, `"${row}" fits in 70`);
    const keyRows = rows.slice(1, rows.indexOf(''));
    for (const row of keyRows) assert.match(row, /^( {2}\S| {31}\S)/, `"${row}": a key, or a description under the description column`);
    assert.ok(
      keyRows.some((row) => row.startsWith(' '.repeat(31))),
      'some description needed a second row at 70',
    );
    for (const row of plain(helpText(40)).split('\n')) assert.ok(row.length <= 40, `"${row}" fits in 40`);
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
