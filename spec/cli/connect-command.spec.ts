// The whole product as a user runs it: a real `tui-chat serve` and real `tui-chat connect --json`
// processes talking over TCP on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { waitUntil } from '../helpers/events.js';
import { writeTestIdentity } from '../helpers/identities.js';
import { BIN, CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const isType = (type: string) => (event: Record<string, unknown>) => event['type'] === type;

async function connectClient(t: TestContext, dir: string, port: number, name: string, index: number, extra: readonly string[] = []): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, index);
  const client = CliProcess.spawn(t, [
    'connect',
    `127.0.0.1:${port}`,
    '--json',
    '--name',
    name,
    '--identity',
    identity,
    '--known-peers',
    `${dir}/${name}-known.json`,
    ...extra,
  ]);
  await client.waitForEvent(isType('ready'), `${name} to be ready`);
  return client;
}

function messages(client: CliProcess): Array<Record<string, unknown>> {
  return client.events.filter(isType('message'));
}

describe('tui-chat end to end', () => {
  it('a room message reaches everyone, a DM only its recipient, and joins and leaves are announced', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t);
    const alice = await connectClient(t, dir, port, 'alice', 0);
    const bob = await connectClient(t, dir, port, 'bob', 1);
    const carol = await connectClient(t, dir, port, 'carol', 2);
    await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'carol', 'alice to see carol join');

    alice.writeLine('hello everyone');
    await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'hello everyone', 'bob to get the room message');
    await carol.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'hello everyone', 'carol to get the room message');
    const roomMessage = messages(bob)[0]!;
    assert.equal(roomMessage['from'], 'alice');
    assert.equal(roomMessage['to'], null);
    assert.equal(roomMessage['verified'], true);

    alice.writeLine(':dm bob for your eyes only');
    await bob.waitForEvent((e) => e['type'] === 'message' && e['to'] === 'bob', 'bob to get the DM');
    assert.equal(messages(bob)[1]!['text'], 'for your eyes only');
    // A later room message proves carol has caught up, and that the DM never reached her.
    alice.writeLine('marker');
    await carol.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'marker', 'carol to get the marker');
    assert.deepEqual(
      messages(carol).map((m) => m['text']),
      ['hello everyone', 'marker'],
    );

    carol.writeLine(':peers');
    const peers = await carol.waitForEvent(isType('peers'), 'the peer list');
    assert.deepEqual(
      (peers['peers'] as Array<{ name: string }>).map((p) => p.name),
      ['alice', 'bob', 'carol'],
    );

    carol.endInput();
    assert.equal(await carol.waitExit(), 0, 'a client whose input ends leaves cleanly');
    await alice.waitForEvent((e) => e['type'] === 'leave' && e['name'] === 'carol', 'alice to see carol leave');
    bob.writeLine(':quit');
    assert.equal(await bob.waitExit(), 0);
    await alice.waitForEvent((e) => e['type'] === 'leave' && e['name'] === 'bob', 'alice to see bob leave');
    alice.endInput();
    await alice.waitExit();
    server.child.kill('SIGTERM');
    assert.equal(await server.waitExit(), 0);
  });

  it('--json: rooms by command, room events, and a room field on room messages', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await connectClient(t, dir, port, 'alice', 0);
    const bob = await connectClient(t, dir, port, 'bob', 1);
    const carol = await connectClient(t, dir, port, 'carol', 2);
    alice.writeLine(':join #dev');
    await alice.waitForEvent((e) => e['type'] === 'room-event' && e['kind'] === 'join' && e['name'] === 'alice', 'alice in #dev');
    alice.writeLine(':topic #dev ship friday');
    bob.writeLine(':join #dev');
    const joined = await bob.waitForEvent((e) => e['type'] === 'room-event' && e['name'] === 'bob', 'bob in #dev');
    assert.equal(joined['room'], '#dev');
    alice.writeLine(':msg #dev for dev');
    const said = await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'for dev', 'bob to read the #dev line');
    assert.equal(said['room'], '#dev');
    assert.equal(said['to'], '#dev');
    alice.writeLine('to the lobby');
    const lobby = await carol.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'to the lobby', 'carol to read the lobby line');
    assert.equal(lobby['room'], '#room', 'a lobby message names the lobby');
    assert.equal(
      messages(carol).some((m) => m['text'] === 'for dev'),
      false,
      'carol, not in #dev, never got its line',
    );
    carol.writeLine(':rooms');
    const listing = await carol.waitForEvent(isType('rooms'), 'the room listing');
    assert.deepEqual(listing['rooms'], [{ name: '#dev', topic: 'ship friday', members: 2, inviteOnly: false, joined: false }]);
    carol.writeLine(':part #dev');
    const refused = await carol.waitForEvent(isType('error'), 'a refusal');
    assert.equal(refused['code'], 'CHAT_ERR_NOT_IN_ROOM');
  });

  it('--json on a big server (--full-presence-max-users 0): a census, and a DM to someone never listed', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t, ['--full-presence-max-users', '0']);
    const bob = await connectClient(t, dir, port, 'bob', 1);
    const alice = await connectClient(t, dir, port, 'alice', 0);
    const ready = alice.events.find(isType('ready'))!;
    assert.deepEqual(ready['census'], { online: 2, registered: 2 });
    assert.deepEqual(
      (ready['peers'] as Array<{ name: string }>).map((p) => p.name),
      ['alice'],
      'bob is counted, not listed',
    );
    alice.writeLine(':dm bob found you');
    const dm = await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'found you', 'bob to read the DM');
    assert.equal(dm['from'], 'alice');
    alice.writeLine(':dm nobody hello');
    const refused = await alice.waitForEvent(isType('error'), 'the refusal, after the lookup');
    assert.equal(refused['code'], 'CHAT_ERR_NO_SUCH_PEER');
  });

  it('refuses a duplicate name with a clear error and exit code 1', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    await connectClient(t, dir, port, 'alice', 0);
    const identity = await writeTestIdentity(dir, 1);
    const second = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'alice', '--identity', identity, '--known-peers', `${dir}/x.json`]);
    const error = await second.waitForEvent(isType('error'), 'the name-taken error');
    assert.equal(error['code'], 'CHAT_ERR_NAME_TAKEN');
    assert.match(String(error['message']), /alice.*taken/);
    assert.equal(await second.waitExit(), 1);
  });

  // Even with TLS off, the message text never crosses the wire: that is the end-to-end layer's job.
  for (const mode of ['tls', 'plaintext'] as const) {
    it(`carries no message text through the network: a relay in the middle sees only ciphertext (${mode})`, async (t) => {
      const dir = makeTempDir(t);
      const extra = mode === 'plaintext' ? ['--plaintext'] : [];
      const { port } = await startServeProcess(t, extra);
      const seen: Buffer[] = [];
      const relay = await startRecordingRelay(t, port, seen);
      const alice = await connectClient(t, dir, relay, 'alice', 0, extra);
      const bob = await connectClient(t, dir, relay, 'bob', 1, extra);
      await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');
      const roomText = 'PLAINTEXT-ROOM-7f3a';
      const dmText = 'PLAINTEXT-DM-91c2';
      alice.writeLine(roomText);
      alice.writeLine(`:dm bob ${dmText}`);
      await bob.waitForEvent((e) => e['text'] === dmText, 'bob to receive the DM');
      assert.ok(
        messages(bob).some((m) => m['text'] === roomText),
        'bob received the room text through the relay',
      );
      const wire = Buffer.concat(seen);
      assert.ok(wire.length > 2000, 'the relay carried the traffic');
      for (const text of [roomText, dmText]) {
        assert.equal(wire.indexOf(text), -1, `"${text}" crossed the wire in the clear`);
        assert.equal(wire.indexOf(Buffer.from(text).toString('base64').slice(0, 12)), -1, `"${text}" crossed the wire as base64`);
      }
    });
  }

  for (const mode of ['tls', 'plaintext'] as const) {
    it(`drops a client spewing garbage while the others go on chatting (${mode})`, async (t) => {
      const dir = makeTempDir(t);
      const extra = mode === 'plaintext' ? ['--plaintext'] : [];
      const { server, port } = await startServeProcess(t, extra);
      const alice = await connectClient(t, dir, port, 'alice', 0, extra);
      const bob = await connectClient(t, dir, port, 'bob', 1, extra);
      await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');

      const garbage = connect({ host: '127.0.0.1', port });
      garbage.on('error', () => {});
      let closed = false;
      garbage.on('close', () => (closed = true));
      garbage.resume(); // read (and discard) the server's answer, so its hang-up is noticed
      await new Promise((resolve) => garbage.once('connect', resolve));
      for (let i = 0; i < 50 && !garbage.destroyed; i++) garbage.write(randomBytes(1024));
      await waitUntil(() => closed, 'the server to drop the garbage client');

      alice.writeLine('still here?');
      await bob.waitForEvent((e) => e['text'] === 'still here?', 'bob to get a message after the garbage');
      bob.writeLine('yes');
      await alice.waitForEvent((e) => e['text'] === 'yes', 'alice to get the reply');
      // Over TLS the garbage fails the handshake; in plaintext it reaches the frame decoder.
      assert.match(server.stderr, mode === 'tls' ? /tls\.client_error/ : /client\.protocol_error/);
      assert.equal(server.exitCode, null, 'the server is still running');
    });
  }

  it('on SIGTERM tells every client, closes, and exits 0', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t);
    const alice = await connectClient(t, dir, port, 'alice', 0);
    server.child.kill('SIGTERM');
    assert.equal(await server.waitExit(), 0);
    const gone = await alice.waitForEvent(isType('disconnected'), 'alice to hear the server go');
    assert.match(String(gone['reason']), /shut/);
    assert.equal(await alice.waitExit(), 1, 'losing the server is not a clean exit');
  });

  it('keeps plaintext and keys out of the server log', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t, ['--log-level', 'debug']);
    const alice = await connectClient(t, dir, port, 'alice', 0);
    const bob = await connectClient(t, dir, port, 'bob', 1);
    await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');
    alice.writeLine('LOG-SECRET-5511');
    await bob.waitForEvent((e) => e['text'] === 'LOG-SECRET-5511', 'delivery');
    server.child.kill('SIGTERM');
    await server.waitExit();
    assert.match(server.stderr, /client\.joined name=alice/);
    assert.doesNotMatch(server.stderr, /LOG-SECRET|PRIVATE KEY|MII/);
  });
  it('streams a video to a --json client, reporting start, end and frame counts', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const viewer = await connectClient(t, dir, port, 'viewer', 0);
    viewer.writeLine(':play bars-640x360-25fps.mp4');
    const start = await viewer.waitForEvent(isType('stream-start'), 'the stream to start');
    assert.deepEqual([start['width'], start['height'], start['fps']], [80, 44, 25]);
    const end = await viewer.waitForEvent(isType('stream-end'), 'the stream to end', 20_000);
    assert.equal(end['reason'], 'finished');
    assert.equal(end['sent'], 75);
    assert.equal(end['received'], 75, 'every frame the server sent arrived');
    assert.ok(!viewer.stdoutLines.some((line) => line.length > 2000), 'no pixels in the output');
  });

  it('leaves no ffmpeg running when a viewer vanishes mid-stream', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t);
    const viewer = await connectClient(t, dir, port, 'viewer', 0);
    viewer.writeLine(':play mandelbrot-480x270-24fps.mp4');
    await viewer.waitForEvent(isType('stream-start'), 'the stream to start');
    const ffmpegChildren = () => {
      try {
        return execFileSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .filter((l) => l !== '');
      } catch {
        return [];
      }
    };
    await waitUntil(() => ffmpegChildren().length === 1, 'the server to run one ffmpeg');
    viewer.child.kill('SIGKILL');
    await waitUntil(() => ffmpegChildren().length === 0, 'the ffmpeg to go with its viewer');
  });
});

/** A TCP relay between clients and the server that records every byte it forwards. */
async function startRecordingRelay(t: TestContext, targetPort: number, seen: Buffer[]): Promise<number> {
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
    }
    client.on('data', (chunk: Buffer) => {
      seen.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      seen.push(chunk);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    relay.close();
  });
  return (relay.address() as { port: number }).port;
}

describe('tui-chat connect --json into a pipe that closes', () => {
  it('ends quietly with 0 when its reader goes away, instead of dying on EPIPE', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const identity = await writeTestIdentity(dir, 0);
    const command =
      `(sleep 1; echo :peers; sleep 1; echo :peers; sleep 1) 2>/dev/null | ` +
      `XDG_CONFIG_HOME='${dir}' XDG_DATA_HOME='${dir}/data' '${process.execPath}' '${BIN}' connect 127.0.0.1:${port} --json --name alice --identity '${identity}' 2>'${dir}/err' | head -c 50 >/dev/null; ` +
      `echo "\${PIPESTATUS[1]}" > '${dir}/code'`;
    const shell = spawn('bash', ['-c', command], { stdio: 'ignore' });
    await new Promise((resolve) => shell.once('exit', resolve));
    assert.equal(readFileSync(join(dir, 'code'), 'utf8').trim(), '0', readFileSync(join(dir, 'err'), 'utf8'));
    assert.doesNotMatch(readFileSync(join(dir, 'err'), 'utf8'), /EPIPE|\n\s+at /);
  });
});
