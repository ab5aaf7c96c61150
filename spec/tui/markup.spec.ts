import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coloredName, escapeTags, nameColor, useNamePaletteFor } from '../../src/tui/markup.js';

describe('markup', () => {
  it('escapes blessed tag braces so a peer cannot style the screen', () => {
    assert.equal(escapeTags('{bold}x{/bold}'), '{open}bold{close}x{open}/bold{close}');
  });

  it('gives a name the same color every time, regardless of case', () => {
    assert.equal(nameColor('Alice'), nameColor('alice'));
    assert.equal(coloredName('bob'), `{${nameColor('bob')}-fg}bob{/${nameColor('bob')}-fg}`);
  });

  it('picks names from six plain colors on a terminal without 256', (t) => {
    t.after(() => useNamePaletteFor(256));
    useNamePaletteFor(8);
    const used = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(nameColor));
    for (const color of used) assert.match(color, /^(red|green|yellow|blue|magenta|cyan)$/);
  });
});
