import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLine } from '../../src/client/line-command.js';

describe('parseLine', () => {
  const CASES: ReadonlyArray<[string, ReturnType<typeof parseLine>]> = [
    ['hello there', { kind: 'say', text: 'hello there' }],
    ['::colon first', { kind: 'say', text: ':colon first' }],
    ['', { kind: 'empty' }],
    ['   ', { kind: 'empty' }],
    [':dm bob hi there', { kind: 'dm', to: 'bob', text: 'hi there' }],
    [':dm bob', { kind: 'dm', to: 'bob', text: null }],
    [':msg bob  two  spaces', { kind: 'dm', to: 'bob', text: 'two  spaces' }],
    [':dm', { kind: 'invalid', message: 'usage: :dm NAME [TEXT]' }],
    [':whois bob', { kind: 'whois', name: 'bob' }],
    [':verify bob', { kind: 'verify', name: 'bob', confirm: false }],
    [':verify bob confirm', { kind: 'verify', name: 'bob', confirm: true }],
    [':verify', { kind: 'invalid', message: 'usage: :verify NAME [confirm]' }],
    [':videos', { kind: 'videos' }],
    [':play clip.mp4', { kind: 'play', video: 'clip.mp4', ffplay: false }],
    [':play clip.mp4 --ffplay', { kind: 'play', video: 'clip.mp4', ffplay: true }],
    [':play', { kind: 'invalid', message: 'usage: :play VIDEO [--ffplay]' }],
    [':stop', { kind: 'stop' }],
    [':clear', { kind: 'clear' }],
    [':room now', { kind: 'invalid', message: 'usage: :room' }],
    [':q', { kind: 'quit' }],
    [':room', { kind: 'room' }],
    [':peers', { kind: 'peers' }],
    [':trust alice', { kind: 'trust', name: 'alice' }],
    [':trust', { kind: 'invalid', message: 'usage: :trust NAME' }],
    [':quit', { kind: 'quit' }],
    [':help', { kind: 'help' }],
  ];
  for (const [line, expected] of CASES) {
    it(`reads ${JSON.stringify(line)}`, () => assert.deepEqual(parseLine(line), expected));
  }

  it('answers an unknown command with a hint rather than sending it as text', () => {
    const parsed = parseLine(':frobnicate now');
    assert.equal(parsed.kind, 'invalid');
    assert.match((parsed as { message: string }).message, /unknown command :frobnicate/);
  });
});
