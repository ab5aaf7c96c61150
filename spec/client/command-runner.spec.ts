import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CommandOutput, CommandRunner, type CommandTarget } from '../../src/client/command-runner.js';
import { parseLine } from '../../src/client/line-command.js';
import type { PeerView } from '../../src/client/peer-directory.js';
import { ErrorCode } from '../../src/core/errors.js';
import { waitUntil } from '../helpers/events.js';
import { peerView } from '../helpers/peer-views.js';

const bob: PeerView = peerView('bob', { verified: false, firstSeen: 1 });

const carol: PeerView = peerView('carol', { verified: false, firstSeen: 2 });

/** `followsOnly`: a big server, where carol is listed only once looked up. */
function runner(followsOnly = false) {
  const calls: string[] = [];
  let carolListed = false;
  const target: CommandTarget = {
    peers: () => [bob],
    peer: (name) => (name === 'bob' ? bob : name === 'carol' && carolListed ? carol : undefined),
    followsOnly,
    census: { online: 3, registered: 9 },
    lookup: async (name) => {
      calls.push(`lookup ${name}`);
      carolListed ||= name === 'carol';
      return carolListed;
    },
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
    room: (name) =>
      name.toLowerCase() === '#dev'
        ? { name: '#dev', topic: 'ship it', inviteOnly: false, members: [{ name: 'alice', op: true }, { name: 'bob' }] }
        : undefined,
    joinRoom: (room) => calls.push(`join ${room}`),
    partRoom: (room) => calls.push(`part ${room}`),
    setTopic: (room, topic) => calls.push(`topic ${room} ${topic}`),
    invite: (room, name) => calls.push(`invite ${room} ${name}`),
    kick: (room, name, reason) => calls.push(`kick ${room} ${name}${reason ? ` (${reason})` : ''}`),
    setMode: (room, mode) => calls.push(`mode ${room} ${JSON.stringify(mode)}`),
    listRooms: () => calls.push('rooms'),
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
    topic: (room) => calls.push(`shown topic ${room.name} ${room.topic}`),
    members: (room) => calls.push(`shown members ${room.members.map((m) => m.name).join(',')}`),
    help: () => calls.push('help'),
    failed: (error) => calls.push(`failed ${error.code}`),
  };
  return { calls, run: (line: string, here?: string) => new CommandRunner(target, output).run(parseLine(line), here) };
}

describe('CommandRunner', () => {
  it('on a big server, looks up someone not listed before :whois, and says when nobody has the name', async () => {
    const { calls, run } = runner(true);
    run(':whois carol');
    run(':whois nobody');
    run(':whois bob');
    await waitUntil(() => calls.length === 5, 'both lookups to be answered');
    assert.deepEqual(calls, ['lookup carol', 'lookup nobody', 'whois bob', 'whois carol', `failed ${ErrorCode.NO_SUCH_PEER}`]);
  });

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

  it('runs room commands on the named room, or on the one open in the view', () => {
    const { calls, run } = runner();
    const lines: Array<[string, string | undefined]> = [
      [':join #dev', undefined],
      [':topic', '#dev'],
      [':topic #dev friday', undefined],
      [':members', '#dev'],
      [':invite carol', '#dev'],
      [':kick carol #dev', undefined],
      [':kick dan spam', '#dev'],
      [':mode +i', '#dev'],
      [':mode #dev -c', undefined],
      [':rooms', undefined],
      [':part', '#dev'],
    ];
    for (const [line, here] of lines) assert.equal(run(line, here), undefined, line);
    assert.deepEqual(calls, [
      'join #dev',
      'shown topic #dev ship it',
      'topic #dev friday',
      'shown members alice,bob',
      'invite #dev carol',
      'kick #dev carol',
      'kick #dev dan (spam)',
      'mode #dev {"inviteOnly":true}',
      'mode #dev {"membersControlVideo":false}',
      'rooms',
      'part #dev',
    ]);
    assert.deepEqual(run(':part'), { kind: 'part', room: null }, 'without a room open, :part is the view’s (a DM closes)');
    assert.throws(() => run(':topic new'), { code: ErrorCode.USAGE }, 'no room open, none named');
    assert.throws(() => run(':members #ops'), { code: ErrorCode.NOT_IN_ROOM });
    calls.length = 0;
    assert.equal(run(':join ops'), undefined);
    assert.equal(run(':members'), undefined, 'in the lobby: who is on the server');
    assert.deepEqual(calls, ['join #ops', 'peers 1']);
    assert.throws(() => run(':join #'), { code: ErrorCode.USAGE });
  });

  it('refuses an unknown peer and a bad command with typed errors', () => {
    const { run } = runner();
    assert.throws(() => run(':whois nobody'), { code: ErrorCode.NO_SUCH_PEER });
    assert.throws(() => run(':nonsense'), { code: ErrorCode.USAGE });
  });
});
