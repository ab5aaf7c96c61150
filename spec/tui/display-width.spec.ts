import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, drawableGlyph, graphemeWidth, graphemes } from '../../src/tui/display-width.js';

describe('display width', () => {
  it('counts the columns a terminal gives each character, not UTF-16 units', () => {
    assert.equal(displayWidth('hello'), 5);
    assert.equal(displayWidth('😀'), 2, 'an emoji is two columns');
    assert.equal(displayWidth('日本'), 4, 'CJK ideographs are two columns each');
    assert.equal(displayWidth('e\u0301'), 1, 'a combining accent takes no column of its own');
    assert.equal(displayWidth('👩‍👩‍👧'), 2, 'a ZWJ family is one picture');
    assert.equal(displayWidth('🇯🇵'), 2, 'a flag is one picture');
    assert.equal(displayWidth('☕'), 2, 'an emoji in the BMP is two columns too');
    assert.equal(displayWidth('─▸✓'), 3, 'box drawing and symbols stay one column');
  });

  it('cuts text into what a user sees as one character', () => {
    assert.deepEqual(graphemes('a👩‍👩‍👧e\u0301日'), ['a', '👩‍👩‍👧', 'e\u0301', '日']);
    assert.equal(graphemeWidth('\u200d'), 0);
  });

  it('draws a cluster terminals disagree on as its first code point, so every terminal gives it the columns counted', () => {
    assert.equal(drawableGlyph('👍🏽'), '👍', 'a skin tone is dropped (tmux draws it as a second emoji)');
    assert.equal(drawableGlyph('👨‍💻'), '👨', 'a ZWJ sequence shows its first person');
    assert.equal(drawableGlyph('❤️'), '❤', 'VS16 is dropped: the heart is one column everywhere');
    assert.equal(drawableGlyph('e\u0301'), 'e\u0301', 'a combining accent is drawn as it is');
    assert.equal(drawableGlyph('🇯🇵'), '🇯🇵', 'a flag is drawn as it is');
    assert.equal(displayWidth('👍🏽 ❤️'), 4, 'widths count what is drawn');
  });
});
