// TLS by default with a pinned self-signed certificate, between the real processes.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { waitUntil } from '../helpers/events.js';
import { writeTestIdentity } from '../helpers/identities.js';
import { CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function connect(t: TestContext, dir: string, port: number, extra: readonly string[] = [], host = '127.0.0.1'): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, 0);
  const client = CliProcess.spawn(t, [
    'connect',
    `${host}:${port}`,
    '--json',
    '--name',
    'alice',
    '--identity',
    identity,
    '--known-peers',
    `${dir}/peers.json`,
    '--known-servers',
    `${dir}/servers.json`,
    ...extra,
  ]);
  return client;
}

function fingerprintOf(server: CliProcess): string {
  const line = server.stdoutLines.find((l) => l.startsWith('certificate fingerprint '));
  assert.ok(line !== undefined, 'serve prints its certificate fingerprint');
  return line.slice('certificate fingerprint '.length).replace(/ /g, '');
}

describe('TLS with a pinned certificate', () => {
  it('listens over TLS, prints the certificate fingerprint, and the client pins it on first use', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t);
    await server.waitForLine(/^certificate fingerprint ([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    assert.match(server.stdoutLines[0]!, /\(TLS\)$/);
    const first = await connect(t, dir, port);
    await first.waitForEvent((e) => e['type'] === 'ready', 'the first join');
    assert.match(first.stderr, /first connection to 127\.0\.0\.1:\d+: pinned its certificate/);
    assert.ok(first.stderr.replace(/ /g, '').includes(fingerprintOf(server)), 'the pinned fingerprint is the one the server printed');
    first.endInput();
    await first.waitExit();
    const second = await connect(t, dir, port);
    await second.waitForEvent((e) => e['type'] === 'ready', 'the second join');
    assert.doesNotMatch(second.stderr, /first connection/, 'known now: no first-use notice');
  });

  it('keeps one pin for a server reached as localhost and as 127.0.0.1', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const first = await connect(t, dir, port);
    await first.waitForEvent((e) => e['type'] === 'ready', 'the first join');
    first.endInput();
    await first.waitExit();
    const second = await connect(t, dir, port, [], 'localhost');
    await second.waitForEvent((e) => e['type'] === 'ready', 'the join as localhost');
    assert.doesNotMatch(second.stderr, /first connection/, 'the same pin');
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(`${dir}/servers.json`, 'utf8')).servers), [`localhost:${port}`]);
  });

  it('refuses to start on a damaged pin file, names it, and leaves it as it was', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    for (const damaged of ['{"servers": {"x:1": null}}', 'not json at all']) {
      writeFileSync(`${dir}/servers.json`, damaged);
      const client = await connect(t, dir, port);
      assert.equal(await client.waitExit(), 1);
      assert.match(client.stderr, /servers\.json is damaged/);
      assert.doesNotMatch(client.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(readFileSync(`${dir}/servers.json`, 'utf8'), damaged, 'never overwritten');
    }
  });

  it('refuses a server whose certificate changed, saying what to do', async (t) => {
    const dir = makeTempDir(t);
    const original = await startServeProcess(t);
    const client = await connect(t, dir, original.port);
    await client.waitForEvent((e) => e['type'] === 'ready', 'the first join');
    client.endInput();
    await client.waitExit();
    original.server.child.kill('SIGTERM');
    await original.server.waitExit();
    // Same address, another certificate (its own config folder): an impostor, or a reinstall.
    const impostor = await startServeProcess(t, ['--port', String(original.port)]);
    const refused = await connect(t, dir, impostor.port);
    const error = await refused.waitForEvent((e) => e['type'] === 'error', 'the refusal');
    assert.equal(error['code'], 'CHAT_ERR_SERVER_KEY_CHANGED');
    assert.match(String(error['message']), /CHANGED since you first connected.*--server-fingerprint/);
    assert.equal(await refused.waitExit(), 1);
    assert.doesNotMatch(impostor.server.stderr, /client\.joined/, 'nothing was sent to the impostor');
    // The operator's new fingerprint, given explicitly, is accepted and re-pinned.
    const accepted = await connect(t, dir, impostor.port, ['--server-fingerprint', fingerprintOf(impostor.server)]);
    await accepted.waitForEvent((e) => e['type'] === 'ready', 'the join with the given fingerprint');
    // Written to stderr before the join: waited for, since two pipes keep no order between them.
    await waitUntil(
      () => /replaced the pinned certificate of 127\.0\.0\.1:\d+: was .*, now .* \(as --server-fingerprint said\)/.test(accepted.stderr),
      'the notice',
    );
  });

  it('refuses a server that does not match --server-fingerprint on the very first connection', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const client = await connect(t, dir, port, ['--server-fingerprint', 'ab'.repeat(32)]);
    const error = await client.waitForEvent((e) => e['type'] === 'error', 'the refusal');
    assert.equal(error['code'], 'CHAT_ERR_SERVER_KEY_CHANGED');
    assert.equal(await client.waitExit(), 1);
  });

  it('says loudly when --plaintext is on, on both sides', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t, ['--plaintext']);
    assert.match(server.stdoutLines[0]!, /PLAINTEXT, no TLS/);
    assert.match(server.stderr, /WARNING: --plaintext: TLS is OFF/);
    const client = await connect(t, dir, port, ['--plaintext']);
    await client.waitForEvent((e) => e['type'] === 'ready', 'the join');
    assert.match(client.stderr, /WARNING: --plaintext/);
  });

  it('a TLS client cannot talk to a plaintext server, and the failure is clear', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t, ['--plaintext']);
    const client = await connect(t, dir, port);
    const error = await client.waitForEvent((e) => e['type'] === 'error' || e['type'] === 'disconnected', 'the failure');
    assert.ok(error !== undefined);
    assert.equal(await client.waitExit(), 1);
  });
});
