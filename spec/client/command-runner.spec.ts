import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CommandOutput, CommandRunner, type CommandTarget } from '../../src/client/command-runner.js';
import { parseLine } from '../../src/client/line-command.js';
import type { PeerView } from '../../src/client/peer-directory.js';
import { ErrorCode } from '../../src/core/errors.js';
import { peerView } from '../helpers/peer-views.js';

const bob: PeerView = peerView('bob', { verified: false, firstSeen: 1 });

function runner() {
  const calls: string[] = [];
  const target: CommandTarget = {
    peers: () => [bob],
    peer: (name) => (name === 'bob' ? bob : undefined),
    trust: () => {
      calls.push('trust');
      return bob;
    },
    verify: () => {
      calls.push('verify');
      return bob;
    },
    safetyNumberWith: () => '12345',
    setAway: (message) => calls.push(`away ${message}`),
    search: () => [],
    discardHeld: () => 0,
    video: {
      list: () => calls.push('list'),
      stop: () => calls.push('stop'),
      togglePause: () => calls.push('pause'),
      seek: (ms: number) => calls.push(`seek ${ms}`),
    } as never,
  };
  const output: CommandOutput = {
    peers: (peers) => calls.push(`peers ${peers.length}`),
    whois: (peer) => calls.push(`whois ${peer.name}`),
    safetyNumber: (name, number) => calls.push(`number ${name} ${number}`),
    verified: (peer) => calls.push(`verified ${peer.name}`),
    trusted: (peer) => calls.push(`trusted ${peer.name}`),
    searchResults: (query) => calls.push(`search ${query}`),
    discarded: (name, count) => calls.push(`discarded ${name} ${count}`),
    help: () => calls.push('help'),
  };
  return { calls, run: (line: string) => new CommandRunner(target, output).run(parseLine(line)) };
}

describe('CommandRunner', () => {
  it("runs the shared commands and shows each result through the view's output", () => {
    const { calls, run } = runner();
    for (const line of [':peers', ':whois bob', ':verify bob', ':verify bob confirm', ':trust bob', ':help', ':videos', ':pause', ':seek -5', ':stop']) {
      assert.equal(run(line), undefined, line);
    }
    assert.deepEqual(calls, [
      'peers 1',
      'whois bob',
      'number bob 12345',
      'verify',
      'verified bob',
      'trust',
      'trusted bob',
      'help',
      'list',
      'pause',
      'seek -5000',
      'stop',
    ]);
  });

  it('hands back the commands a view runs itself', () => {
    const { run } = runner();
    assert.deepEqual(run('hello'), { kind: 'say', text: 'hello' });
    assert.equal(run(':play bars.mp4')?.kind, 'play');
    assert.equal(run(':quit')?.kind, 'quit');
  });

  it('refuses an unknown peer and a bad command with typed errors', () => {
    const { run } = runner();
    assert.throws(() => run(':whois nobody'), { code: ErrorCode.NO_SUCH_PEER });
    assert.throws(() => run(':nonsense'), { code: ErrorCode.USAGE });
  });
});
