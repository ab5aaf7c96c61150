import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NAME_COLORS_256, NAME_COLORS_8, coloredName, escapeTags, nameColor, useNamePaletteFor } from '../../src/tui/markup.js';

describe('markup', () => {
  it('escapes blessed tag braces so a peer cannot style the screen', () => {
    assert.equal(escapeTags('{bold}x{/bold}'), '{open}bold{close}x{open}/bold{close}');
  });

  it('gives a name the same color every time, regardless of case', () => {
    assert.equal(nameColor('Alice'), nameColor('alice'));
    assert.equal(coloredName('bob'), `{${nameColor('bob')}-fg}bob{/${nameColor('bob')}-fg}`);
  });

  it('picks names from four plain colors on a terminal without 256', (t) => {
    t.after(() => useNamePaletteFor(256));
    useNamePaletteFor(8);
    const used = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(nameColor));
    for (const color of used) assert.match(color, /^(green|blue|magenta|cyan)$/);
  });

  it('never colors a nick like a highlight, a warning (yellow) or an error (red)', () => {
    // A hex color reads yellow, orange or red when red leads and blue is low (#ff8700, #ffaf87).
    const warm = (color: string) => {
      const hex = /^#(..)(..)(..)$/.exec(color);
      if (hex === null) return /^(yellow|red)$/.test(color);
      const [r, g, b] = hex.slice(1).map((part) => Number.parseInt(part, 16)) as [number, number, number];
      return r >= 0xd7 && b <= 0x87 && r >= g;
    };
    assert.deepEqual([...NAME_COLORS_256, ...NAME_COLORS_8].filter(warm), []);
    assert.equal(new Set(NAME_COLORS_256).size, 12, 'twelve colors still tell names apart');
  });
});
