import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, graphemeWidth, graphemes } from '../../src/tui/display-width.js';

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
});
