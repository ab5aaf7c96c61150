import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type StyledRow, clipRow, rowWidth, tokenize, wrapRows } from '../../src/tui/styled-rows.js';

const text = (row: StyledRow) => row.map((token) => ('glyph' in token ? token.glyph : '')).join('');
const wrap = (prefix: string, body: string, width: number) => wrapRows(tokenize(prefix), tokenize(body), width);

describe('styled rows', () => {
  it('keeps style escapes apart from the glyphs and gives each glyph its width', () => {
    const tokens = tokenize('\x1b[31m日x\x1b[39m');
    assert.deepEqual(tokens, [{ sgr: '\x1b[31m' }, { glyph: '日', width: 2 }, { glyph: 'x', width: 1 }, { sgr: '\x1b[39m' }]);
  });

  it('wraps between words and indents wrapped rows under the first word', () => {
    const rows = wrap('12:00 <bob> ', 'the fingerprint 98d4 0c1e is here', 24);
    assert.deepEqual(rows.map(text), ['12:00 <bob> the ', '            fingerprint ', '            98d4 0c1e is', '            here']);
    for (const row of rows) assert.ok(rowWidth(row) <= 24);
  });

  it('cuts a word only when it is wider than a whole row', () => {
    const rows = wrap('> ', 'abcdefghijklmnop', 8);
    assert.deepEqual(rows.map(text), ['> abcdef', '  ghijkl', '  mnop']);
  });

  it('wraps wide glyphs by columns and never splits one', () => {
    const rows = wrap('', '😀'.repeat(7), 5);
    assert.deepEqual(rows.map(text), ['😀😀', '😀😀', '😀😀', '😀']);
    for (const row of rows) assert.ok(rowWidth(row) <= 5);
  });

  it('starts each body line of a multi-line message on its own row, at the indent', () => {
    const rows = wrap('<a> ', 'one\ntwo', 20);
    assert.deepEqual(rows.map(text), ['<a> one', '    two']);
  });

  it('repeats the style a wrapped row starts in', () => {
    const rows = wrap('', '\x1b[90mgray words that wrap\x1b[39m', 10);
    assert.ok(rows.length > 1);
    for (const row of rows.slice(1))
      assert.ok(
        row.some((token) => 'sgr' in token && token.sgr === '\x1b[90m'),
        'a wrapped row opens gray again',
      );
  });

  it('cuts a preformatted row at the width without splitting a wide glyph', () => {
    assert.equal(text(clipRow(tokenize('ab日c'), 3)), 'ab');
  });
});
