import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coloredName, escapeTags, nameColor } from '../../src/tui/markup.js';

describe('markup', () => {
  it('escapes blessed tag braces so a peer cannot style the screen', () => {
    assert.equal(escapeTags('{bold}x{/bold}'), '{open}bold{close}x{open}/bold{close}');
  });

  it('gives a name the same color every time, regardless of case', () => {
    assert.equal(nameColor('Alice'), nameColor('alice'));
    assert.equal(coloredName('bob'), `{${nameColor('bob')}-fg}bob{/${nameColor('bob')}-fg}`);
  });
});
