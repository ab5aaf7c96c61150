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
    [':dm', { kind: 'invalid', message: 'usage: :dm NAME|#ROOM [TEXT]' }],
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

describe('parseLine, IRC habits', () => {
  const CASES: ReadonlyArray<[string, ReturnType<typeof parseLine>]> = [
    ['/quit', { kind: 'quit' }],
    ['/msg bob hi', { kind: 'dm', to: 'bob', text: 'hi' }],
    ['/query bob', { kind: 'dm', to: 'bob', text: null }],
    ['//etc/hosts is a file', { kind: 'say', text: '/etc/hosts is a file' }],
    [':me waves', { kind: 'me', action: 'waves' }],
    ['/me waves back', { kind: 'me', action: 'waves back' }],
    [':me', { kind: 'invalid', message: 'usage: :me ACTION' }],
    [':close', { kind: 'close' }],
    ['/part', { kind: 'part', room: null }],
    ['/join #dev', { kind: 'join', room: '#dev' }],
    ['/j dev', { kind: 'join', room: '#dev' }],
    ['/j #', { kind: 'invalid', message: 'usage: :join [#]NAME' }],
    ['/part #dev', { kind: 'part', room: '#dev' }],
    ['/msg #dev hi all', { kind: 'dm', to: '#dev', text: 'hi all' }],
    ['/list', { kind: 'rooms' }],
    ['/names', { kind: 'members', room: null }],
    [':topic', { kind: 'topic', room: null, text: null }],
    [':topic #dev ship friday', { kind: 'topic', room: '#dev', text: 'ship friday' }],
    [':topic ship #2 friday', { kind: 'topic', room: null, text: 'ship #2 friday' }],
    [':invite bob', { kind: 'invite', room: null, name: 'bob' }],
    ['/invite bob #dev', { kind: 'invite', room: '#dev', name: 'bob' }],
    [':kick #dev bob', { kind: 'kick', room: '#dev', name: 'bob', reason: '' }],
    [':kick bob', { kind: 'kick', room: null, name: 'bob', reason: '' }],
    [':kick bob flooding the room', { kind: 'kick', room: null, name: 'bob', reason: 'flooding the room' }],
    [':kick bob #dev off topic, see #2', { kind: 'kick', room: '#dev', name: 'bob', reason: 'off topic, see #2' }],
    ['/kick #dev bob  spam ', { kind: 'kick', room: '#dev', name: 'bob', reason: 'spam' }],
    [':kick', { kind: 'invalid', message: 'usage: :kick NAME [#NAME] [REASON]' }],
    [':kick #dev', { kind: 'invalid', message: 'usage: :kick NAME [#NAME] [REASON]' }],
    [':kick #dev bob #ops', { kind: 'invalid', message: 'usage: :kick NAME [#NAME] [REASON]' }],
    [':mode +i', { kind: 'mode', room: null, flag: 'i', on: true }],
    ['/mode #dev -i', { kind: 'mode', room: '#dev', flag: 'i', on: false }],
    [':mode +c', { kind: 'mode', room: null, flag: 'c', on: true }],
    [':mode +x', { kind: 'invalid', message: 'usage: :mode [#NAME] +i|-i|+c|-c' }],
    [':timestamps seconds', { kind: 'timestamps', seconds: true }],
    [':timestamps minutes', { kind: 'timestamps', seconds: false }],
    ['/', { kind: 'say', text: '/' }],
    [':away at lunch', { kind: 'away', message: 'at lunch' }],
    ['/away', { kind: 'away', message: '' }],
    [':back', { kind: 'away', message: '' }],
    [':search deploy plan', { kind: 'search', query: 'deploy plan', everywhere: false }],
    [':search --all deploy', { kind: 'search', query: 'deploy', everywhere: true }],
    [':search --all', { kind: 'invalid', message: 'usage: :search [--all] TEXT' }],
  ];
  for (const [line, expected] of CASES) {
    it(`reads ${JSON.stringify(line)}`, () => assert.deepEqual(parseLine(line), expected));
  }

  it('suggests the command a typo was meant to be', () => {
    assert.deepEqual(parseLine(':qiut'), { kind: 'invalid', message: 'unknown command :qiut (did you mean :quit?)' });
    assert.deepEqual(parseLine('/verfy bob'), { kind: 'invalid', message: 'unknown command :verfy (did you mean :verify?)' });
    assert.deepEqual(parseLine(':xyzzy'), { kind: 'invalid', message: 'unknown command :xyzzy (try :help)' });
  });

  it('reads the file commands: :send with or without a target (a quoted path kept whole), :files, :save and :save!, :open', () => {
    assert.deepEqual(parseLine(':send ~/report.pdf'), { kind: 'send-file', to: null, path: '~/report.pdf' });
    assert.deepEqual(parseLine(':send bob "my report.pdf"'), { kind: 'send-file', to: 'bob', path: 'my report.pdf' });
    assert.deepEqual(parseLine(":send #team 'a b'"), { kind: 'send-file', to: '#team', path: 'a b' });
    assert.equal(parseLine(':send "unclosed').kind, 'invalid');
    assert.equal(parseLine(':send a b c').kind, 'invalid');
    assert.deepEqual(parseLine(':files'), { kind: 'files', from: null });
    assert.deepEqual(parseLine(':files #team'), { kind: 'files', from: '#team' });
    assert.deepEqual(parseLine(':save Ab12'), { kind: 'save', id: 'Ab12', path: null, overwrite: false });
    assert.deepEqual(parseLine(':save! Ab12 "/tmp/x y"'), { kind: 'save', id: 'Ab12', path: '/tmp/x y', overwrite: true });
    assert.equal(parseLine(':save ../x').kind, 'invalid', 'an id, not a path');
    assert.deepEqual(parseLine(':open Ab12'), { kind: 'open', id: 'Ab12' });
  });
});
