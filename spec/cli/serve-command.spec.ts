// `tui-chat serve --cluster`: real node processes on a real broker, one of them killed outright.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { testIdentity, writeTestIdentity } from '../helpers/identities.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeLoopbackCertificate } from '../helpers/broker-certificate.js';
import { NatsBroker, freePort } from '../helpers/nats-broker.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitUntil } from '../helpers/events.js';

const HEARTBEAT_MS = 250;
const LEASE_MS = 1500;
/** Scheduling slack on a loaded two-core machine, on top of the stated bound. */
const SLACK_MS = 750;

describe('tui-chat serve --cluster', () => {
  it("removes a killed node's users from every peer list within the lease plus one heartbeat", async (t) => {
    const broker = await NatsBroker.start();
    t.after(() => broker.destroy());
    const args = [
      '--plaintext',
      '--cluster',
      broker.url,
      '--cluster-name',
      `kill-${randomBytes(4).toString('hex')}`,
      '--cluster-heartbeat-ms',
      String(HEARTBEAT_MS),
      '--cluster-lease-ms',
      String(LEASE_MS),
    ];
    const nodes = await Promise.all([0, 1, 2].map(() => startServeProcess(t, args)));
    for (const { server } of nodes) await server.waitForLine(/^cluster node [0-9a-f]+ on nats:/);
    const ids: Identity[] = await Promise.all([0, 1, 2].map(testIdentity));
    const a = await RawClient.join(nodes[0]!.port, 'alice', ids[0]!);
    const b = await RawClient.join(nodes[1]!.port, 'bob', ids[1]!);
    const c = await RawClient.join(nodes[2]!.port, 'carol', ids[2]!);
    t.after(() => {
      for (const client of [a, b, c]) client.close();
    });
    const heard = async (client: RawClient, name: string) => {
      while ((await client.next('join')).peer.name !== name);
    };
    await Promise.all([heard(a, 'carol'), heard(b, 'carol')]);

    const killedAt = Date.now();
    nodes[2]!.server.child.kill('SIGKILL');
    const [leftA, leftB] = await Promise.all([a.next('leave', 10_000), b.next('leave', 10_000)]);
    const elapsed = Date.now() - killedAt;
    assert.equal(leftA.name, 'carol');
    assert.equal(leftB.name, 'carol');
    t.diagnostic(`carol left both peer lists ${elapsed} ms after her node was killed (bound ${LEASE_MS + HEARTBEAT_MS} ms)`);
    assert.ok(elapsed <= LEASE_MS + HEARTBEAT_MS + SLACK_MS, `carol left the lists ${elapsed} ms after her node died`);

    // The dead node's claim on "carol" does not outlive it: she can join again elsewhere.
    const again = await RawClient.join(nodes[0]!.port, 'carol', ids[2]!);
    t.after(() => again.close());
    assert.equal((await b.next('join')).peer.name, 'carol');
  });

  it('joins a broker over TLS with credentials from a 0600 file, and never prints the password', async (t) => {
    const dir = makeTempDir(t);
    const certificate = writeLoopbackCertificate(dir);
    const broker = await NatsBroker.start({ certPath: certificate.certPath, keyPath: certificate.keyPath, user: 'node', pass: 'pw-never-shown' });
    t.after(() => broker.destroy());
    const authFile = join(dir, 'broker-auth');
    writeFileSync(authFile, 'node:pw-never-shown\n', { mode: 0o600 });
    const secure = [
      '--plaintext',
      '--cluster',
      `tls://127.0.0.1:${broker.port}`,
      '--cluster-ca',
      certificate.certPath,
      '--cluster-auth-file',
      authFile,
      '--log-level',
      'debug',
    ];
    const [one, two] = await Promise.all([startServeProcess(t, secure), startServeProcess(t, secure)]);
    await one.server.waitForLine(/^cluster node [0-9a-f]+ on tls:/);
    const ids = await Promise.all([0, 1].map(testIdentity));
    const a = await RawClient.join(one.port, 'alice', ids[0]!);
    const b = await RawClient.join(two.port, 'bob', ids[1]!);
    t.after(() => {
      for (const client of [a, b]) client.close();
    });
    assert.equal((await a.next('join')).peer.name, 'bob');
    for (const proc of [one.server, two.server]) {
      assert.ok(!proc.stderr.includes('pw-never-shown') && !proc.stdoutLines.join('\n').includes('pw-never-shown'), 'the password stays out of the output');
    }

    // Credentials others can read are refused, as an identity key would be.
    const openFile = join(dir, 'open-auth');
    writeFileSync(openFile, 'node:pw-never-shown\n', { mode: 0o644 });
    const refused = CliProcess.spawn(t, [
      'serve',
      '--plaintext',
      '--port',
      '0',
      '--cluster',
      `tls://127.0.0.1:${broker.port}`,
      '--cluster-auth-file',
      openFile,
    ]);
    assert.notEqual(await refused.waitExit(), 0);
    assert.match(refused.stderr, /too open/);
  });

  it('--json clients on two nodes talk, and hear when their node loses and regains the cluster', async (t) => {
    const dir = makeTempDir(t);
    const broker = await NatsBroker.start();
    t.after(() => broker.destroy());
    const cluster = ['--plaintext', '--cluster', broker.url, '--cluster-name', `json-${randomBytes(4).toString('hex')}`];
    const [one, two] = await Promise.all([startServeProcess(t, cluster), startServeProcess(t, cluster)]);
    const connect = async (port: number, name: string, index: number) => {
      const identity = await writeTestIdentity(dir, index);
      const client = CliProcess.spawn(t, [
        'connect',
        `127.0.0.1:${port}`,
        '--json',
        '--plaintext',
        '--name',
        name,
        '--identity',
        identity,
        '--known-peers',
        join(dir, `${name}-known.json`),
      ]);
      await client.waitForEvent((e) => e['type'] === 'ready', `${name} to be ready`);
      return client;
    };
    const alice = await connect(one.port, 'alice', 0);
    const bob = await connect(two.port, 'bob', 1);
    await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');
    alice.writeLine(':dm bob across the broker');
    const dm = await bob.waitForEvent((e) => e['type'] === 'message', 'bob to read the DM');
    assert.deepEqual([dm['from'], dm['to'], dm['text']], ['alice', 'bob', 'across the broker']);

    await broker.stop();
    const degraded = await alice.waitForEvent((e) => e['type'] === 'cluster', 'the degraded notice');
    assert.equal(degraded['state'], 'degraded');
    await broker.start();
    await alice.waitForEvent((e) => e['type'] === 'cluster' && e['state'] === 'ok', 'the all-clear', 20_000);
  });

  it('exits with a clear error when the broker cannot be reached', async (t) => {
    const port = await freePort();
    const proc = CliProcess.spawn(t, ['serve', '--plaintext', '--port', '0', '--cluster', `nats://127.0.0.1:${port}`]);
    assert.notEqual(await proc.waitExit(), 0);
    assert.match(proc.stderr, /cluster is unreachable \(cannot connect to nats:\/\/127\.0\.0\.1:\d+: connection refused\)/);
  });
});

describe('tui-chat serve names / release-name', () => {
  it("lists and releases registrations in a local store, and in a cluster's JetStream store", async (t) => {
    const dir = makeTempDir(t);
    const dataDir = join(dir, 'data');
    const alice = await testIdentity(0);
    const local = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    (await RawClient.join(local.port, 'alice', alice)).close();
    local.server.child.kill('SIGTERM');
    await local.server.waitExit();
    const listed = CliProcess.spawn(t, ['serve', 'names', '--data-dir', dataDir]);
    assert.equal(await listed.waitExit(), 0);
    assert.match(listed.stdoutLines.join('\n'), /^alice {2}[0-9a-f ]+ {2}last seen/m);
    const released = CliProcess.spawn(t, ['serve', 'release-name', 'ALICE', '--data-dir', dataDir]);
    assert.equal(await released.waitExit(), 0);
    const again = CliProcess.spawn(t, ['serve', 'release-name', 'alice', '--data-dir', dataDir]);
    assert.equal(await again.waitExit(), 1, 'released already');

    const broker = await NatsBroker.start();
    t.after(() => broker.destroy());
    const cluster = ['--cluster', broker.url, '--cluster-name', `names-${randomBytes(4).toString('hex')}`];
    const node = await startServeProcess(t, ['--plaintext', ...cluster]);
    (await RawClient.join(node.port, 'bob', await testIdentity(1))).close();
    await waitUntil(() => node.server.stderr.includes('client.left'), 'bob to leave');
    const clusterNames = CliProcess.spawn(t, ['serve', 'names', ...cluster]);
    assert.equal(await clusterNames.waitExit(), 0, clusterNames.stderr);
    assert.match(clusterNames.stdoutLines.join('\n'), /^bob /m);
    const clusterRelease = CliProcess.spawn(t, ['serve', 'release-name', 'bob', ...cluster]);
    assert.equal(await clusterRelease.waitExit(), 0, clusterRelease.stderr);
  });
});

describe('tui-chat serve --metrics', () => {
  it('serves Prometheus metrics on 127.0.0.1 when given only a port, and only when asked', async (t) => {
    const { server } = await startServeProcess(t, ['--metrics', '0']);
    const match = await server.waitForLine(/^metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics$/);
    const text = await (await fetch(`http://127.0.0.1:${match[1]}/metrics`)).text();
    assert.match(text, /^tuichat_joins_total 0$/m);
    const plain = await startServeProcess(t);
    assert.ok(!plain.server.stdoutLines.some((line) => line.startsWith('metrics on')), 'off by default');
  });
});

describe('tui-chat serve --config', () => {
  it('takes its options from the file, lets flags win, and re-reads it on SIGHUP without dropping anyone', async (t) => {
    const dir = makeTempDir(t);
    const config = join(dir, 'serve.toml');
    writeFileSync(config, 'max-clients = 5\nmax-streams = 2\n');
    const { server, port } = await startServeProcess(t, ['--config', config, '--max-streams', '3', '--metrics', '0']);
    const metricsPort = (await server.waitForLine(/^metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics$/))[1];
    const gauge = async (name: string) =>
      Number(
        /^(\S+) (\S+)$/m.exec(
          (await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${name} `)) ?? '',
        )?.[2],
      );
    assert.equal(await gauge('tuichat_max_clients'), 5, 'from the file');

    const identity = await writeTestIdentity(dir, 0);
    const client = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'alice', '--identity', identity, '--known-peers', `${dir}/k.json`]);
    await client.waitForEvent((e) => e['type'] === 'ready', 'alice to join');
    writeFileSync(config, 'max-clients = 9\n');
    server.child.kill('SIGHUP');
    await waitUntil(() => /server\.reloaded maxClients=9 maxStreams=3/.test(server.stderr), 'the reload, with the flag still winning');
    assert.equal(await gauge('tuichat_max_clients'), 9);
    client.writeLine(':peers');
    await client.waitForEvent((e) => e['type'] === 'peers', 'alice, still connected, to answer');
  });
});
