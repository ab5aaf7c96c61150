// The command surface: help, version and usage errors, run as the real spawned binary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNECT_FLAGS } from '../../src/cli/connect-command.js';
import { KEYS_FLAGS } from '../../src/cli/keys-command.js';
import { SERVE_FLAGS } from '../../src/cli/serve-command.js';
import { CliProcess } from '../helpers/cli-process.js';
import { parseHostPort } from '../../src/cli/address.js';

describe('tui-chat command line', () => {
  it('--version prints the package version', async (t) => {
    const proc = CliProcess.spawn(t, ['--version']);
    assert.equal(await proc.waitExit(), 0);
    assert.match(proc.stdoutLines[0]!, /^tui-chat \d+\.\d+\.\d+$/);
  });

  it('--help lists the commands', async (t) => {
    const proc = CliProcess.spawn(t, ['--help']);
    assert.equal(await proc.waitExit(), 0);
    const text = proc.stdoutLines.join('\n');
    assert.match(text, /serve/);
    assert.match(text, /connect/);
  });

  for (const [command, flags] of [
    ['serve', SERVE_FLAGS],
    ['connect', CONNECT_FLAGS],
    ['keys', KEYS_FLAGS],
  ] as const) {
    it(`${command} --help lists every flag with its default`, async (t) => {
      const proc = CliProcess.spawn(t, [command, '--help']);
      assert.equal(await proc.waitExit(), 0);
      const text = proc.stdoutLines.join('\n');
      for (const [name, flag] of Object.entries(flags)) {
        assert.match(text, new RegExp(`--${name}\\b`));
        if ('default' in flag) assert.ok(text.includes(`(default: ${flag.default})`), `default of --${name}`);
      }
    });
  }

  const BAD: ReadonlyArray<[string, string[], RegExp]> = [
    ['an unknown flag', ['serve', '--bogus'], /unknown option --bogus/],
    ['a non-numeric port', ['serve', '--port', 'abc'], /--port must be a whole number/],
    ['a missing flag value', ['serve', '--port'], /--port needs a value/],
    ['a bad address', ['connect', 'host:99999', '--json'], /port must be 1-65535/],
    ['a malformed address', ['connect', 'a:b:c', '--json'], /is not HOST:PORT/],
    ['no address', ['connect', '--json'], /exactly one HOST:PORT/],
    ['an invalid name', ['connect', 'localhost:1', '--json', '--name', 'bad name'], /not a valid name/],
    ['an unknown command', ['frobnicate'], /unknown command/],
    ['a Redis cluster URL', ['serve', '--cluster', 'redis://127.0.0.1:6379'], /clusters over NATS, not Redis/],
    ['a cluster URL without a scheme', ['serve', '--cluster', '127.0.0.1:4222'], /--cluster must be a nats:\/\/ or tls:\/\/ URL/],
    ['broker credentials in the cluster URL', ['serve', '--cluster', 'nats://me:secret@127.0.0.1:4222'], /put broker credentials in --cluster-auth-file/],
    ['a bad cluster name', ['serve', '--cluster', 'nats://127.0.0.1:4222', '--cluster-name', 'a.b'], /--cluster-name must be/],
    [
      'a lease shorter than two heartbeats',
      ['serve', '--cluster', 'nats://127.0.0.1:4222', '--cluster-heartbeat-ms', '1000', '--cluster-lease-ms', '1500'],
      /at least twice/,
    ],
  ];
  for (const [what, args, reason] of BAD) {
    it(`exits 2 with a one-line reason and the usage for ${what}`, async (t) => {
      const proc = CliProcess.spawn(t, args);
      assert.equal(await proc.waitExit(), 2);
      const [first, ...rest] = proc.stderr.split('\n');
      assert.match(first!, reason);
      assert.match(rest.join('\n'), /usage: tui-chat/);
    });
  }

  it('parses HOST, HOST:PORT and [IPv6]:PORT', () => {
    assert.deepEqual(parseHostPort('example.org', 7373), { host: 'example.org', port: 7373 });
    assert.deepEqual(parseHostPort('10.0.0.1:9000', 7373), { host: '10.0.0.1', port: 9000 });
    assert.deepEqual(parseHostPort('[::1]:9000', 7373), { host: '::1', port: 9000 });
  });
});
