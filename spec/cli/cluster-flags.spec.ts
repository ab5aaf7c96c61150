import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFlags } from '../../src/cli/arg-parser.js';
import { CLUSTER_FLAGS, clusterOptionsFromFlags } from '../../src/cli/cluster-flags.js';
import { ErrorCode } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const options = (...argv: string[]) => clusterOptionsFromFlags(parseFlags(argv, CLUSTER_FLAGS).flags);

describe('clusterOptionsFromFlags', () => {
  it('is undefined without --cluster: a lone server', async () => assert.equal(await options(), undefined));

  it('takes a NATS URL with the defaults', async () => {
    const cluster = await options('--cluster', 'nats://127.0.0.1:4222');
    assert.deepEqual(
      { url: cluster?.url, name: cluster?.name, heartbeatMs: cluster?.heartbeatMs, leaseMs: cluster?.leaseMs },
      { url: 'nats://127.0.0.1:4222', name: 'tuichat', heartbeatMs: 1000, leaseMs: 5000 },
    );
  });

  const BAD: ReadonlyArray<[string, string[], RegExp]> = [
    ['a Redis URL', ['--cluster', 'redis://h:6379'], /NATS, not Redis/],
    ['another scheme', ['--cluster', 'http://h'], /nats:\/\/ or tls:\/\//],
    ['credentials in the URL', ['--cluster', 'nats://u:p@h:4222'], /--cluster-auth-file/],
    ['a bad cluster name', ['--cluster', 'nats://h:1', '--cluster-name', 'a b'], /--cluster-name/],
    ['a lease under two heartbeats', ['--cluster', 'nats://h:1', '--cluster-heartbeat-ms', '1000', '--cluster-lease-ms', '1500'], /twice/],
  ];
  for (const [what, argv, message] of BAD) {
    it(`refuses ${what}`, async () => assert.rejects(options(...argv), { code: ErrorCode.USAGE, message }));
  }

  it('reads credentials from a 0600 file and refuses one others can read', async (t) => {
    const dir = makeTempDir(t);
    const file = join(dir, 'auth');
    writeFileSync(file, 'node:secret\n', { mode: 0o600 });
    const cluster = await options('--cluster', 'nats://h:1', '--cluster-auth-file', file);
    assert.deepEqual(cluster?.credentials, { user: 'node', pass: 'secret' });
    chmodSync(file, 0o644);
    await assert.rejects(options('--cluster', 'nats://h:1', '--cluster-auth-file', file), /too open/);
  });
});
