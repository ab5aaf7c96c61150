import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nameSkeleton, stripControlCharacters } from '../../src/core/names.js';

const HOSTILE: ReadonlyArray<[string, string, string]> = [
  ['a screen clear', 'hi\u001b[2J\u001b[H there', 'hi there'],
  ['a color change', '\u001b[31mred\u001b[0m', 'red'],
  ['an OSC title set ended by BEL', '\u001b]0;pwned\u0007ok', 'ok'],
  ['an OSC 52 clipboard write ended by ST', '\u001b]52;c;ZXZpbA==\u001b\\ok', 'ok'],
  ['a DCS sequence', '\u001bPq#0;2;0;0;0\u001b\\ok', 'ok'],
  ['8-bit CSI', 'a\u009b2Jb', 'ab'],
  ['carriage return overwrite', 'safe\rEVIL', 'safeEVIL'],
  ['backspaces', 'abc\b\b\bxyz', 'abcxyz'],
  ['a NUL and DEL', 'a\u0000b\u007fc', 'abc'],
  ['a right-to-left override', 'file\u202egnp.exe', 'filegnp.exe'],
  ['a lone ESC at the end', 'tail\u001b', 'tail'],
];

describe('stripControlCharacters', () => {
  for (const [what, input, expected] of HOSTILE) {
    it(`removes ${what}`, () => assert.equal(stripControlCharacters(input), expected));
  }

  it('keeps ordinary text, tabs, newlines and non-ASCII letters', () => {
    assert.equal(stripControlCharacters('héllo\twörld\n日本 🙂 {bold}'), 'héllo\twörld\n日本 🙂 {bold}');
  });

  it('never leaves an ESC, C0 (other than TAB/LF) or C1 character in any output', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(stripControlCharacters(input)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('nameSkeleton', () => {
  const ALIKE: ReadonlyArray<[string, string]> = [
    ['aIice', 'alice'],
    ['a1ice', 'alice'],
    ['Alice', 'alice'],
    ['alice.', 'alice'],
    ['alice__', 'alice'],
    ['b0b', 'bob'],
    ['B0B', 'bob'],
    ['rnallory', 'mallory'],
    ['vvendy', 'wendy'],
  ];
  for (const [lookalike, original] of ALIKE) {
    it(`reads ${lookalike} like ${original}`, () => assert.equal(nameSkeleton(lookalike), nameSkeleton(original)));
  }

  it('keeps names apart that do not read alike', () => {
    for (const [a, b] of [
      ['alice', 'alice2'],
      ['bob', 'rob'],
      ['carol', 'karol'],
      ['ian', 'lan'],
    ]) {
      assert.notEqual(nameSkeleton(a!), nameSkeleton(b!), `${a} / ${b}`);
    }
  });
});
